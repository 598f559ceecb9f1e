import { toOffset } from '../../src/common/offset.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, Stores, type StoreBackend, type WindowStore } from 'tributary';
import type { ChangelogRecord } from '../../src/state/bytes.ts';
import { backends, hex, keyBytes, plain, StoreHarness, type Opened } from './harness.ts';

const MINUTE = 60_000;

function spec(backend: StoreBackend, options: { retentionMs?: number; retainDuplicates?: boolean } = {}) {
  return Stores.window({
    name: 'windows',
    keySerde: Serdes.String(),
    valueSerde: Serdes.String(),
    backend,
    windowSizeMs: 10,
    retentionMs: options.retentionMs ?? 10 * MINUTE,
    retainDuplicates: options.retainDuplicates ?? false,
  });
}

type Store = WindowStore<string, string>;

function windowed(iterator: Iterable<{ key: { key: string; window: { start: number } }; value: string }>) {
  return [...iterator].map((e) => `${e.key.key}@${e.key.window.start}=${e.value}`);
}

describe.each(backends)('window store (%s)', (backend) => {
  const harness = new StoreHarness();
  afterEach(() => harness.cleanup());

  async function open(options?: Parameters<typeof spec>[1]): Promise<Opened<Store>> {
    return harness.openStore<Store>(spec(backend, options));
  }

  it('puts, overwrites and deletes single windows', async () => {
    const { store } = await open();
    store.put('a', 'one', 100);
    store.put('a', 'two', 100);
    store.put('a', 'other', 110);
    expect(store.fetch('a', 100)).toBe('two');
    expect(store.fetch('a', 110)).toBe('other');
    expect(store.fetch('a', 105)).toBeUndefined();
    expect(store.fetch('b', 100)).toBeUndefined();
    store.put('a', null, 100);
    expect(store.fetch('a', 100)).toBeUndefined();
    expect(store.persistent).toBe(backend === 'leveldb');
  });

  it('fetches the windows of a key with both time bounds inclusive, oldest first or reversed', async () => {
    const { store } = await open();
    for (const start of [0, 10, 20, 30, 40]) store.put('k', `v${start}`, start);
    store.put('other', 'x', 20);
    const fetch = (from: number, to: number, reverse = false) =>
      [...store.fetchWindows('k', from, to, { reverse })].map((w) => `${w.windowStart}=${w.value}`);
    expect(fetch(10, 30)).toEqual(['10=v10', '20=v20', '30=v30']);
    expect(fetch(11, 29)).toEqual(['20=v20']);
    expect(fetch(10, 30, true)).toEqual(['30=v30', '20=v20', '10=v10']);
    expect(fetch(31, 39)).toEqual([]);
    expect(fetch(30, 10)).toEqual([]);
    expect(fetch(-Infinity, Infinity)).toHaveLength(5);
  });

  it('keeps record keys apart whatever their length or bytes', async () => {
    const { store } = await open();
    // Keys that are prefixes of one another, and one holding a zero byte, must not bleed into each other.
    for (const key of ['a', 'ab', 'a\0', 'a\0b', 'b', '']) store.put(key, `v(${key})`, 5);
    for (const key of ['a', 'ab', 'a\0', 'a\0b', 'b', ''])
      expect([...store.fetchWindows(key, 0, 10)].map((w) => w.value)).toEqual([`v(${key})`]);
    expect(windowed(store.fetchKeyRange('a', 'a\0b', 0, 10))).toEqual([
      'a@5=v(a)',
      'a\0@5=v(a\0)',
      'a\0b@5=v(a\0b)',
    ]);
  });

  it('fetches key ranges (inclusive, open at an undefined end, empty when inverted), all and fetchAll', async () => {
    const { store } = await open();
    for (const key of ['a', 'b', 'c', 'd']) {
      store.put(key, `${key}1`, 10);
      store.put(key, `${key}2`, 20);
    }
    expect(windowed(store.fetchKeyRange('b', 'c', 0, 100))).toEqual([
      'b@10=b1',
      'b@20=b2',
      'c@10=c1',
      'c@20=c2',
    ]);
    expect(windowed(store.fetchKeyRange('b', 'c', 20, 20))).toEqual(['b@20=b2', 'c@20=c2']);
    expect(windowed(store.fetchKeyRange(undefined, 'a', 0, 100))).toEqual(['a@10=a1', 'a@20=a2']);
    expect(windowed(store.fetchKeyRange('d', undefined, 0, 100, { reverse: true }))).toEqual([
      'd@20=d2',
      'd@10=d1',
    ]);
    expect(windowed(store.fetchKeyRange('c', 'b', 0, 100))).toEqual([]);
    expect(windowed(store.fetchAll(15, 25))).toEqual(['a@20=a2', 'b@20=b2', 'c@20=c2', 'd@20=d2']);
    expect(windowed(store.all())).toHaveLength(8);
    const [first] = store.all();
    expect(first!.key.window).toEqual({ start: 10, end: 20 });
  });

  it('orders across segments by segment, within a segment by key then start', async () => {
    const { store } = await open({ retentionMs: 2 * MINUTE }); // one-minute segments
    store.put('b', 'b-late', MINUTE + 5);
    store.put('b', 'b-early', 5);
    store.put('a', 'a-late', MINUTE + 1);
    store.put('a', 'a-early', 1);
    expect(windowed(store.all())).toEqual([
      'a@1=a-early',
      'b@5=b-early',
      `a@${MINUTE + 1}=a-late`,
      `b@${MINUTE + 5}=b-late`,
    ]);
    expect(windowed(store.all({ reverse: true }))).toEqual([
      `b@${MINUTE + 5}=b-late`,
      `a@${MINUTE + 1}=a-late`,
      'b@5=b-early',
      'a@1=a-early',
    ]);
    expect([...store.fetchWindows('a', 0, 2 * MINUTE)].map((w) => w.value)).toEqual(['a-early', 'a-late']);
  });

  it('does not show writes made while iterating', async () => {
    const { store } = await open();
    store.put('a', '1', 10);
    store.put('b', '1', 10);
    const seen: string[] = [];
    for (const entry of store.fetchAll(0, 2 * MINUTE)) {
      seen.push(entry.key.key);
      store.put('c', '1', 10);
      store.put('a', '2', MINUTE + 10);
    }
    expect(seen).toEqual(['a', 'b']);
  });

  it('retains duplicates in put order when asked to, ignoring null puts', async () => {
    const { store, managed } = await open({ retainDuplicates: true });
    harness.time = 7;
    store.put('k', 'first', 100);
    store.put('k', 'second', 100);
    store.put('k', null, 100);
    store.put('k', 'third', 100);
    store.put('k', 'later', 200);
    expect([...store.fetchWindows('k', 100, 100)].map((w) => w.value)).toEqual(['first', 'second', 'third']);
    expect(store.fetch('k', 100)).toBe('first');
    expect(windowed(store.all())).toEqual(['k@100=first', 'k@100=second', 'k@100=third', 'k@200=later']);
    const changelog = managed.drainChangelog();
    expect(changelog.map(plain)).toEqual([
      { key: hex(keyBytes('k', [100, 8], [1, 4])), value: 'first', timestamp: 7 },
      { key: hex(keyBytes('k', [100, 8], [2, 4])), value: 'second', timestamp: 7 },
      { key: hex(keyBytes('k', [100, 8], [3, 4])), value: 'third', timestamp: 7 },
      { key: hex(keyBytes('k', [200, 8], [4, 4])), value: 'later', timestamp: 7 },
    ]);
  });

  it("logs changes in the changelog's key layout, one record per window, stamped with the record's time", async () => {
    const { store, managed } = await open();
    harness.time = 1_000;
    store.put('key', 'a', 300);
    harness.time = 1_001;
    store.put('key', 'b', 300);
    store.put('key', 'c', 310);
    store.put('key', null, 310);
    expect(managed.drainChangelog().map(plain)).toEqual([
      { key: hex(keyBytes('key', [300, 8], [0, 4])), value: 'b', timestamp: 1_001 },
      { key: hex(keyBytes('key', [310, 8], [0, 4])), value: null, timestamp: 1_001 },
    ]);
    expect(managed.drainChangelog()).toEqual([]);
  });

  it('expires windows at or before stream time minus retention: never returns them, though a put into a segment still kept is written, as in Kafka Streams', async () => {
    const { store, managed } = await open({ retentionMs: 1_000 });
    store.put('k', 'old', 0);
    store.put('k', 'edge', 1);
    store.put('k', 'new', 1_000);
    // Stream time is 1,000: the window at 0 has expired, the one at 1 has not.
    expect(store.fetch('k', 0)).toBeUndefined();
    expect(store.fetch('k', 1)).toBe('edge');
    expect([...store.fetchWindows('k', 0, 2_000)].map((w) => w.value)).toEqual(['edge', 'new']);
    expect(windowed(store.all())).toEqual(['k@1=edge', 'k@1000=new']);
    managed.drainChangelog();
    store.put('k', 'late', 0);
    expect(store.fetch('k', 0)).toBeUndefined();
    expect(managed.drainChangelog()).toHaveLength(1);
    store.put('k', 'moves time', 1_001);
    expect(store.fetch('k', 1)).toBeUndefined();
    expect(windowed(store.fetchAll(0, 5_000))).toEqual(['k@1000=new', 'k@1001=moves time']);
  });

  it('drops whole segments once they fall out of retention', async () => {
    const retentionMs = 2 * MINUTE; // one-minute segments
    const directory = harness.directory();
    const s = spec(backend, { retentionMs });
    const { store, bytes, managed } = await harness.openStore<Store>(s, directory);
    for (let start = 0; start < 3 * MINUTE; start += 10_000) store.put('k', `v${start}`, start);
    await managed.commit(toOffset(1));
    const entriesBefore = bytes.size();
    expect(entriesBefore).toBeGreaterThanOrEqual(18);
    // Stream time 3.5 min: live from 1.5 min + 1 ms, so the first minute's segment goes entirely.
    store.put('k', 'now', 3.5 * MINUTE);
    expect(bytes.size()).toBe(entriesBefore + 1 - 6);
    // Windows in the oldest live segment but before the live time stay on disk yet are not returned.
    expect([...store.fetchWindows('k', 0, 10 * MINUTE)][0]!.windowStart).toBe(1.5 * MINUTE + 10_000);
    await managed.commit(toOffset(2));
    if (backend === 'leveldb') {
      // The dropped segment is gone from disk too.
      const size = bytes.size();
      await managed.close();
      const again = await harness.openStore<Store>(s, directory);
      expect(again.bytes.size()).toBe(size);
    }
  });

  it('comes back with the same contents after a restart, still filtering expired windows', async () => {
    const directory = harness.directory();
    const s = spec(backend, { retentionMs: 1_000, retainDuplicates: true });
    const first = await harness.openStore<Store>(s, directory);
    first.store.put('a', 'a0', 0);
    first.store.put('a', 'a500', 500);
    first.store.put('b', 'b1', 600);
    first.store.put('b', 'b2', 600);
    first.store.put('c', 'c', 1_200);
    const changelog: ChangelogRecord[] = first.managed.drainChangelog();
    const before = windowed(first.store.all());
    const again = await harness.reopen<Store>(s, first, directory, changelog);
    expect(windowed(again.store.all())).toEqual(before);
    expect(again.store.fetch('a', 0)).toBeUndefined();
    // Stream time came back too: a late window is still ignored …
    again.store.put('a', 'late', 100);
    expect([...again.store.fetchWindows('a', 0, 2_000)].map((w) => w.value)).toEqual(['a500']);
    // … and duplicates go on appending rather than overwriting earlier ones.
    again.store.put('b', 'b3', 600);
    expect([...again.store.fetchWindows('b', 600, 600)].map((w) => w.value)).toEqual(['b1', 'b2', 'b3']);
  });

  it('restores from changelog records to the same contents, without logging them again', async () => {
    const s = spec(backend, { retentionMs: 5 * MINUTE });
    const { store, managed } = await open({ retentionMs: 5 * MINUTE });
    for (let i = 0; i < 50; i++) store.put(`key-${i % 7}`, `value-${i}`, i * 10_000);
    store.put('key-1', null, 60_000 + 0);
    store.put('key-3', null, 30_000);
    const records = managed.drainChangelog();
    const restored = await harness.restored<Store>(s, records);
    expect(windowed(restored.store.all())).toEqual(windowed(store.all()));
    expect(restored.managed.drainChangelog()).toEqual([]);
  });
});
