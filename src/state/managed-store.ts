import { join } from 'node:path';
import { StoreError } from '../errors.ts';
import type { Offset } from '../common/offset.ts';
import type { StateStore, StoreSpec } from './api.ts';
import type { ChangelogRecord, KeyValueBytesStore } from './bytes.ts';
import { ChangeLogger, type PendingChanges, type TimestampSource } from './change-logger.ts';
import { LevelDbBytesStore } from './leveldb/leveldb-bytes-store.ts';
import { processCacheBudget } from './leveldb/read-cache.ts';
import { managedKeyValueStore } from './managed/key-value.ts';
import { managedSessionStore } from './managed/session.ts';
import { managedVersionedStore } from './managed/versioned.ts';
import { managedWindowStore } from './managed/window.ts';
import { MemoryBytesStore } from './memory/memory-bytes-store.ts';

/**
 * A store as a task manages it: the typed store its processors use, plus what the runtime needs to log,
 * commit, restore and close it.
 */
export interface ManagedStore {
  readonly spec: StoreSpec;
  readonly store: StateStore;
  /** The changelog offset saved with the data (the next offset to restore from); undefined: from the start. */
  readonly checkpoint: Offset | undefined;
  /** How much `drainChangelog` would return now. */
  readonly pendingChanges: PendingChanges;
  /** The changes since the last drain, one per key, for the changelog topic (none when not logged). */
  drainChangelog(): ChangelogRecord[];
  /** Applies changelog records (restore, standby) without logging them again. */
  restore(records: Iterable<ChangelogRecord>): void;
  /**
   * Starts a restore in bulk, when the store can (see `BulkLoad`): the store answers nothing until the
   * load finishes. Undefined: restore with `restore`.
   */
  bulkRestore?(): Promise<ChangelogLoad | undefined>;
  /** Persists all writes so far together with the changelog offset they correspond to. */
  commit(checkpoint: Offset | undefined): Promise<void>;
  close(): Promise<void>;
}

/** A store's changelog loaded in bulk: records applied as `restore` would, saved as they go. */
export interface ChangelogLoad {
  apply(records: readonly ChangelogRecord[]): void;
  /** Persists what was applied so far with `position` as the checkpoint (without waiting). */
  save(position: Offset): void;
  /** Records to apply between two saves. */
  readonly recordsPerSave: number;
  /** Whether what was applied since the last save holds so many bytes that it should save now. */
  saveDue(): boolean;
  /** Persists the rest with the checkpoint and ends the load: the store is in use again. */
  finish(checkpoint: Offset): Promise<void>;
}

export interface StoreOpenOptions {
  /** The task's state directory; LevelDB stores live in `<directory>/<store name>`. */
  readonly directory: string | undefined;
  /** The timestamp of the record being processed, stamped on changelog records. */
  readonly now: TimestampSource;
}

/**
 * Sets what the read caches of every LevelDB store in this process may hold together (the worker's
 * `readCacheMaxBytes`); 0 turns them off. What is cached now is dropped.
 */
export function setStoreCacheMaxBytes(bytes: number): void {
  processCacheBudget.resize(bytes);
}

export async function openBytesStore(
  spec: StoreSpec,
  directory: string | undefined,
): Promise<KeyValueBytesStore> {
  if (spec.backend === 'memory') return new MemoryBytesStore();
  if (directory === undefined)
    throw new StoreError(`store "${spec.name}" is kept in LevelDB but no state directory was given`);
  // Window and session stores scan on every record and hold only their retention period: their keys
  // stay in memory. Key-value stores keep their index on disk, so their size is not bounded by memory.
  const index = spec.kind === 'window' || spec.kind === 'session' ? 'memory' : 'runs';
  return LevelDbBytesStore.open(join(directory, spec.name), { index });
}

/** Opens a store of any kind from its spec. */
export async function openStore(spec: StoreSpec, options: StoreOpenOptions): Promise<ManagedStore> {
  const bytes = await openBytesStore(spec, options.directory);
  // A store restored from its source topic (a table read from a topic) writes no changelog of its own.
  const logger = spec.logging.enabled && !spec.logging.sourceTopic ? new ChangeLogger() : undefined;
  switch (spec.kind) {
    case 'key-value':
    case 'timestamped-key-value':
      return managedKeyValueStore(spec, bytes, logger, options.now);
    case 'versioned-key-value':
      return managedVersionedStore(spec, bytes, logger);
    case 'window':
      return managedWindowStore(spec, bytes, logger, options.now);
    case 'session':
      return managedSessionStore(spec, bytes, logger, options.now);
  }
}
