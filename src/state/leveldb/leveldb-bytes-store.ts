import { Level } from 'level';
import { errorMessage, StoreError } from '../../errors.ts';
import { formatOffset, parseOffset, type Offset } from '../../common/offset.ts';
import { decodedBlockBytes, type Block } from '../runs/block-codec.ts';
import { KeyRuns, type RunStorage } from '../runs/key-runs.ts';
import { binaryKeyTree } from '../sorted-tree.ts';
import { LevelDbBulkLoad } from './bulk-load.ts';
import { MemoryKeyIndex, type KeyIndex, type KeyIndexKind } from './key-index.ts';
import { cachedValueBytes, processCacheBudget, ReadCache, type CacheBudget } from './read-cache.ts';
import type { BinaryKey, BulkLoad, KeyBounds, KeyValueBytesStore } from '../bytes.ts';
import { asBuffer } from '../../common/bytes.ts';

const CHECKPOINT_KEY = 'changelog-offset';
/** The list of the key index's runs (`KeyRuns`), saved with each commit that adds one. */
const RUNS_KEY = 'key-runs';
/**
 * Writes added to a commit's batch between two turns of the event loop: a commit of many writes (a
 * long commit interval under a backlog) is built in slices of about a millisecond or two, so fetches,
 * heartbeats and acknowledgements go on meanwhile. The batch is still written atomically.
 */
const WRITES_PER_SLICE = 2_000;
/** Marks a delete among pending writes (by identity), so one Map lookup tells written, deleted or untouched. */
const DELETED = new Uint8Array(0);
type Database = Level<Buffer, Buffer>;
const BUFFERS = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const;
const TEXT = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const;
function bufferSublevel(db: Database, name: string) {
  return db.sublevel<Buffer, Buffer>(name, BUFFERS);
}
function textSublevel(db: Database, name: string) {
  return db.sublevel<string, string>(name, TEXT);
}
/** A sublevel of the store's database keyed and valued by bytes (data, key-index blocks). */
type BufferSublevel = ReturnType<typeof bufferSublevel>;
/** The sublevel of the store's own bookkeeping (checkpoint, run list), keyed and valued by text. */
type TextSublevel = ReturnType<typeof textSublevel>;

export interface LevelDbOptions {
  /** How keys are found in order: on disk (default) or all in memory; see `KeyIndexKind`. */
  readonly index?: KeyIndexKind;
  /** The memory the read cache shares with other stores' (default: the process's budget). */
  readonly cacheBudget?: CacheBudget;
}

/**
 * A store in one LevelDB database. Reads never wait: writes since the last commit and recently used
 * values are answered from memory (the read cache, within a budget shared by all stores), the rest
 * with LevelDB's synchronous `getSync`. Range scans walk the key index (`KeyIndex`: on disk, or for
 * window and session stores in memory) and read each key's value the same way. Writes stay in memory
 * until `commit`, which writes them, the key index's changes and the changelog offset they correspond
 * to in one atomic batch, so data, index and checkpoint can never disagree after a crash.
 */
export class LevelDbBytesStore implements KeyValueBytesStore {
  readonly persistent = true;
  private readonly db: Level<Buffer, Buffer>;
  private readonly data: BufferSublevel;
  private readonly meta: TextSublevel;
  private readonly blocks: BufferSublevel;
  private index!: KeyIndex;
  /**
   * Holds only present keys, each with its latest value: writes keep it current and deletes (including
   * range deletes) remove from it, so a hit needs no other check.
   */
  private readonly readCache: ReadCache<Uint8Array>;
  /** Writes since the last commit took its batch; DELETED marks deletes. */
  private dirty = new Map<BinaryKey, Uint8Array>();
  /** The batch being written, answering reads until it is on disk. */
  private flushing: Map<BinaryKey, Uint8Array> | undefined;
  private committing: Promise<void> = Promise.resolve();
  private savedCheckpoint: Offset | undefined;
  private closed = false;
  /** A bulk load under way: the store answers nothing until it finishes. */
  private bulk: LevelDbBulkLoad | undefined;

