import type { Level } from 'level';
import { errorMessage, StoreError } from '../../errors.ts';
import type { Offset } from '../../common/offset.ts';
import type { BulkLoad } from '../bytes.ts';
import type { KeyIndex } from './key-index.ts';
import { asBuffer } from '../../common/bytes.ts';

/** A batch of a store's database. */
export type StoreBatch = ReturnType<Level<Buffer, Buffer>['batch']>;

/** What a bulk load needs from its store. */
export interface BulkLoadStore {
  /** A new batch of the store's database. */
  batch(): StoreBatch;
  /** The data keys' prefix in the database (the data sublevel's). */
  readonly dataPrefix: Buffer;
  /** The store's key index: told of every key put or deleted, flushed into each save's batch. */
  index(): KeyIndex;
  /** Adds to a batch a key-index block (the index's `flush`). */
  addBlock(batch: StoreBatch, key: Uint8Array, value: Uint8Array): void;
  /** Adds to a batch what a save writes besides data and blocks: the run list, if new, and the checkpoint. */
  addBookkeeping(batch: StoreBatch, runList: string | undefined, checkpoint: Offset): void;
  /** Runs `task` after the store's earlier writes and before later ones. */
  exclusive(task: () => Promise<void>): Promise<void>;
  /** Ends the load: the checkpoint on disk is now `checkpoint`. */
  finished(checkpoint: Offset): void;
}

/**
 * Records put between two saves. Each save writes a run of the key index, which background merges
 * rewrite about once per size tier: fewer, larger runs cost less (measured about 14% less CPU per
 * restored record at 50,000 than at 10,000; docs/benchmarks.md). What it holds until the save is in
 * LevelDB's batch, bounded by `SAVE_BYTES` too.
 */
export const BULK_RECORDS_PER_SAVE = 50_000;
/** Bytes of keys and values put after which a save is due, whatever the records. */
export const SAVE_BYTES = 4 * 1024 * 1024;

/**
 * A bulk load into a LevelDB store: each record goes straight into a LevelDB batch, with no map of
 * pending writes (which only serves reads, and nothing reads a store being restored) and no copy of
 * the batch at commit; every `save` adds the key index's changes since the last one (a run, as a
 * commit does) and the checkpoint to the batch and writes it. So data, index and checkpoint agree on
 * disk after every save, as after a commit.
 *
 * (Building the key index once at the end from the keys on disk instead was measured slower:
 * LevelDB's iterator hands over each key as a new buffer, about 1 to 1.6 µs per key.)
 */
export class LevelDbBulkLoad implements BulkLoad {
  private readonly store: BulkLoadStore;
  private readonly prefix: Buffer;
  private batch: StoreBatch;
  /** The keys put since the last save (binary keys), and whether each was deleted. */
  private keys: string[] = [];
  private deletes: boolean[] = [];
  /** Bytes of keys and values put since the last save. */
  private unsavedBytes = 0;
  readonly recordsPerSave = BULK_RECORDS_PER_SAVE;
  private written: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(store: BulkLoadStore) {
    this.store = store;
    this.prefix = store.dataPrefix;
    this.batch = store.batch();
  }

  put(key: Uint8Array, value: Uint8Array | null): void {
    // One buffer from Node's pool per key: the batch copies it at once (LevelDB's WriteBatch).
    const prefixed = Buffer.allocUnsafe(this.prefix.length + key.byteLength);
    this.prefix.copy(prefixed, 0);
    prefixed.set(key, this.prefix.length);
    // The index's binary key: the key's bytes as latin1 chars.
    this.keys.push(prefixed.toString('latin1', this.prefix.length));
    this.deletes.push(value === null);
    this.unsavedBytes += prefixed.length + (value?.byteLength ?? 0);
    if (value === null) this.batch.del(prefixed);
    else this.batch.put(prefixed, asBuffer(value));
  }

  saveDue(): boolean {
    return this.unsavedBytes >= SAVE_BYTES;
  }

  save(checkpoint: Offset): void {
    const { batch, keys, deletes } = this;
    this.batch = this.store.batch();
    this.keys = [];
    this.deletes = [];
    this.unsavedBytes = 0;
    this.written = this.store.exclusive(async () => {
      const index = this.store.index();
      if (this.failure) {
        await batch.close();
        return;
      }
      // The index takes this save's keys only now, after the earlier saves' flushes: one at a time.
      index.changed(keys, deletes);
      index.beginFlush();
      try {
        // The index pauses every so many entries (ENTRIES_PER_SLICE in key-runs.ts): each pause
        // gives the event loop a turn.
        const runList = await index.flush(
          (key, value) => this.store.addBlock(batch, key, value),
          () => new Promise((resolve) => setImmediate(resolve)),
        );
        this.store.addBookkeeping(batch, runList, checkpoint);
        await batch.write();
        index.flushed(true);
      } catch (cause) {
        index.flushed(false);
        await batch.close().catch(() => undefined);
        this.failure = new StoreError(`writing to LevelDB failed: ${errorMessage(cause)}`, {
          cause,
          retriable: true,
        });
      }
    });
  }

  async finish(checkpoint: Offset): Promise<void> {
    this.save(checkpoint);
    await this.written;
    if (this.failure) throw this.failure;
    this.store.finished(checkpoint);
  }

  /** Drops what was not saved (the store is closing with the load unfinished). */
  async abandon(): Promise<void> {
    await this.written;
    await this.batch.close();
  }
}
