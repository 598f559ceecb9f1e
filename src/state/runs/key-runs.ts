import { StoreError } from '../../errors.ts';
import type { BinaryKey, KeyBounds } from '../bytes.ts';
import type { KeyIndex } from '../leveldb/key-index.ts';
import type { ReadCache } from '../leveldb/read-cache.ts';
import { collectRange } from '../memory/memory-bytes-store.ts';
import { binaryKeyTree, type BTree } from '../sorted-tree.ts';
import { decodeBlock, type Block } from './block-codec.ts';
import { pickMerge } from './merge-policy.ts';
import { ArraySource, newestWins } from './newest-wins.ts';
import { RunBuilder, type RunDescriptor } from './run-builder.ts';
import { RunCursor, type BlockReader, type SortedSource } from './run-cursor.ts';
import { sortedChanges } from './sorted-changes.ts';

/** What the key index needs from the database it lives in. */
export interface RunStorage {
  /** A block, synchronously (LevelDB's `getSync`); undefined when it is not there. */
  readBlock(key: Uint8Array): Uint8Array | undefined;
  /** Writes blocks of a run nothing refers to yet, in a batch of their own. */
  writeBlocks(blocks: readonly [Uint8Array, Uint8Array][]): Promise<void>;
  /** Deletes the blocks whose keys lie in [gte, lt) (an undefined bound is open). */
  deleteBlocks(gte: Uint8Array | undefined, lt: Uint8Array | undefined): Promise<void>;
  /**
   * Runs `task` between two commits of the store, so that a merge replacing runs and a commit adding
   * one never write the run list at the same time.
   */
  exclusive(task: () => Promise<void>): Promise<void>;
  /** Saves the run list alone (a merge's result); a commit saves it in its own batch instead. */
  saveRunList(list: string): Promise<void>;
}

/** Entries merged between two turns of the event loop, so a large merge never holds it for long. */
const ENTRIES_PER_SLICE = 2_000;
/** Blocks a merge writes per LevelDB batch (about 256 KiB). */
const BLOCKS_PER_WRITE = 64;
/** Changes logged before they are sorted into the pending ones anyway, so the log stays bounded. */
const LOGGED_CHANGES_MAX = 65_536;

/**
 * The sorted index of a store's keys, on disk: what lets a store answer range scans synchronously
 * without holding its keys in memory (LevelDB reads single keys synchronously, but iterates only
 * asynchronously).
 *
 * The index is a log-structured merge of immutable runs, kept in the store's own database. A run is a
 * B+tree of keys (no values) in blocks of about 4 KiB, each read with `getSync` and cached in the
 * store's share of the read cache. A commit writes the keys changed since the last one as a new run,
 * in the same atomic batch as the data, so data and index always agree on disk; a deleted key is
 * written as a tombstone. In the background, runs are merged (see `pickMerge`) so their number stays
 * logarithmic in the store's size. A scan merges the runs it overlaps, newest first, with the changes
 * not yet committed.
 *
 * Only keys whose presence changed need an entry: a put of a key the store knows to be present (its
 * value is cached or was just written) adds none; a put the store cannot tell about adds one, and a
 * merge drops the duplicate.
 */
export class KeyRuns implements KeyIndex {
  /** Keys changed since the last commit took its run: true marks a deletion. */
  private pending: BTree<BinaryKey, boolean> = binaryKeyTree();
  /**
   * Changes newer than `pending`, in the order they were made, not sorted yet: a restore changes tens
   * of thousands of keys between two commits, and sorting them at once (`settle`) costs less than
   * inserting them into the tree one at a time.
   */
  private loggedKeys: BinaryKey[] = [];
  private loggedDeletes: boolean[] = [];
  /** The changes of the commit being written, visible to scans until their run is on disk. */
  private flushing: { changes: BTree<BinaryKey, boolean>; run: RunDescriptor | undefined } | undefined;
  /** Newest first. */
  private runs: readonly RunDescriptor[];
  private nextId: number;
  /** Changes whenever runs are dropped, so scans in progress move to the runs that replaced them. */
  private generation = 0;
  private merging: Promise<void> | undefined;
  private closing = false;
  private readonly storage: RunStorage;
  private readonly cache: ReadCache<Block> | undefined;
  private readonly cachedRead: BlockReader;
  private readonly uncachedRead: BlockReader;

