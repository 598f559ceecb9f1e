import type { BinaryKey, KeyBounds } from '../bytes.ts';
import { collectRange } from '../memory/memory-bytes-store.ts';
import type { BTree } from '../sorted-tree.ts';

/**
 * How a LevelDB store finds its keys in order (LevelDB iterates only asynchronously, and processors
 * scan synchronously):
 * - `runs`: an index on disk, in the store's own database (`KeyRuns`); nothing per key in memory.
 *   For key-value stores.
 * - `memory`: every key in a sorted tree in memory, read from disk at open. For window and session
 *   stores, whose keys expire with their retention period and which scan on every record.
 */
export type KeyIndexKind = 'runs' | 'memory';

/** A store's key index, as the LevelDB store uses it. */
export interface KeyIndex {
  /** False only when the key is surely absent. */
  mayHold(key: BinaryKey): boolean;
  /** A key that may have been absent is now present. */
  added(key: BinaryKey): void;
  /** A key is now absent. */
  removed(key: BinaryKey): void;
  /**
   * Many keys changed, in this order: `deleted[i]` tells whether `keys[i]` is now absent or present.
   * The index may keep the arrays.
   */
  changed(keys: BinaryKey[], deleted: boolean[]): void;
  /** Present keys within bounds, in order. */
  keys(bounds: KeyBounds, reverse: boolean): IterableIterator<BinaryKey>;
  size(): number;
  /** Takes the index's changes for the commit that takes its batch of data at the same moment. */
  beginFlush(): void;
  /** Adds the changes taken to the commit's batch; returns the run list to save with it, if any. */
  flush(
    put: (key: Uint8Array, value: Uint8Array) => void,
    pause: () => Promise<void> | undefined,
  ): Promise<string | undefined>;
  /** The commit's batch was written, or failed. */
  flushed(written: boolean): void;
  close(): Promise<void>;
}

export class MemoryKeyIndex implements KeyIndex {
  private readonly tree: BTree<BinaryKey, undefined>;

  constructor(tree: BTree<BinaryKey, undefined>) {
    this.tree = tree;
  }

  mayHold(key: BinaryKey): boolean {
    return this.tree.has(key);
  }

  added(key: BinaryKey): void {
    this.tree.set(key, undefined);
  }

  removed(key: BinaryKey): void {
    this.tree.delete(key);
  }

  changed(keys: BinaryKey[], deleted: boolean[]): void {
    for (let i = 0; i < keys.length; i++) {
      if (deleted[i]) this.removed(keys[i]!);
      else this.added(keys[i]!);
    }
  }

  /** The keys are copied out when called, so writes while iterating are safe. */
  keys(bounds: KeyBounds, reverse: boolean): IterableIterator<BinaryKey> {
    return collectRange(this.tree, bounds, reverse)
      .map(([key]) => key)
      .values();
  }

  size(): number {
    return this.tree.size;
  }

  beginFlush(): void {}

  async flush(): Promise<undefined> {
    return undefined;
  }

  flushed(): void {}

  async close(): Promise<void> {}
}
