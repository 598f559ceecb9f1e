/**
 * A changelog loaded into a LevelDB store in bulk (a restore) leaves the store exactly as applying it
 * record by record would: each key's latest value, tombstones deleting, gets and scans in agreement,
 * the checkpoint of the last save on disk; a load cut short keeps exactly what it saved.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toOffset } from '../../src/common/offset.ts';
import { Serdes, Stores } from '../../src/index.ts';
import type { TimestampedKeyValueStore } from '../../src/state/api.ts';
import { toBinaryKey } from '../../src/state/bytes.ts';
import type { KeyIndexKind } from '../../src/state/leveldb/key-index.ts';
import { SAVE_BYTES } from '../../src/state/leveldb/bulk-load.ts';
import { LevelDbBytesStore } from '../../src/state/leveldb/leveldb-bytes-store.ts';
import { openStore } from '../../src/state/managed-store.ts';

const text = (value: string) => new Uint8Array(Buffer.from(value));
const key = (i: number) => `key-${String(i).padStart(5, '0')}`;

const directories: string[] = [];
const stores: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(stores.splice(0).map((s) => s.close()));
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function directory(): string {
  const made = mkdtempSync(join(tmpdir(), 'tributary-bulk-'));
  directories.push(made);
  return made;
}

async function open(at: string, index: KeyIndexKind = 'runs'): Promise<LevelDbBytesStore> {
  const store = await LevelDbBytesStore.open(at, { index });
  stores.push(store);
  return store;
}

/** A changelog of overwrites and deletes over 3,000 keys: 12,000 changes, a fifth of them deletes. */
function changelog(): { key: string; value: string | null }[] {
  const changes: { key: string; value: string | null }[] = [];
  for (let i = 0; i < 12_000; i++) {
    const k = key((i * 7919) % 3_000);
    changes.push({ key: k, value: i % 5 === 4 ? null : `value-${i}` });
  }
  return changes;
}

/** What the changelog's first `count` changes leave: each key's latest value, deleted keys absent. */
function latest(changes: readonly { key: string; value: string | null }[], count = changes.length) {
  const model = new Map<string, string>();
  for (const { key: k, value } of changes.slice(0, count)) {
    if (value === null) model.delete(k);
    else model.set(k, value);
  }
  return new Map([...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function contents(store: LevelDbBytesStore): Map<string, string> {
  return new Map(
    [...store.range({})].map(([k, v]) => [Buffer.from(k, 'latin1').toString(), Buffer.from(v).toString()]),
  );
}

function read(store: LevelDbBytesStore, k: string): string | undefined {
  const value = store.get(toBinaryKey(text(k)));
  return value === undefined ? undefined : Buffer.from(value).toString();
}

describe('bulk load', () => {
  it.each<KeyIndexKind>(['runs', 'memory'])(
    'leaves each key its latest value, deletes included, with gets, scans and checkpoint exact (key index: %s)',
    async (index) => {
      const at = directory();
      const store = await open(at, index);
      // Keys the store held before the load: some the changelog overwrites or deletes, some it leaves.
      for (let i = 0; i < 3_000; i += 2) store.put(toBinaryKey(text(key(i))), text('before'));
      store.put(toBinaryKey(text('zz-untouched')), text('kept'));
      await store.commit(toOffset(5n));

      const changes = changelog();
      const load = (await store.bulkLoad())!;
      expect(load).toBeDefined();
      expect(() => store.get(toBinaryKey(text(key(0))))).toThrow(/bulk/);
      changes.forEach(({ key: k, value }, i) => {
        load.put(text(k), value === null ? null : text(value));
        if ((i + 1) % 1_000 === 0) load.save(toOffset(BigInt(i + 1)));
      });
      await load.finish(toOffset(12_000n));

      // The changelog touches every key-NNNNN: what it leaves, and the key it does not touch.
      const sorted = new Map([...latest(changes), ['zz-untouched', 'kept']]);
      expect(contents(store)).toEqual(sorted);
      expect(read(store, key(4))).toBe(sorted.get(key(4)));
      expect(store.checkpoint).toBe(toOffset(12_000n));
      // A reverse scan within bounds walks the same keys backwards.
      const bounds = { gte: toBinaryKey(text(key(1_000))), lt: toBinaryKey(text(key(2_000))) };
      const forward = [...store.range(bounds)].map(([k]) => k);
      expect([...store.range(bounds, true)].map(([k]) => k)).toEqual(forward.reverse());

      // Written to disk with its key index: the store reopens the same.
      await store.close();
      const reopened = await open(at, index);
      expect(reopened.checkpoint).toBe(toOffset(12_000n));
      expect(contents(reopened)).toEqual(sorted);
      // And takes ordinary writes again.
      reopened.put(toBinaryKey(text('aa-new')), text('new'));
      expect(read(reopened, 'aa-new')).toBe('new');
    },
  );

  it('closed before it finished, keeps exactly what its last save wrote, with that checkpoint', async () => {
    const at = directory();
    const store = await open(at);
    const changes = changelog();
    const load = (await store.bulkLoad())!;
    changes.slice(0, 7_500).forEach(({ key: k, value }, i) => {
      load.put(text(k), value === null ? null : text(value));
      if ((i + 1) % 2_000 === 0) load.save(toOffset(BigInt(i + 1)));
    });
    await store.close();

    const reopened = await open(at);
    expect(reopened.checkpoint).toBe(toOffset(6_000n));
    const expected = latest(changes, 6_000);
    expect(contents(reopened)).toEqual(expected);
  });

  it('asks for a save once the bytes put since the last one reach its bound, whatever the records', async () => {
    const store = await open(directory());
    const load = (await store.bulkLoad())!;
    const value = new Uint8Array(64 * 1024);
    let puts = 0;
    while (!load.saveDue()) load.put(text(key(puts++)), value);
    expect(puts).toBeLessThan(load.recordsPerSave);
    expect(puts * value.byteLength).toBeGreaterThanOrEqual(SAVE_BYTES - value.byteLength);
    load.save(toOffset(BigInt(puts)));
    expect(load.saveDue()).toBe(false);
    await load.finish(toOffset(BigInt(puts)));
    expect([...store.range({})]).toHaveLength(puts);
  });

  it('restores a timestamped store through its managed store: values and timestamps as the changelog has them', async () => {
    const at = directory();
    const spec = Stores.timestampedKeyValue({
      name: 'counts',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
    });
    const managed = await openStore(spec, { directory: at, now: () => -1 });
    stores.push(managed);
    const load = (await managed.bulkRestore!())!;
    const long = (n: number) => Serdes.Long().serialize(n);
    load.apply([
      { key: text('a'), value: long(1), timestamp: 100 },
      { key: text('b'), value: long(2), timestamp: 200 },
      { key: text('a'), value: long(3), timestamp: 300 },
    ]);
    load.save(toOffset(3n));
    load.apply([
      { key: text('b'), value: null, timestamp: 400 },
      { key: text('c'), value: long(5), timestamp: 500 },
    ]);
    await load.finish(toOffset(5n));

    const store = managed.store as TimestampedKeyValueStore<string, number>;
    expect(store.get('a')).toEqual({ value: 3, timestamp: 300 });
    expect(store.get('b')).toBeUndefined();
    expect(store.get('c')).toEqual({ value: 5, timestamp: 500 });
    expect([...store.all()].map(({ key: k }) => k)).toEqual(['a', 'c']);
    expect(managed.checkpoint).toBe(toOffset(5n));
  });
});