  private constructor(storage: RunStorage, runs: RunDescriptor[], cache: ReadCache<Block> | undefined) {
    this.storage = storage;
    this.runs = runs;
    this.nextId = runs.reduce((max, run) => Math.max(max, run.id + 1), 0);
    this.cache = cache;
    this.uncachedRead = (run, level, number) => this.readBlock(run, level, number);
    this.cachedRead = (run, level, number) => {
      const key = `${run.id}/${level}/${number}`;
      let block = this.cache?.get(key);
      if (block === undefined) {
        block = this.readBlock(run, level, number);
        this.cache?.set(key, block);
      }
      return block;
    };
  }

  /**
   * Opens the index from its saved run list. Blocks of no listed run (a merge cut short by a crash, runs
   * a merge replaced) are deleted first: a handful of range deletes, whatever the store's size.
   */
  static async open(
    storage: RunStorage,
    savedList: string | undefined,
    cache: ReadCache<Block> | undefined,
  ): Promise<KeyRuns> {
    const runs = savedList === undefined ? [] : parseRunList(savedList);
    const ids = runs.map((run) => run.id).sort((a, b) => a - b);
    let from: Uint8Array | undefined;
    for (const id of ids) {
      await storage.deleteBlocks(from, runPrefix(id));
      from = runPrefix(id + 1);
    }
    await storage.deleteBlocks(from, undefined);
    return new KeyRuns(storage, runs, cache);
  }

  /**
   * Builds the index of a store that has data but no run list (written before stores had this index):
   * its keys, read in order once, become the first run.
   */
  static async build(
    storage: RunStorage,
    keys: AsyncIterable<BinaryKey>,
    cache: ReadCache<Block> | undefined,
  ): Promise<KeyRuns> {
    await storage.deleteBlocks(undefined, undefined);
    const blocks: [Uint8Array, Uint8Array][] = [];
    const builder = new RunBuilder((level, number, bytes) =>
      blocks.push([blockKey(0, level, number), bytes]),
    );
    for await (const key of keys) {
      builder.add(key, false);
      if (blocks.length >= BLOCKS_PER_WRITE) await storage.writeBlocks(blocks.splice(0));
    }
    const shape = builder.finish();
    await storage.writeBlocks(blocks);
    const runs = shape ? [{ id: 0, ...shape }] : [];
    await storage.saveRunList(JSON.stringify(runs));
    return new KeyRuns(storage, runs, cache);
  }

  mayHold(): boolean {
    return true;
  }

  /** A key that may have been absent is now present. */
  added(key: BinaryKey): void {
    this.log(key, false);
  }

  /** A key is now absent. */
  removed(key: BinaryKey): void {
    this.log(key, true);
  }

  /** Many changes in order (a bulk load's between two saves): the arrays are kept when nothing else is logged. */
  changed(keys: BinaryKey[], deleted: boolean[]): void {
    if (this.loggedKeys.length === 0) {
      this.loggedKeys = keys;
      this.loggedDeletes = deleted;
    } else
      for (let i = 0; i < keys.length; i++) {
        this.loggedKeys.push(keys[i]!);
        this.loggedDeletes.push(deleted[i]!);
      }
    if (this.loggedKeys.length >= LOGGED_CHANGES_MAX) this.settle();
  }

  private log(key: BinaryKey, deleted: boolean): void {
    this.loggedKeys.push(key);
    this.loggedDeletes.push(deleted);
    if (this.loggedKeys.length >= LOGGED_CHANGES_MAX) this.settle();
  }

  /** Moves the logged changes into `pending`: in bulk when it is empty (a restore's case), else one by one. */
  private settle(): void {
    const keys = this.loggedKeys;
    if (keys.length === 0) return;
    const deletes = this.loggedDeletes;
    this.loggedKeys = [];
    this.loggedDeletes = [];
    if (this.pending.size === 0) {
      this.pending = sortedChanges(keys, deletes);
      return;
    }
    for (let i = 0; i < keys.length; i++) this.pending.set(keys[i]!, deletes[i]!);
  }

