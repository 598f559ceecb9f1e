import type { BinaryKey, ChangelogRecord } from './bytes.ts';
import { fromBinaryKey } from './bytes.ts';

/**
 * Collects a store's changes between commits. Only the last change per key is kept: the changelog is
 * compacted anyway, and a hot key updated a thousand times between commits costs one record.
 */
export class ChangeLogger {
  private readonly pending = new Map<BinaryKey, { value: Uint8Array | null; timestamp: number }>();

  log(key: BinaryKey, value: Uint8Array | null, timestamp: number): void {
    // Delete first so the key moves to the end: records go out in the order of their last change.
    this.pending.delete(key);
    this.pending.set(key, { value, timestamp });
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * The changes since the last drain. Stores whose own keys differ from the changelog's log their own
   * keys (already built for the write) and turn them into changelog keys here, once per key.
   */
  drain(changelogKey: (key: BinaryKey) => Uint8Array = fromBinaryKey): ChangelogRecord[] {
    const records: ChangelogRecord[] = [];
    for (const [key, change] of this.pending)
      records.push({ key: changelogKey(key), value: change.value, timestamp: change.timestamp });
    this.pending.clear();
    return records;
  }
}

/** What a typed store needs from the task: the timestamp of the record being processed, for changelog records. */
export type TimestampSource = () => number;
