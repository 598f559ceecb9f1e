import type { Offset } from '../common/offset.ts';
import { asBuffer } from '../common/bytes.ts';

/**
 * The byte level of the stores. Keys travel as "binary strings": one char per byte (latin1), so they
 * can key a Map and compare with `<` in exactly LevelDB's byte order, with no Buffer per lookup.
 */
export type BinaryKey = string;

export function toBinaryKey(bytes: Uint8Array): BinaryKey {
  return asBuffer(bytes).toString('latin1');
}

export function fromBinaryKey(key: BinaryKey): Uint8Array {
  return Buffer.from(key, 'latin1');
}

/** Every key that starts with `prefix` sorts below this (no latin1 char reaches \u0100). */
export function prefixUpperBound(prefix: BinaryKey): BinaryKey {
  return prefix + '\u0100';
}

export interface KeyBounds {
  readonly gte?: BinaryKey;
  readonly lte?: BinaryKey;
  readonly lt?: BinaryKey;
}

/**
 * A sorted map of bytes to bytes with synchronous reads, the base of every store. Persistent
 * implementations keep writes in memory until `commit`, which writes them in one atomic batch together
 * with the changelog position they correspond to.
 */
export interface KeyValueBytesStore {
  readonly persistent: boolean;
  get(key: BinaryKey): Uint8Array | undefined;
  /** Writes a value; undefined deletes. */
  put(key: BinaryKey, value: Uint8Array | undefined): void;
  /**
   * Writes a value read back from the changelog (a restore, a standby replica): as `put`, where a store
   * may skip what only serves reads (a restore reads nothing back). The value may share its memory
   * with others (a pooled buffer): a store keeps it no longer than until its next commit, and copies
   * what it keeps longer.
   */
  putRestored?(key: BinaryKey, value: Uint8Array | undefined): void;
  /**
   * Starts loading changelog records in bulk (a restore), when the store can; the store answers
   * nothing until the load finishes (see `BulkLoad`).
   */
  bulkLoad?(): Promise<BulkLoad | undefined>;
  /**
   * Entries within the bounds in key order (reversed on request). The keys are taken when it is called,
   * so writes during iteration are safe: keys added meanwhile do not show up, keys deleted meanwhile are
   * skipped, and values are read as iteration reaches them.
   */
  range(bounds: KeyBounds, reverse?: boolean): IterableIterator<[BinaryKey, Uint8Array]>;
  /**
   * Deletes every entry within the bounds at once (segmented stores drop expired time segments this way).
   * Persistent stores may apply it to disk before the commit that follows, so use it only for data that
   * must not come back after a crash either.
   */
  deleteRange(bounds: KeyBounds): void;
  size(): number;
  /** The changelog offset saved with the data by the last commit (the next offset to restore from). */
  readonly checkpoint: Offset | undefined;
  /**
   * Persists every write so far with the checkpoint. `prepare` runs right before the writes are taken
   * for the batch (after earlier commits finished), so the writes it makes (a store's own bookkeeping,
   * such as its stream time) describe exactly the data in that batch.
   */
  commit(checkpoint: Offset | undefined, prepare?: () => void): Promise<void>;
  close(): Promise<void>;
}

/** One change of a store, as it goes to (and comes back from) the changelog topic. */
export interface ChangelogRecord {
  readonly key: Uint8Array;
  /** null deletes the key. */
  readonly value: Uint8Array | null;
  readonly timestamp: number;
}

/**
 * A changelog loaded into a store in bulk (a restore): the records go to disk as they come, with none
 * of what a store keeps per write to answer reads. Until `finish` the store answers nothing; a store
 * closed before that keeps what was saved.
 */
export interface BulkLoad {
  /** Writes `value` under `key` (the store's key bytes), or deletes the key (null); later wins. */
  put(key: Uint8Array, value: Uint8Array | null): void;
  /**
   * Writes what was put so far with the checkpoint, after the saves before it; returns at once. A
   * save that fails stops the later ones (the data on disk never runs behind its checkpoint), and
   * `finish` reports it.
   */
  save(checkpoint: Offset): void;
  /** Records to put between two saves: what a save costs the load is paid once per so many. */
  readonly recordsPerSave: number;
  /** Whether the bytes put since the last save are so many that it should save now. */
  saveDue(): boolean;
  /** Writes the rest with the checkpoint; the store is in use again. */
  finish(checkpoint: Offset): Promise<void>;
}