  /** About how many keys are present: entries counted per run, less what their tombstones cancel. */
  size(): number {
    this.settle();
    let size = 0;
    for (const run of this.runs) size += run.entries - 2 * run.tombstones;
    for (const tree of [this.flushing?.changes, this.pending])
      tree?.forEachPair((_key, deleted) => {
        size += deleted ? -1 : 1;
      });
    return Math.max(0, size);
  }

  /** The number of runs: what a scan reads besides the uncommitted changes. */
  get runCount(): number {
    return this.runs.length;
  }

  /**
   * The present keys within bounds, in order. The uncommitted changes in the range are taken when this
   * is called, so keys written while iterating do not show up; runs are read as iteration goes.
   */
  keys(bounds: KeyBounds, reverse: boolean): IterableIterator<BinaryKey> {
    this.settle();
    const changes = [this.pending, this.flushing?.changes]
      .filter((tree) => tree !== undefined && tree.size > 0)
      .map((tree) => collectRange(tree!, bounds, reverse));
    return this.scan(bounds, reverse, changes);
  }

  /** Takes the changes since the last commit for the commit taking its batch of data now. */
  beginFlush(): void {
    if (this.flushing) throw new StoreError('key index: a flush is already in progress');
    this.settle();
    this.flushing = { changes: this.pending, run: undefined };
    this.pending = binaryKeyTree();
  }

  /**
   * Writes the changes taken by `beginFlush` as a new run with `put` (into the commit's batch), pausing
   * now and then; returns the run list to save in the same batch, undefined when nothing changed.
   * `flushed` must follow once the batch is written or has failed.
   */
  async flush(
    put: (key: Uint8Array, value: Uint8Array) => void,
    pause: () => Promise<void> | undefined,
  ): Promise<string | undefined> {
    const flushing = this.flushing;
    if (!flushing || flushing.changes.size === 0) return undefined;
    const id = this.nextId++;
    const builder = new RunBuilder((level, number, bytes) => put(blockKey(id, level, number), bytes));
    let added = 0;
    // The changes taken are no longer written to, so iterating them across pauses is safe.
    for (const [key, deleted] of flushing.changes.entries()) {
      builder.add(key, deleted);
      if (++added % ENTRIES_PER_SLICE === 0) await pause();
    }
    flushing.run = { id, ...builder.finish()! };
    return JSON.stringify([flushing.run, ...this.runs]);
  }

  /** Ends a flush: its run joins the index, or (the batch failed) its changes go back to the pending ones. */
  flushed(written: boolean): void {
    const flushing = this.flushing;
    if (!flushing) return;
    this.flushing = undefined;
    if (written && flushing.run) {
      this.runs = [flushing.run, ...this.runs];
      this.startMerging();
    } else {
      // Changes made since the flush began are newer and stay.
      this.settle();
      flushing.changes.forEachPair((key, deleted) => {
        if (!this.pending.has(key)) this.pending.set(key, deleted);
      });
    }
  }

  /** Stops merging (a merge cut short leaves blocks nothing refers to, deleted at the next open). */
  async close(): Promise<void> {
    this.closing = true;
    await this.merging;
    this.cache?.release();
  }

  /** The merge running in the background, if any (tests wait for it). */
  get mergeInProgress(): Promise<void> | undefined {
    return this.merging;
  }

  private *scan(
    bounds: KeyBounds,
    reverse: boolean,
    changes: [BinaryKey, boolean][][],
  ): IterableIterator<BinaryKey> {
    const stop = reverse
      ? (key: BinaryKey) => bounds.gte !== undefined && key < bounds.gte
      : (key: BinaryKey) =>
          (bounds.lt !== undefined && key >= bounds.lt) || (bounds.lte !== undefined && key > bounds.lte);
    let after: BinaryKey | undefined;
    for (;;) {
      // Runs are read from a generation of the list; when a merge replaced some meanwhile, the scan
      // goes on from the last key it returned in the runs that replaced them.
      const generation = this.generation;
      const sources: SortedSource[] = changes.map((entries) => {
        const source = new ArraySource(entries);
        if (after !== undefined)
          while (source.key !== undefined && !beyond(source.key, after, reverse)) source.next();
        return source;
      });
      for (const run of this.runs) {
        if (!overlaps(run, bounds)) continue;
        const cursor = new RunCursor(run, this.cachedRead, reverse);
        if (after !== undefined) cursor.seek(after, false);
        else
          cursor.seek(
            reverse ? (bounds.lt ?? bounds.lte) : bounds.gte,
            reverse ? bounds.lt === undefined : true,
          );
        sources.push(cursor);
      }
      for (const [key, deleted] of newestWins(sources, reverse, stop)) {
        after = key;
        if (!deleted) yield key;
        // Checked before the merge reads on: the blocks of replaced runs may be gone.
        if (this.generation !== generation) break;
      }
      if (this.generation === generation) return;
    }
  }

