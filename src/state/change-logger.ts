import type { BinaryKey, ChangelogRecord } from './bytes.ts';
import { fromBinaryKey } from './bytes.ts';

/**
 * Collects a store's changes between commits. Only the last change per key is kept: the changelog is
 * compacted anyway, and a hot key updated a thousand times between commits costs one record.
 */
export class ChangeLogger {
  private readonly pending = new Map<BinaryKey, { value: Uint8Array | null; timestamp: number }>();
  /** Bytes of the pending keys and values (a binary key's string holds one byte per character). */
  private pendingBytes = 0;

  log(key: BinaryKey, value: Uint8Array | null, timestamp: number): void {
    const previous = this.pending.get(key);
    if (previous) {
      this.pendingBytes -= key.length + (previous.value?.byteLength ?? 0);
      // Delete first so the key moves to the end: records go out in the order of their last change.
      this.pending.delete(key);
    }
    this.pending.set(key, { value, timestamp });
    this.pendingBytes += key.length + (value?.byteLength ?? 0);
  }

  get size(): number {
    return this.pending.size;
  }

  /** How much waits for the next drain: changed keys, and the bytes of their keys and values. */
  get backlog(): PendingChanges {
    return { records: this.pending.size, bytes: this.pendingBytes };
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
    this.pendingBytes = 0;
    return records;
  }
}

export interface PendingChanges {
  readonly records: number;
  readonly bytes: number;
}

export const NO_PENDING_CHANGES: PendingChanges = { records: 0, bytes: 0 };

/** What a typed store needs from the task: the timestamp of the record being processed, for changelog records. */
export type TimestampSource = () => number;
