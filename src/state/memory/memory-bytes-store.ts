import { BTree } from '../sorted-tree.ts';
import type { BinaryKey, KeyBounds, KeyValueBytesStore } from '../bytes.ts';

/** An in-memory sorted store. It persists nothing: after a restart it is rebuilt from its changelog. */
export class MemoryBytesStore implements KeyValueBytesStore {
  readonly persistent = false;
  readonly checkpoint = undefined;
  private readonly entries = new BTree<BinaryKey, Uint8Array>();

  get(key: BinaryKey): Uint8Array | undefined {
    return this.entries.get(key);
  }

  put(key: BinaryKey, value: Uint8Array | undefined): void {
    if (value === undefined) this.entries.delete(key);
    else this.entries.set(key, value);
  }

  range(bounds: KeyBounds, reverse = false): IterableIterator<[BinaryKey, Uint8Array]> {
    return this.current(collectRange(this.entries, bounds, reverse));
  }

  deleteRange(bounds: KeyBounds): void {
    const low = bounds.gte ?? this.entries.minKey();
    const high = bounds.lt ?? bounds.lte ?? this.entries.maxKey();
    if (low === undefined || high === undefined || low > high) return;
    this.entries.deleteRange(low, high, bounds.lt === undefined);
  }

  size(): number {
    return this.entries.size;
  }

  async commit(_checkpoint: number | undefined, prepare?: () => void): Promise<void> {
    prepare?.();
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  /** The values of a range as iteration reaches them, as the LevelDB store reads them: keys deleted meanwhile are skipped. */
  private *current(entries: [BinaryKey, Uint8Array][]): IterableIterator<[BinaryKey, Uint8Array]> {
    for (const entry of entries) {
      const value = this.entries.get(entry[0]);
      if (value === undefined) continue;
      if (value !== entry[1]) entry[1] = value;
      yield entry;
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