  private readBlock(run: RunDescriptor, level: number, number: number): Block {
    const bytes = this.storage.readBlock(blockKey(run.id, level, number));
    if (bytes === undefined)
      throw new StoreError(`key index: block ${level}/${number} of run ${run.id} is missing`);
    return decodeBlock(bytes);
  }

  private startMerging(): void {
    if (this.merging || this.closing || !pickMerge(this.runs)) return;
    this.merging = this.mergeWhileNeeded()
      // A failed merge loses nothing (the runs it read stay in place); the next commit tries again.
      .catch(() => undefined)
      .finally(() => {
        this.merging = undefined;
      });
  }

  private async mergeWhileNeeded(): Promise<void> {
    for (let group = pickMerge(this.runs); group && !this.closing; group = pickMerge(this.runs))
      await this.merge(group);
  }

  /** Merges runs that are adjacent in age into one, written beside them, then swapped in. */
  private async merge(group: RunDescriptor[]): Promise<void> {
    const id = this.nextId++;
    // Tombstones hide older entries; with the oldest run in the merge there are none left to hide.
    const oldest = group[group.length - 1] === this.runs[this.runs.length - 1];
    const cursors = group.map((run) => new RunCursor(run, this.uncachedRead, false).seek(undefined, true));
    const blocks: [Uint8Array, Uint8Array][] = [];
    const builder = new RunBuilder((level, number, bytes) =>
      blocks.push([blockKey(id, level, number), bytes]),
    );
    let merged = 0;
    for (const [key, deleted] of newestWins(cursors, false)) {
      if (!(deleted && oldest)) builder.add(key, deleted);
      if (++merged % ENTRIES_PER_SLICE !== 0) continue;
      if (blocks.length >= BLOCKS_PER_WRITE) await this.storage.writeBlocks(blocks.splice(0));
      await new Promise((resolve) => setImmediate(resolve));
      if (this.closing) return;
    }
    const shape = builder.finish();
    await this.storage.writeBlocks(blocks.splice(0));
    await this.storage.exclusive(async () => {
      if (this.closing) return;
      const at = this.runs.indexOf(group[0]!);
      if (at < 0 || group.some((run, i) => this.runs[at + i] !== run))
        throw new StoreError('key index: the runs being merged changed');
      const runs = [
        ...this.runs.slice(0, at),
        ...(shape ? [{ id, ...shape }] : []),
        ...this.runs.slice(at + group.length),
      ];
      await this.storage.saveRunList(JSON.stringify(runs));
      this.runs = runs;
      this.generation++;
    });
    if (this.closing) return;
    for (const run of group) await this.storage.deleteBlocks(runPrefix(run.id), runPrefix(run.id + 1));
  }
}

/** A block's key: the run id (4 bytes), the level (1 byte) and its number on the level (4 bytes). */
export function blockKey(run: number, level: number, number: number): Uint8Array {
  const key = new Uint8Array(9);
  const view = new DataView(key.buffer);
  view.setUint32(0, run);
  view.setUint8(4, level);
  view.setUint32(5, number);
  return key;
}

function runPrefix(run: number): Uint8Array {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, run);
  return key;
}

function overlaps(run: RunDescriptor, bounds: KeyBounds): boolean {
  if (bounds.gte !== undefined && run.last < bounds.gte) return false;
  if (bounds.lt !== undefined && run.first >= bounds.lt) return false;
  if (bounds.lte !== undefined && run.first > bounds.lte) return false;
  return true;
}

function beyond(key: BinaryKey, after: BinaryKey, reverse: boolean): boolean {
  return reverse ? key < after : key > after;
}

function parseRunList(saved: string): RunDescriptor[] {
  const runs = JSON.parse(saved) as RunDescriptor[];
  if (!Array.isArray(runs)) throw new StoreError('key index: the saved run list is not a list');
  return runs;
}
