import { Level } from 'level';
import { StoreError } from '../../errors.ts';
import { collectRange } from '../memory/memory-bytes-store.ts';
import { BTree } from '../sorted-tree.ts';
import type { BinaryKey, KeyBounds, KeyValueBytesStore } from '../bytes.ts';

const CHECKPOINT_KEY = 'changelog-offset';
type Sublevel = ReturnType<Level<Buffer, Buffer>['sublevel']>;
/** One write of an atomic batch spanning the data and meta sublevels. */
interface BatchOperation {
  readonly type: 'put' | 'del';
  readonly key: Buffer | string;
  readonly value?: Buffer | string;
  readonly sublevel: Sublevel;
}

export interface LevelDbOptions {
  /** Recently read or committed values kept in memory, so hot keys do not go to disk on every read. */
  readonly readCacheEntries?: number;
}

/**
 * A store in one LevelDB database. Reads never wait: writes since the last commit are answered from
 * memory, the rest with LevelDB's synchronous `getSync`, and the sorted index of keys held in memory
 * answers misses and range scans without touching the disk. Writes stay in memory until `commit`,
 * which writes them and the changelog offset they correspond to in one atomic batch, so data and
 * checkpoint can never disagree after a crash.
 */
export class LevelDbBytesStore implements KeyValueBytesStore {
  readonly persistent = true;
  private readonly db: Level<Buffer, Buffer>;
  private readonly data: Sublevel;
  private readonly meta: Sublevel;
  private readonly keys: BTree<BinaryKey, undefined>;
  private readonly readCache = new Map<BinaryKey, Uint8Array>();
  private readonly readCacheEntries: number;
  private dirty = new Map<BinaryKey, Uint8Array | undefined>();
  private flushing: Map<BinaryKey, Uint8Array | undefined> | undefined;
  /** Key ranges deleted since the last commit, cleared on disk by the next one (first and last key held). */
  private pendingClears: { gte: BinaryKey; lte: BinaryKey }[] = [];
  private committing: Promise<void> = Promise.resolve();
  private savedCheckpoint: number | undefined;
  private closed = false;

  private constructor(
    db: Level<Buffer, Buffer>,
    sublevels: { data: Sublevel; meta: Sublevel },
    keys: BTree<BinaryKey, undefined>,
    checkpoint: number | undefined,
    options: LevelDbOptions,
  ) {
    this.db = db;
    this.data = sublevels.data;
    this.meta = sublevels.meta;
    this.keys = keys;
    this.savedCheckpoint = checkpoint;
    this.readCacheEntries = options.readCacheEntries ?? 10_000;
  }

