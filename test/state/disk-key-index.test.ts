import { toOffset } from '../../src/common/offset.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prefixUpperBound, type KeyBounds } from '../../src/state/bytes.ts';
import { LevelDbBytesStore, type LevelDbOptions } from '../../src/state/leveldb/leveldb-bytes-store.ts';
import { CacheBudget } from '../../src/state/leveldb/read-cache.ts';
import { KeyRuns } from '../../src/state/runs/key-runs.ts';

const text = (value: string) => new Uint8Array(Buffer.from(value));
const read = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : Buffer.from(value).toString();
const key = (i: number) => `key-${String(i).padStart(6, '0')}`;

const directories: string[] = [];
const stores: LevelDbBytesStore[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.allSettled(stores.splice(0).map((s) => s.close()));
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function directory(): string {
  const made = mkdtempSync(join(tmpdir(), 'tributary-runs-'));
  directories.push(made);
  return made;
}

async function open(at: string, options: LevelDbOptions = {}): Promise<LevelDbBytesStore> {
  const store = await LevelDbBytesStore.open(at, options);
  stores.push(store);
  return store;
}

async function reopen(store: LevelDbBytesStore, at: string, options: LevelDbOptions = {}) {
  await store.close();
  return open(at, options);
}

function runsOf(store: LevelDbBytesStore): KeyRuns {
  const index = store.keyIndex;
  expect(index).toBeInstanceOf(KeyRuns);
  return index as KeyRuns;
}

/** Waits until no merge of runs is going on. */
async function merged(store: LevelDbBytesStore): Promise<void> {
  for (let merge = runsOf(store).mergeInProgress; merge; merge = runsOf(store).mergeInProgress) await merge;
}

/** Counts the LevelDB iterators made from now on (key, value and entry iterators, of any sublevel). */
function countIterators(store: LevelDbBytesStore): () => number {
  const spies: { mock: { calls: unknown[] } }[] = [];
  let proto = Object.getPrototypeOf((store as unknown as { db: object }).db) as object | null;
  for (; proto; proto = Object.getPrototypeOf(proto) as object | null)
    for (const name of ['iterator', 'keys', 'values'] as const)
      if (Object.hasOwn(proto, name)) spies.push(vi.spyOn(proto as Record<string, () => unknown>, name));
  expect(spies.length).toBeGreaterThan(0);
  return () => spies.reduce((n, spy) => n + spy.mock.calls.length, 0);
}

const keysOf = (entries: Iterable<[string, Uint8Array]>) => [...entries].map(([k]) => k);

describe('key-value store with its key index on disk', () => {
  it('reopens without reading its keys, and answers reads and ranges from disk', async () => {
    const at = directory();
    let store = await open(at);
    const count = 20_000;
    for (let i = 0; i < count; i++) {
      store.put(key(i), text(`value-${i}`));
      if ((i + 1) % 2_000 === 0) await store.commit(toOffset(i));
    }
    await merged(store);
    await store.close();

    const iterators = countIterators(store);
    const budget = new CacheBudget(256 * 1024);
    store = await open(at, { cacheBudget: budget });
    expect(iterators()).toBe(0);
    expect(runsOf(store).runCount).toBeLessThanOrEqual(4);
    expect(store.size()).toBe(count);

    expect(read(store.get(key(12_345)))).toBe('value-12345');
    expect(store.get('key-x')).toBeUndefined();
    expect(keysOf(store.range({ gte: key(9_990), lt: key(10_010) }))).toEqual(
      Array.from({ length: 20 }, (_, i) => key(9_990 + i)),
    );
    expect(keysOf(store.range({ gte: key(5), lte: key(7) }, true))).toEqual([key(7), key(6), key(5)]);
    const prefix = 'key-0199';
    expect(keysOf(store.range({ gte: prefix, lt: prefixUpperBound(prefix) }))).toHaveLength(100);
    // A scan of every key holds no more than the cache budget: keys and values stream from disk.
    let scanned = 0;
    let previous = '';
    for (const [k, value] of store.range({})) {
      expect(k > previous).toBe(true);
      expect(read(value)).toBe(`value-${k.slice(4).replace(/^0+(?=.)/, '')}`);
      previous = k;
      scanned++;
    }
    expect(scanned).toBe(count);
    expect(budget.bytes).toBeLessThanOrEqual(budget.limit);
    expect(iterators()).toBe(0);
  });

  it('(a store keeping its keys in memory reads them all at open, for contrast)', async () => {
    const at = directory();
    const store = await open(at, { index: 'memory' });
    store.put('a', text('1'));
    await store.commit(toOffset(1));
    const iterators = countIterators(store);
    await reopen(store, at, { index: 'memory' });
    expect(iterators()).toBeGreaterThan(0);
  });

  it('lets uncommitted writes and deletes override what is on disk, and committed deletes hide older runs', async () => {
    const at = directory();
    let store = await open(at);
    for (const k of ['a', 'b', 'c', 'd', 'e']) store.put(k, text(`${k}1`));
    await store.commit(toOffset(1));
    store.put('b', undefined);
    store.put('d', text('d2'));
    await store.commit(toOffset(2));
    store = await reopen(store, at);
    // Two runs on disk: the newer one holds b's tombstone; nothing of either is in memory.
    expect(runsOf(store).runCount).toBe(2);
    expect(keysOf(store.range({}))).toEqual(['a', 'c', 'd', 'e']);
    store.put('c', undefined);
    store.put('b', text('b3'));
    store.put('f', text('f3'));
    const entries = (bounds: KeyBounds, reverse = false) =>
      [...store.range(bounds, reverse)].map(([k, v]) => `${k}=${read(v)}`);
    expect(entries({})).toEqual(['a=a1', 'b=b3', 'd=d2', 'e=e1', 'f=f3']);
    expect(entries({ gte: 'b', lt: 'e' }, true)).toEqual(['d=d2', 'b=b3']);
    expect(store.size()).toBe(5);
    await store.commit(toOffset(3));
    expect(entries({ lte: 'c' })).toEqual(['a=a1', 'b=b3']);
    store = await reopen(store, at);
    expect(entries({})).toEqual(['a=a1', 'b=b3', 'd=d2', 'e=e1', 'f=f3']);
  });

  it('keeps writes made while a commit builds its batch out of that commit, in the index as in the data', async () => {
    const at = directory();
    let store = await open(at);
    // Enough writes that building the batch pauses in between, letting processing go on meanwhile.
    for (let i = 0; i < 5_000; i++) store.put(key(i), text('x'));
    const committing = store.commit(toOffset(1));
    for (let i = 0; i < 100 && (store as unknown as { flushing?: unknown }).flushing === undefined; i++)
      await Promise.resolve();
    store.put(key(0), undefined);
    store.put('later', text('y'));
    await committing;
    // Not committed: after a restart the store is what the commit wrote, keys and index alike.
    await store.close();
    store = await open(at);
    expect(read(store.get(key(0)))).toBe('x');
    expect(store.get('later')).toBeUndefined();
    const keys = keysOf(store.range({}));
    expect(keys).toHaveLength(5_000);
    expect(keys[0]).toBe(key(0));
  });

  it('drops tombstones once a merge reaches the oldest run', async () => {
    const at = directory();
    const store = await open(at);
    for (let i = 0; i < 100; i++) store.put(key(i), text('x'));
    await store.commit(toOffset(0));
    for (let round = 1; round <= 3; round++) {
      for (let i = round; i < 100; i += 4) store.put(key(i), undefined);
      await store.commit(toOffset(round));
    }
    await merged(store);
    const runs = runsOf(store);
    expect(runs.runCount).toBe(1);
    expect(store.size()).toBe(25 + 0);
    const listed = JSON.parse(
      (store as unknown as { meta: { getSync: (k: string) => string } }).meta.getSync('key-runs'),
    ) as { entries: number; tombstones: number }[];
    expect(listed).toEqual([expect.objectContaining({ entries: 25, tombstones: 0 })]);
    expect(keysOf(store.range({}))).toEqual(Array.from({ length: 25 }, (_, i) => key(i * 4)));
  });

  it('scans on across a merge that replaces the runs it was reading', async () => {
    const at = directory();
    const store = await open(at);
    for (let commit = 0; commit < 3; commit++) {
      for (let i = commit; i < 3_000; i += 3) store.put(key(i), text('x'));
      await store.commit(toOffset(commit));
    }
    expect(runsOf(store).runCount).toBe(3);
    const scan = store.range({});
    const seen = Array.from({ length: 1_000 }, () => scan.next().value![0]);
    // A fourth run makes four of the same tier: they merge into one, and the old runs' blocks go.
    store.put('zzz', text('late'));
    await store.commit(toOffset(3));
    await merged(store);
    expect(runsOf(store).runCount).toBe(1);
    for (const [k] of { [Symbol.iterator]: () => scan }) seen.push(k);
    expect(seen).toEqual([...Array.from({ length: 3_000 }, (_, i) => key(i)), 'zzz']);
  });

  it('matches a model of random writes, deletes, commits, merges and reopens', async () => {
    let seed = 12345;
    const next = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const at = directory();
    let store = await open(at, { cacheBudget: new CacheBudget(64 * 1024) });
    const model = new Map<string, string>();
    const sortedModel = () => [...model.keys()].sort();
    const pick = () => key(Math.floor(next() * 3_000));
    for (let step = 0; step < 60; step++) {
      const writes = Math.floor(next() * 400);
      for (let i = 0; i < writes; i++) {
        const k = pick();
        if (next() < 0.3) {
          store.put(k, undefined);
          model.delete(k);
        } else {
          const value = `${k}@${step}`;
          store.put(k, text(value));
          model.set(k, value);
        }
      }
      if (next() < 0.1) {
        const [low, high] = [pick(), pick()].sort();
        store.deleteRange({ gte: low, lt: high });
        for (const k of [...model.keys()]) if (k >= low! && k < high!) model.delete(k);
      }
      // Ranges with random bounds of every kind, both directions.
      const sorted = sortedModel();
      for (let q = 0; q < 5; q++) {
        const [low, high] = [pick(), pick()].sort() as [string, string];
        const bounds: KeyBounds =
          q === 0 ? {} : q === 1 ? { gte: low } : q === 2 ? { lt: high } : { gte: low, lte: high };
        const reverse = next() < 0.5;
        let expected = sorted.filter(
          (k) =>
            (bounds.gte === undefined || k >= bounds.gte) &&
            (bounds.lt === undefined || k < bounds.lt) &&
            (bounds.lte === undefined || k <= bounds.lte),
        );
        if (reverse) expected = expected.reverse();
        expect([...store.range(bounds, reverse)].map(([k, v]) => `${k}=${read(v)}`)).toEqual(
          expected.map((k) => `${k}=${model.get(k)}`),
        );
      }
      const probe = pick();
      expect(read(store.get(probe))).toBe(model.get(probe));
      const roll = next();
      if (roll < 0.6) await store.commit(toOffset(step));
      if (roll < 0.1) await merged(store);
      if (roll < 0.05) store = await reopen(store, at, { cacheBudget: new CacheBudget(64 * 1024) });
    }
    await store.commit(toOffset(1_000));
    await merged(store);
    expect(keysOf(store.range({}))).toEqual(sortedModel());
    // Merges keep the number of runs logarithmic in the store's size.
    expect(runsOf(store).runCount).toBeLessThanOrEqual(6);
    // About 3 s alone; a budget for a machine shared with other test runs.
  }, 90_000);

  it("builds a restore's index in bulk at commit, as writing the keys one at a time does, tombstones included", async () => {
    let seed = 777;
    const next = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const written = await open(directory());
    const restored = await open(directory());
    const model = new Map<string, string>();
    for (let batch = 0; batch < 8; batch++) {
      // Changelog batches with repeated keys and tombstones, some of keys committed before.
      for (let i = 0; i < 3_000; i++) {
        const k = key(Math.floor(next() * 5_000));
        const value = next() < 0.25 ? undefined : `${k}@${batch}`;
        written.put(k, value === undefined ? undefined : text(value));
        restored.putRestored(k, value === undefined ? undefined : text(value));
        if (value === undefined) model.delete(k);
        else model.set(k, value);
      }
      // A scan in the middle of a batch takes the changes logged so far; later ones go on being logged.
      if (batch % 3 === 1) expect(keysOf(restored.range({}))).toEqual(keysOf(written.range({})));
      await Promise.all([written.commit(toOffset(batch)), restored.commit(toOffset(batch))]);
    }
    await Promise.all([merged(written), merged(restored)]);
    const expected = [...model.keys()].sort();
    expect(keysOf(restored.range({}))).toEqual(expected);
    expect(keysOf(restored.range({}, true))).toEqual([...expected].reverse());
    expect(keysOf(written.range({}))).toEqual(expected);
    // size() is an estimate (a run's tombstones are taken to cancel older entries), which depends on
    // how far merges have gone; the bulk path's is as close to the truth as the one-at-a-time path's.
    const error = (store: LevelDbBytesStore) => Math.abs(store.size() - expected.length);
    expect(error(restored)).toBeLessThanOrEqual(Math.max(error(written), expected.length * 0.05));
    for (const k of expected.slice(0, 50)) expect(read(restored.get(k))).toBe(model.get(k));
  });

  it('builds its index at open from data written without one (a store kept its keys in memory before)', async () => {
    const at = directory();
    let store = await open(at, { index: 'memory' });
    for (let i = 0; i < 1_000; i++) store.put(key(i), text(String(i)));
    await store.commit(toOffset(1));
    store = await reopen(store, at);
    expect(runsOf(store).runCount).toBe(1);
    expect(keysOf(store.range({ gte: key(500), lt: key(503) }))).toEqual([key(500), key(501), key(502)]);
    // And back: a store opened with its keys in memory after the index was on disk reads them from the data.
    store.put(key(1_000), text('new'));
    await store.commit(toOffset(2));
    store = await reopen(store, at, { index: 'memory' });
    store.put(key(0), undefined);
    await store.commit(toOffset(3));
    store = await reopen(store, at);
    expect(keysOf(store.range({}))).toEqual(Array.from({ length: 1_000 }, (_, i) => key(i + 1)));
  });

  it('deletes at open the blocks of runs it does not list (a merge cut short by a crash)', async () => {
    const at = directory();
    let store = await open(at);
    store.put('a', text('1'));
    await store.commit(toOffset(1));
    type Blocks = {
      put: (k: Buffer, v: Buffer) => Promise<void>;
      getSync: (k: Buffer) => Buffer | undefined;
    };
    const stray = Buffer.from([0, 0, 0, 99, 0, 0, 0, 0, 0]);
    await (store as unknown as { blocks: Blocks }).blocks.put(stray, Buffer.from('left over'));
    store = await reopen(store, at);
    expect((store as unknown as { blocks: Blocks }).blocks.getSync(stray)).toBeUndefined();
    expect(keysOf(store.range({}))).toEqual(['a']);
  });
});
