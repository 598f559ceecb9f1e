import type { Offset } from '../../common/offset.ts';
import { binaryKeyTree, type BTree } from '../sorted-tree.ts';
import type { BinaryKey, KeyBounds, KeyValueBytesStore } from '../bytes.ts';

/**
 * An in-memory sorted store. It persists nothing: after a restart it is rebuilt from its changelog.
 * Values live in a hash map, so point reads and overwrites cost a Map lookup; the sorted tree holds
 * the keys for ranges and changes only when a key comes or goes.
 */
export class MemoryBytesStore implements KeyValueBytesStore {
  readonly persistent = false;
  readonly checkpoint = undefined;
  private readonly values = new Map<BinaryKey, Uint8Array>();
  private readonly keys = binaryKeyTree<undefined>();

  get(key: BinaryKey): Uint8Array | undefined {
    return this.values.get(key);
  }

  put(key: BinaryKey, value: Uint8Array | undefined): void {
    if (value === undefined) {
      if (this.values.delete(key)) this.keys.delete(key);
    } else {
      if (!this.values.has(key)) this.keys.set(key, undefined);
      this.values.set(key, value);
    }
  }

  range(bounds: KeyBounds, reverse = false): IterableIterator<[BinaryKey, Uint8Array]> {
    return this.current(collectRange(this.keys, bounds, reverse));
  }

  deleteRange(bounds: KeyBounds): void {
    for (const [key] of collectRange(this.keys, bounds, false)) {
      this.values.delete(key);
      this.keys.delete(key);
    }
  }

  size(): number {
    return this.values.size;
  }

  async commit(_checkpoint: Offset | undefined, prepare?: () => void): Promise<void> {
    prepare?.();
  }

  async close(): Promise<void> {
    this.values.clear();
    this.keys.clear();
  }

  /** Values as iteration reaches them, as the LevelDB store reads them: keys deleted meanwhile are skipped. */
  private *current(keys: [BinaryKey, undefined][]): IterableIterator<[BinaryKey, Uint8Array]> {
    for (const [key] of keys) {
      const value = this.values.get(key);
      if (value !== undefined) yield [key, value];
    }
  }
}

/** The entries of a sorted tree within bounds, copied out so callers may write while iterating. */
export function collectRange<V>(
  tree: BTree<BinaryKey, V>,
  bounds: KeyBounds,
  reverse: boolean,
): [BinaryKey, V][] {
  const result: [BinaryKey, V][] = [];
  const low = bounds.gte ?? tree.minKey();
  if (low === undefined) return result;
  const high = bounds.lt ?? bounds.lte ?? tree.maxKey()!;
  if (low > high) return result;
  const includeHigh = bounds.lt === undefined;
  tree.forRange(low, high, includeHigh, (key, value) => {
    result.push([key, value]);
  });
  if (reverse) result.reverse();
  return result;
}
