import type { Offset } from '../common/offset.ts';
import type { ChangelogRecord } from '../state/bytes.ts';

/** Somewhere changelog records go: a store being restored, or a standby replica following along. */
export interface ChangelogTarget {
  apply(records: readonly ChangelogRecord[]): void;
  /** Async work needed before `apply` can take these records (a writer schema to fetch), if any. */
  prepare?(records: readonly ChangelogRecord[]): Promise<void> | undefined;
  /**
   * Persists what was applied so far, every so many records: `position` is the next offset to apply.
   * Without it a long restore would hold every record it applied in memory until its end.
   */
  save?(position: Offset): void;
  /** Records applied between two saves (default: `RECORDS_PER_SAVE` in restorer.ts). */
  readonly recordsPerSave?: number;
  /** Whether the target holds so many bytes unsaved that it should save now, whatever the records. */
  saveDue?(): boolean;
}

/**
 * A `save` for a target that is a store: commits what was applied with the position reached as its
 * checkpoint. The commit is queued behind the store's earlier ones and takes every write made before
 * it starts, so the data on disk may run ahead of its checkpoint, never behind it: a restore resumed
 * from the checkpoint applies some records again, which leaves the same contents. A save that fails
 * keeps its writes for the next commit (the store puts them back), and the commit that ends the
 * restore reports the failure.
 */
export function savingStore(store: {
  commit(checkpoint: Offset): Promise<void>;
}): (position: Offset) => void {
  return (position) => void store.commit(position).catch(() => undefined);
}

/** A store's changelog applied to it as it is (restore, standby replica). */
export function storeTarget(store: {
  restore(records: Iterable<ChangelogRecord>): void;
  commit(checkpoint: Offset): Promise<void>;
}): ChangelogTarget {
  return { apply: (records) => store.restore(records), save: savingStore(store) };
}
