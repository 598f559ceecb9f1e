import { toOffset } from '../../src/common/offset.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prefixUpperBound, type KeyValueBytesStore } from '../../src/state/bytes.ts';
import { LevelDbBytesStore, type LevelDbOptions } from '../../src/state/leveldb/leveldb-bytes-store.ts';
import { CacheBudget } from '../../src/state/leveldb/read-cache.ts';
import { MemoryBytesStore } from '../../src/state/memory/memory-bytes-store.ts';

const text = (value: string) => new Uint8Array(Buffer.from(value));
const read = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : Buffer.from(value).toString();
const entries = (iterator: Iterable<[string, Uint8Array]>) =>
  [...iterator].map(([k, v]) => `${k}=${read(v)}`);

const directories: string[] = [];
const stores: KeyValueBytesStore[] = [];
afterEach(async () => {
  await Promise.allSettled(stores.splice(0).map((s) => s.close()));
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function directory(): string {
  const made = mkdtempSync(join(tmpdir(), 'tributary-bytes-'));
  directories.push(made);
  return made;
}

async function openLevel(at = directory(), options: LevelDbOptions = {}): Promise<LevelDbBytesStore> {
  const store = await LevelDbBytesStore.open(at, options);
  stores.push(store);
  return store;
}

/** Waits until the store has taken its batch and is writing it. */
async function writing(store: LevelDbBytesStore): Promise<void> {
  for (let i = 0; i < 100 && (store as unknown as { flushing?: unknown }).flushing === undefined; i++)
    await Promise.resolve();
  expect((store as unknown as { flushing?: unknown }).flushing).toBeDefined();
}

const kinds: [string, () => Promise<KeyValueBytesStore>][] = [
  ['memory', async () => new MemoryBytesStore()],
  ['leveldb, key index on disk', () => openLevel()],
  ['leveldb, key index in memory', () => openLevel(directory(), { index: 'memory' })],
];

describe.each(kinds)('bytes store (%s)', (_name, open) => {
  it('answers reads synchronously from its writes, committed or not', async () => {
    const store = await open();
    store.put('a', text('1'));
    store.put('b', text('2'));
    expect(read(store.get('a'))).toBe('1');
    await store.commit(toOffset(1));
    store.put('a', text('3'));
    expect(read(store.get('a'))).toBe('3');
    store.put('b', undefined);
    expect(store.get('b')).toBeUndefined();
    expect(store.get('missing')).toBeUndefined();
    expect(store.size()).toBe(1);
  });

  it('scans ranges in byte order with inclusive, exclusive and open bounds, and prefixes', async () => {
    const store = await open();
    for (const key of ['b', 'a', 'ab', 'a\xff', 'c', '\0', 'abc'])
      store.put(key, text(key.length.toString()));
    await store.commit(undefined);
    store.put('aa', text('2'));
    const keys = (iterator: Iterable<[string, Uint8Array]>) => [...iterator].map(([k]) => k);
    expect(keys(store.range({}))).toEqual(['\0', 'a', 'aa', 'ab', 'abc', 'a\xff', 'b', 'c']);
    expect(keys(store.range({ gte: 'a', lte: 'ab' }))).toEqual(['a', 'aa', 'ab']);
    expect(keys(store.range({ gte: 'a', lt: 'ab' }))).toEqual(['a', 'aa']);
    expect(keys(store.range({ gte: 'ab', lt: prefixUpperBound('ab') }, true))).toEqual(['abc', 'ab']);
    expect(keys(store.range({ gte: 'a', lt: prefixUpperBound('a') }))).toEqual([
      'a',
      'aa',
      'ab',
      'abc',
      'a\xff',
    ]);
    expect(keys(store.range({ lte: 'a' }))).toEqual(['\0', 'a']);
    expect(keys(store.range({ gte: 'bb' }))).toEqual(['c']);
    expect(keys(store.range({ gte: 'c', lte: 'a' }))).toEqual([]);
  });

  it('takes the keys of a range when called: writes while iterating are safe', async () => {
    const store = await open();
    for (const key of ['a', 'b', 'c', 'd']) store.put(key, text('old'));
    await store.commit(undefined);
    const seen: string[] = [];
    for (const [key, value] of store.range({})) {
      seen.push(`${key}=${read(value)}`);
      if (key === 'a') {
        store.put('b', text('new'));
        store.put('c', undefined);
        store.put('bb', text('added'));
      }
    }
    expect(seen).toEqual(['a=old', 'b=new', 'd=old']);
  });

  it('deletes ranges, before and after commit, keeping what lies outside', async () => {
    const store = await open();
    for (const key of ['a1', 'a2', 'b1', 'b2', 'c1']) store.put(key, text(key));
    await store.commit(toOffset(1));
    store.put('b3', text('b3'));
    store.put('a3', text('a3'));
    store.deleteRange({ gte: 'b', lt: prefixUpperBound('b') });
    expect(entries(store.range({}))).toEqual(['a1=a1', 'a2=a2', 'a3=a3', 'c1=c1']);
    store.deleteRange({ lt: 'a2' });
    store.deleteRange({ gte: 'x' });
    expect(entries(store.range({}))).toEqual(['a2=a2', 'a3=a3', 'c1=c1']);
    // Writes after a range delete stay.
    store.put('b1', text('again'));
    await store.commit(toOffset(2));
    expect(entries(store.range({}))).toEqual(['a2=a2', 'a3=a3', 'b1=again', 'c1=c1']);
    expect(store.size()).toBe(4);
  });
});

describe('LevelDB bytes store', () => {
  it('persists committed writes with their checkpoint and nothing after it', async () => {
    const at = directory();
    const store = await openLevel(at);
    expect(store.checkpoint).toBeUndefined();
    store.put('kept', text('1'));
    store.put('deleted', text('x'));
    await store.commit(toOffset(10));
    store.put('deleted', undefined);
    store.put('kept', text('2'));
    await store.commit(toOffset(12));
    store.put('uncommitted', text('lost'));
    await store.close();
    const again = await openLevel(at);
    expect(again.checkpoint).toBe(12n);
    expect(entries(again.range({}))).toEqual(['kept=2']);
    expect(read(again.get('kept'))).toBe('2');
    expect(again.get('deleted')).toBeUndefined();
    expect(again.get('uncommitted')).toBeUndefined();
  });

  it('keeps the data and checkpoint of a failed commit for the next one', async () => {
    const at = directory();
    const store = await openLevel(at);
    store.put('a', text('1'));
    await store.commit(toOffset(1));
    store.put('a', text('2'));
    store.put('b', text('3'));
    type Batch = { write: () => Promise<void> };
    const db = (store as unknown as { db: { batch: () => Batch } }).db;
    const batch = db.batch.bind(db);
    db.batch = () => {
      const failing = batch();
      failing.write = () => Promise.reject(new Error('disk full'));
      return failing;
    };
    await expect(store.commit(toOffset(2))).rejects.toMatchObject({ code: 'TRIB_STORE', retriable: true });
    expect(store.checkpoint).toBe(1n);
    expect(read(store.get('a'))).toBe('2');
    db.batch = batch;
    store.put('c', text('4'));
    await store.commit(toOffset(3));
    await store.close();
    const again = await openLevel(at);
    expect(again.checkpoint).toBe(3n);
    expect(entries(again.range({}))).toEqual(['a=2', 'b=3', 'c=4']);
  });

  it('answers reads while a commit is writing, and writes made meanwhile go to the next commit', async () => {
    const at = directory();
    const store = await openLevel(at);
    store.put('a', text('1'));
    store.put('b', text('1'));
    const first = store.commit(toOffset(1));
    await writing(store);
    expect(read(store.get('b'))).toBe('1');
    store.put('a', text('2'));
    store.put('b', undefined);
    expect(read(store.get('a'))).toBe('2');
    expect(store.get('b')).toBeUndefined();
    const second = store.commit(toOffset(2));
    await Promise.all([first, second]);
    await store.close();
    const again = await openLevel(at);
    expect(entries(again.range({}))).toEqual(['a=2']);
    expect(again.checkpoint).toBe(2n);
  });

  it('clears deleted ranges on disk, also while an earlier commit is writing them', async () => {
    const at = directory();
    const store = await openLevel(at);
    for (let i = 0; i < 100; i++) store.put(`s1/${String(i).padStart(3, '0')}`, text(String(i)));
    store.put('s2/a', text('kept'));
    const inFlight = store.commit(toOffset(1));
    await writing(store);
    expect(read(store.get('s1/000'))).toBe('0');
    store.deleteRange({ gte: 's1/', lt: prefixUpperBound('s1/') });
    expect(store.get('s1/000')).toBeUndefined();
    store.put('s1/new', text('after'));
    await inFlight;
    await store.commit(toOffset(2));
    await store.close();
    const again = await openLevel(at);
    expect(entries(again.range({}))).toEqual(['s1/new=after', 's2/a=kept']);
  });

  it.each(['runs', 'memory'] as const)(
    'deletes a range in the commit’s one batch: a crash before it is written leaves the last commit whole (key index: %s)',
    async (index) => {
      const at = directory();
      const store = await openLevel(at, { index });
      for (let i = 0; i < 50; i++) store.put(`s1/${String(i).padStart(3, '0')}`, text(String(i)));
      store.put('s2/a', text('before'));
      await store.commit(toOffset(1));
      type Batch = { write: () => Promise<void> };
      const internals = store as unknown as {
        db: { batch: () => Batch };
        data: { clear: (...args: unknown[]) => Promise<void> };
      };
      const { db, data } = internals;
      const batch = db.batch.bind(db);
      let batches = 0;
      let clears = 0;
      const clear = data.clear.bind(data);
      data.clear = (...args) => {
        clears++;
        return clear(...args);
      };
      // The process dies while the commit is written: its batch never reaches the disk.
      db.batch = () => {
        batches++;
        const crashing = batch();
        crashing.write = () => Promise.reject(new Error('killed'));
        return crashing;
      };
      store.deleteRange({ gte: 's1/', lt: prefixUpperBound('s1/') });
      store.put('s2/a', text('after'));
      await expect(store.commit(toOffset(2))).rejects.toMatchObject({ code: 'TRIB_STORE' });
      expect([batches, clears]).toEqual([1, 0]);
      await store.close();
      const reopened = await openLevel(at, { index });
      expect(reopened.checkpoint).toBe(1n);
      expect(reopened.size()).toBe(51);
      expect(read(reopened.get('s1/000'))).toBe('0');
      expect(read(reopened.get('s2/a'))).toBe('before');
      // Written for good, the same commit takes the range and the write together.
      reopened.deleteRange({ gte: 's1/', lt: prefixUpperBound('s1/') });
      reopened.put('s2/a', text('after'));
      await reopened.commit(toOffset(2));
      await reopened.close();
      const committed = await openLevel(at, { index });
      expect(committed.checkpoint).toBe(2n);
      expect(entries(committed.range({}))).toEqual(['s2/a=after']);
    },
  );

  it.each(['runs', 'memory'] as const)(
    'reads cold values from disk once and serves hot ones from its read cache (key index: %s)',
    async (index) => {
      const at = directory();
      const store = await openLevel(at, { index });
      for (const key of 'abcdefgh') store.put(key, text(key));
      await store.commit(toOffset(1));
      await store.close();
      // Room for about two values in each of the two generations.
      const again = await openLevel(at, { index, cacheBudget: new CacheBudget(4 * (1 + 1 + 400)) });
      const data = (again as unknown as { data: { getSync: (key: Buffer) => Buffer | undefined } }).data;
      const getSync = data.getSync.bind(data);
      let diskReads = 0;
      data.getSync = (key) => {
        diskReads++;
        return getSync(key);
      };
      expect(read(again.get('a'))).toBe('a');
      expect(read(again.get('a'))).toBe('a');
      expect(diskReads).toBe(1);
      expect(again.get('missing')).toBeUndefined();
      // An index of every key in memory knows a key is missing; LevelDB's bloom filters answer otherwise.
      expect(diskReads).toBe(index === 'memory' ? 1 : 2);
      diskReads = 0;
      for (const key of 'bcdefg') again.get(key); // more than the budget of other values: 'a' is dropped
      again.get('a');
      expect(diskReads).toBe(7);
      again.put('a', text('fresh'));
      await again.commit(toOffset(2));
      expect(read(again.get('a'))).toBe('fresh');
      expect(diskReads).toBe(7);
    },
  );

  it('keeps no restored value in memory past its commit, and caches a copy when values are cached', async () => {
    const at = directory();
    const store = await openLevel(at, { cacheBudget: new CacheBudget(1024 * 1024) });
    // Restored values may be views of one shared buffer (a pool): nothing may hold on to them.
    const pool = Buffer.from('first-second');
    store.putRestored('a', pool.subarray(0, 5));
    await store.commit(toOffset(1));
    pool.fill(0);
    expect(read(store.get('a'))).toBe('first');
    // With values cached (a standby replica that was read), a restored value is cached as a copy.
    store.put('b', text('cached'));
    expect(read(store.get('b'))).toBe('cached');
    const shared = Buffer.from('second');
    store.putRestored('c', shared);
    await store.commit(toOffset(2));
    shared.fill(0);
    expect(read(store.get('c'))).toBe('second');
    store.putRestored('c', undefined);
    expect(store.get('c')).toBeUndefined();
    await store.commit(toOffset(3));
    await store.close();
    const again = await openLevel(at);
    expect(entries(again.range({}))).toEqual(['a=first', 'b=cached']);
  });

  it('fails clearly when its directory cannot be opened', async () => {
    const at = directory();
    await openLevel(at);
    await expect(LevelDbBytesStore.open(at)).rejects.toMatchObject({ code: 'TRIB_STORE' });
  });
});