  private constructor(
    db: Level<Buffer, Buffer>,
    sublevels: { data: BufferSublevel; meta: TextSublevel; blocks: BufferSublevel },
    checkpoint: Offset | undefined,
    budget: CacheBudget,
  ) {
    this.db = db;
    this.data = sublevels.data;
    this.meta = sublevels.meta;
    this.blocks = sublevels.blocks;
    this.savedCheckpoint = checkpoint;
    this.readCache = new ReadCache(budget, cachedValueBytes);
  }

  static async open(directory: string, options: LevelDbOptions = {}): Promise<LevelDbBytesStore> {
    const db = new Level<Buffer, Buffer>(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (cause) {
      throw new StoreError(`cannot open LevelDB store at ${directory}: ${errorMessage(cause)}`, {
        cause,
      });
    }
    // The sublevels read below are open once these reads return; a sublevel made later opens only on a
    // later tick, and until then its synchronous `getSync` refuses to answer.
    const data = bufferSublevel(db, 'd');
    const blocks = bufferSublevel(db, 'x');
    const meta = textSublevel(db, 'm');
    const saved = await meta.get(CHECKPOINT_KEY);
    const store = new LevelDbBytesStore(
      db,
      { data, meta, blocks },
      saved === undefined ? undefined : parseOffset(saved),
      options.cacheBudget ?? processCacheBudget,
    );
    try {
      store.index = await store.openIndex(options.index ?? 'runs', await meta.get(RUNS_KEY), options);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private async openIndex(
    kind: KeyIndexKind,
    runList: string | undefined,
    options: LevelDbOptions,
  ): Promise<KeyIndex> {
    const meta = this.meta;
    if (kind === 'memory') {
      const keys = binaryKeyTree<undefined>();
      for await (const key of this.data.keys()) keys.set(key.toString('latin1'), undefined);
      // Runs written before are stale once this index is in use: a later open with runs rebuilds them.
      if (runList !== undefined) await meta.del(RUNS_KEY);
      return new MemoryKeyIndex(keys);
    }
    const blocks = this.blocks;
    const storage: RunStorage = {
      readBlock: (key) => blocks.getSync(asBuffer(key)),
      writeBlocks: async (entries) => {
        if (entries.length === 0) return;
        const batch = blocks.batch();
        for (const [key, value] of entries) batch.put(asBuffer(key), asBuffer(value));
        await batch.write();
      },
      deleteBlocks: (gte, lt) =>
        blocks.clear({
          ...(gte === undefined ? {} : { gte: asBuffer(gte) }),
          ...(lt === undefined ? {} : { lt: asBuffer(lt) }),
        }),
      exclusive: (task) => this.exclusive(task),
      saveRunList: (list) => meta.put(RUNS_KEY, list),
    };
    const cache = new ReadCache<Block>(options.cacheBudget ?? processCacheBudget, decodedBlockBytes);
    if (runList !== undefined) return KeyRuns.open(storage, runList, cache);
    // Data without a run list was written before this index existed (or under the memory index).
    const keys = (async function* (data: BufferSublevel) {
      for await (const key of data.keys()) yield key.toString('latin1');
    })(this.data);
    return KeyRuns.build(storage, keys, cache);
  }

  get checkpoint(): Offset | undefined {
    return this.savedCheckpoint;
  }

  get(key: BinaryKey): Uint8Array | undefined {
    if (this.bulk) throw loading();
    const pending = this.dirty.get(key);
    if (pending !== undefined) return pending === DELETED ? undefined : pending;
    const cached = this.readCache.get(key);
    if (cached !== undefined) return cached;
    // The index before the batch in flight: a range deleted meanwhile is gone from the index only.
    if (!this.index.mayHold(key)) return undefined;
    const flushing = this.flushing?.get(key);
    if (flushing !== undefined) return flushing === DELETED ? undefined : flushing;
    const value = this.data.getSync(Buffer.from(key, 'latin1'));
    if (value !== undefined) this.readCache.set(key, value);
    return value;
  }

  put(key: BinaryKey, value: Uint8Array | undefined): void {
    this.write(key, value, value);
  }

  /**
   * As `put`, without keeping the value in the read cache: a restore writes every key once and reads
   * none back, so caching its values would only cost time and evict what the cache holds. With values
   * of this store cached (a standby replica that was read), the value is cached as by `put`, copied:
   * a restored value may share its memory with others (Node's buffer pool), which the cache must not
   * keep alive.
   */
  putRestored(key: BinaryKey, value: Uint8Array | undefined): void {
    this.write(key, value, value === undefined || this.readCache.empty ? undefined : new Uint8Array(value));
  }

  /** `cached`: the value to keep in the read cache, if any. */
  private write(key: BinaryKey, value: Uint8Array | undefined, cached: Uint8Array | undefined): void {
    this.assertOpen();
    const pending = this.dirty.get(key);
    if (value === undefined) {
      if (pending === DELETED) return;
      this.dirty.set(key, DELETED);
      this.index.removed(key);
      this.readCache.delete(key);
      return;
    }
    // A key written or cached before is in the index already: overwrites leave the index alone.
    const known = (pending !== undefined && pending !== DELETED) || this.readCache.peek(key) !== undefined;
    this.dirty.set(key, value);
    if (!known) this.index.added(key);
    if (cached !== undefined) this.readCache.set(key, cached);
  }

  range(bounds: KeyBounds, reverse = false): IterableIterator<[BinaryKey, Uint8Array]> {
    if (this.bulk) throw loading();
    return this.valuesOf(this.index.keys(bounds, reverse));
  }

  /**
   * Deletes each key of the range the index holds, as `put(key, undefined)` does: the deletes go into
   * the next commit's one batch with its writes and checkpoint, so a crash never leaves a range cleared
   * under an older checkpoint. Writes made after this call replace the deletes of their keys.
   */
  deleteRange(bounds: KeyBounds): void {
    this.assertOpen();
    // The keys are taken first: deleting changes the index being read.
    for (const key of [...this.index.keys(bounds, false)]) this.put(key, undefined);
  }

  size(): number {
    if (this.bulk) throw loading();
    return this.index.size();
  }

  /**
   * Starts loading changelog records in bulk (see `BulkLoad`); undefined when the store holds
   * uncommitted writes (a bulk load writes around them).
   */
  async bulkLoad(): Promise<BulkLoad | undefined> {
    this.assertOpen();
    if (this.dirty.size > 0 || this.flushing) return undefined;
    // The load writes around the read cache: what it holds may be overwritten or deleted.
    this.readCache.clear();
    const blocks = { sublevel: this.blocks };
    const meta = { sublevel: this.meta };
    const bulk = new LevelDbBulkLoad({
      batch: () => this.db.batch(),
      dataPrefix: Buffer.from(this.data.prefix, 'latin1'),
      // The store's index as it is when read: the load only adds to it.
      index: () => this.index,
      addBlock: (batch, key, value) => batch.put(asBuffer(key), asBuffer(value), blocks),
      addBookkeeping: (batch, runList, checkpoint) => {
        if (runList !== undefined) batch.put(RUNS_KEY, runList, meta);
        batch.put(CHECKPOINT_KEY, formatOffset(checkpoint), meta);
      },
      exclusive: (task) => this.exclusive(task),
      finished: (checkpoint) => {
        this.savedCheckpoint = checkpoint;
        this.bulk = undefined;
      },
    });
    this.bulk = bulk;
    return bulk;
  }

  /** The key index (tests look at it). */
  get keyIndex(): KeyIndex {
    return this.index;
  }

  /** Writes everything since the last commit and the checkpoint in one batch; commits run one at a time. */
  commit(checkpoint: Offset | undefined, prepare?: () => void): Promise<void> {
    // A failed commit was reported to its caller; it must not stop the commits queued after it.
    this.committing = this.committing
      .catch(() => undefined)
      .then(() => {
        prepare?.();
        return this.writeBatch(checkpoint);
      });
    return this.committing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.bulk?.abandon();
    // The index first: a merge in progress stops, and its last step may still queue behind the commits.
    await this.index?.close();
    await this.committing.catch(() => undefined);
    this.closed = true;
    this.readCache.release();
    await this.db.close();
  }

  /** Runs `task` after the commits queued so far and before any queued later. */
  private exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.committing.catch(() => undefined).then(task);
    this.committing = run;
    return run;
  }

  private async writeBatch(checkpoint: Offset | undefined): Promise<void> {
    if (this.dirty.size === 0 && checkpoint === this.savedCheckpoint) return;
    this.assertOpen();
    const batch = this.dirty;
    this.flushing = batch;
    this.dirty = new Map();
    // The index's changes are taken with the data's: writes made while the batch is built go to the next.
    this.index.beginFlush();
    try {
      await this.writeChained(batch, checkpoint);
    } catch (cause) {
      // Put the batch back so nothing is lost; the caller decides whether to retry or fail the task.
      // A put whose key left the index meanwhile was dropped by a range delete: it stays dropped.
      this.index.flushed(false);
      for (const [key, value] of batch)
        if (!this.dirty.has(key) && (value === DELETED || this.index.mayHold(key)))
          this.dirty.set(key, value);
      throw new StoreError(`writing to LevelDB failed: ${errorMessage(cause)}`, {
        cause,
        retriable: true,
      });
    } finally {
      this.flushing = undefined;
    }
    this.index.flushed(true);
    // The read cache needs nothing: it took every value when it was written.
    if (checkpoint !== undefined) this.savedCheckpoint = checkpoint;
  }

  /** One atomic write of the data and the checkpoint. */
  private async writeChained(
    batch: Map<BinaryKey, Uint8Array>,
    checkpoint: Offset | undefined,
  ): Promise<void> {
    // A chained batch: the array form clones and re-validates every operation first (measured at about
    // 1.2 µs of CPU per write chained against 1.8 µs as an array).
    const write = this.db.batch();
    let built = false;
    try {
      // Data keys are prefixed here, in one buffer each, rather than by the sublevel (a copy more).
      const prefix = this.data.prefix;
      let added = 0;
      for (const [key, value] of batch) {
        const keyBytes = Buffer.from(prefix + key, 'latin1');
        if (value === DELETED) write.del(keyBytes);
        else write.put(keyBytes, asBuffer(value));
        // `batch` is the map taken for this commit: nothing changes it while this yields.
        if (++added % WRITES_PER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const blocks = { sublevel: this.blocks };
      const runList = await this.index.flush(
        (key, value) => write.put(asBuffer(key), asBuffer(value), blocks),
        () =>
          ++added % WRITES_PER_SLICE === 0 ? new Promise((resolve) => setImmediate(resolve)) : undefined,
      );
      const meta = { sublevel: this.meta };
      if (runList !== undefined) write.put(RUNS_KEY, runList, meta);
      if (checkpoint !== undefined) write.put(CHECKPOINT_KEY, formatOffset(checkpoint), meta);
      built = true;
    } finally {
      // A batch that failed while being built is released; one that fails to write closes itself.
      if (!built) await write.close().catch(() => undefined);
    }
    await write.write();
  }

  private *valuesOf(keys: Iterable<BinaryKey>): IterableIterator<[BinaryKey, Uint8Array]> {
    for (const key of keys) {
      const value = this.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('the store is closed');
    if (this.bulk) throw loading();
  }
}

function loading(): StoreError {
  return new StoreError('the store is being loaded in bulk (a restore) and answers nothing until it ends');
}