  static async open(directory: string, options: LevelDbOptions = {}): Promise<LevelDbBytesStore> {
    const db = new Level<Buffer, Buffer>(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (cause) {
      throw new StoreError(`cannot open LevelDB store at ${directory}: ${(cause as Error).message}`, {
        cause,
      });
    }
    // The sublevels read below are open once these reads return; a sublevel made later opens only on a
    // later tick, and until then its synchronous `getSync` refuses to answer.
    const data = db.sublevel<Buffer, Buffer>('d', { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const meta = db.sublevel<string, string>('m', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    const keys = new BTree<BinaryKey, undefined>();
    for await (const key of data.keys()) keys.set(key.toString('latin1'), undefined);
    const saved = await meta.get(CHECKPOINT_KEY);
    return new LevelDbBytesStore(
      db,
      { data: data as unknown as Sublevel, meta: meta as unknown as Sublevel },
      keys,
      saved === undefined ? undefined : Number(saved),
      options,
    );
  }

  get checkpoint(): number | undefined {
    return this.savedCheckpoint;
  }

  get(key: BinaryKey): Uint8Array | undefined {
    if (this.dirty.has(key)) return this.dirty.get(key);
    // The index before the batch in flight: a range deleted meanwhile is gone from the index only.
    if (!this.keys.has(key)) return undefined;
    if (this.flushing?.has(key)) return this.flushing.get(key);
    const cached = this.readCache.get(key);
    if (cached !== undefined) return cached;
    const value = (this.data as unknown as Level<Buffer, Buffer>).getSync(Buffer.from(key, 'latin1'));
    if (value !== undefined) this.remember(key, value);
    return value;
  }

  put(key: BinaryKey, value: Uint8Array | undefined): void {
    this.assertOpen();
    this.dirty.set(key, value);
    if (value === undefined) this.keys.delete(key);
    else this.keys.set(key, undefined);
  }

  range(bounds: KeyBounds, reverse = false): IterableIterator<[BinaryKey, Uint8Array]> {
    const keys = collectRange(this.keys, bounds, reverse);
    return this.valuesOf(keys);
  }

  /**
   * Forgets the keys in memory now; on disk the next commit clears the range natively (no delete per key
   * in the batch), just before its batch, so writes made after this call land after the clear.
   */
  deleteRange(bounds: KeyBounds): void {
    this.assertOpen();
    const doomed = collectRange(this.keys, bounds, false);
    if (doomed.length === 0) return;
    for (const [key] of doomed) {
      this.keys.delete(key);
      this.dirty.delete(key);
      this.readCache.delete(key);
    }
    // Every key on disk is in the index (or deleted in `dirty`), so first..last covers all of them.
    this.pendingClears.push({ gte: doomed[0]![0], lte: doomed[doomed.length - 1]![0] });
  }

  size(): number {
    return this.keys.size;
  }

  /** Writes everything since the last commit and the checkpoint in one batch; commits run one at a time. */
  commit(checkpoint: number | undefined, prepare?: () => void): Promise<void> {
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
    await this.committing.catch(() => undefined);
    this.closed = true;
    await this.db.close();
  }

  private async writeBatch(checkpoint: number | undefined): Promise<void> {
    if (this.dirty.size === 0 && this.pendingClears.length === 0 && checkpoint === this.savedCheckpoint)
      return;
    this.assertOpen();
    const clears = this.pendingClears;
    this.pendingClears = [];
    const batch = this.dirty;
    this.flushing = batch;
    this.dirty = new Map();
    const operations: BatchOperation[] = [];
    for (const [key, value] of batch) {
      const keyBytes = Buffer.from(key, 'latin1');
      if (value === undefined) operations.push({ type: 'del', key: keyBytes, sublevel: this.data });
      else
        operations.push({
          type: 'put',
          key: keyBytes,
          value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
          sublevel: this.data,
        });
    }
    if (checkpoint !== undefined) {
      operations.push({ type: 'put', key: CHECKPOINT_KEY, value: String(checkpoint), sublevel: this.meta });
    }
    try {
      for (const clear of clears)
        await this.data.clear({
          gte: Buffer.from(clear.gte, 'latin1'),
          lte: Buffer.from(clear.lte, 'latin1'),
        });
      await this.db.batch(operations as never);
    } catch (cause) {
      // Put the batch back so nothing is lost; the caller decides whether to retry or fail the task.
      // A put whose key left the index meanwhile was dropped by a range delete: it stays dropped.
      this.pendingClears = clears.concat(this.pendingClears);
      for (const [key, value] of batch)
        if (!this.dirty.has(key) && (value === undefined || this.keys.has(key))) this.dirty.set(key, value);
      throw new StoreError(`writing to LevelDB failed: ${(cause as Error).message}`, {
        cause,
        retriable: true,
      });
    } finally {
      this.flushing = undefined;
    }
    for (const [key, value] of batch) {
      if (value === undefined || !this.keys.has(key)) this.readCache.delete(key);
      else this.remember(key, value);
    }
    if (checkpoint !== undefined) this.savedCheckpoint = checkpoint;
  }

  private *valuesOf(keys: [BinaryKey, undefined][]): IterableIterator<[BinaryKey, Uint8Array]> {
    for (const [key] of keys) {
      const value = this.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  private remember(key: BinaryKey, value: Uint8Array): void {
    if (this.readCacheEntries <= 0) return;
    this.readCache.delete(key);
    this.readCache.set(key, value);
    if (this.readCache.size > this.readCacheEntries)
      this.readCache.delete(this.readCache.keys().next().value!);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('the store is closed');
  }
}
