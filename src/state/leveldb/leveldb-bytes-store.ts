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
  private committing: Promise<void> = Promise.resolve();
  private savedCheckpoint: number | undefined;
  private closed = false;

  private constructor(
    db: Level<Buffer, Buffer>,
    keys: BTree<BinaryKey, undefined>,
    checkpoint: number | undefined,
    options: LevelDbOptions,
  ) {
    this.db = db;
    this.data = db.sublevel('d', { keyEncoding: 'buffer', valueEncoding: 'buffer' }) as unknown as Sublevel;
    this.meta = db.sublevel('m', { keyEncoding: 'utf8', valueEncoding: 'utf8' }) as unknown as Sublevel;
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
    const data = db.sublevel<Buffer, Buffer>('d', { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const meta = db.sublevel<string, string>('m', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    const keys = new BTree<BinaryKey, undefined>();
    for await (const key of data.keys()) keys.set(key.toString('latin1'), undefined);
    const saved = await meta.get(CHECKPOINT_KEY);
    return new LevelDbBytesStore(db, keys, saved === undefined ? undefined : Number(saved), options);
  }

  get checkpoint(): number | undefined {
    return this.savedCheckpoint;
  }

  get(key: BinaryKey): Uint8Array | undefined {
    if (this.dirty.has(key)) return this.dirty.get(key);
    if (this.flushing?.has(key)) return this.flushing.get(key);
    if (!this.keys.has(key)) return undefined;
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

  size(): number {
    return this.keys.size;
  }

  /** Writes everything since the last commit and the checkpoint in one batch; commits run one at a time. */
  commit(checkpoint: number | undefined): Promise<void> {
    this.committing = this.committing.then(() => this.writeBatch(checkpoint));
    return this.committing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.committing.catch(() => undefined);
    this.closed = true;
    await this.db.close();
  }

  private async writeBatch(checkpoint: number | undefined): Promise<void> {
    if (this.dirty.size === 0 && checkpoint === this.savedCheckpoint) return;
    this.assertOpen();
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
      await this.db.batch(operations as never);
    } catch (cause) {
      // Put the batch back so nothing is lost; the caller decides whether to retry or fail the task.
      for (const [key, value] of batch) if (!this.dirty.has(key)) this.dirty.set(key, value);
      throw new StoreError(`writing to LevelDB failed: ${(cause as Error).message}`, {
        cause,
        retriable: true,
      });
    } finally {
      this.flushing = undefined;
    }
    for (const [key, value] of batch) {
      if (value === undefined) this.readCache.delete(key);
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
