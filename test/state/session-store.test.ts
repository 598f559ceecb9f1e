import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, Stores, type SessionStore, type StoreBackend } from 'tributary';
import { backends, hex, keyBytes, plain, StoreHarness, type Opened } from './harness.ts';

const MINUTE = 60_000;

function spec(backend: StoreBackend, retentionMs = 10 * MINUTE) {
  return Stores.session({
    name: 'sessions',
    keySerde: Serdes.String(),
    valueSerde: Serdes.String(),
    backend,
    retentionMs,
  });
}

type Store = SessionStore<string, string>;

const session = (key: string, start: number, end: number) => ({ key, window: { start, end } });

function listed(
  iterator: Iterable<{ key: { key: string; window: { start: number; end: number } }; value: string }>,
) {
  return [...iterator].map((e) => `${e.key.key}[${e.key.window.start},${e.key.window.end}]=${e.value}`);
}

describe.each(backends)('session store (%s)', (backend) => {
  const harness = new StoreHarness();
  afterEach(() => harness.cleanup());

  async function open(retentionMs?: number): Promise<Opened<Store>> {
    return harness.openStore<Store>(spec(backend, retentionMs));
  }

  it('puts, fetches and removes single sessions', async () => {
    const { store } = await open();
    store.put(session('a', 0, 10), 'x');
    store.put(session('a', 0, 10), 'y');
    store.put(session('a', 5, 10), 'other start');
    expect(store.fetchSession('a', 0, 10)).toBe('y');
    expect(store.fetchSession('a', 5, 10)).toBe('other start');
    expect(store.fetchSession('a', 0, 11)).toBeUndefined();
    expect(store.fetchSession('b', 0, 10)).toBeUndefined();
    store.remove(session('a', 0, 10));
    expect(store.fetchSession('a', 0, 10)).toBeUndefined();
    store.put(session('a', 5, 10), null as unknown as string);
    expect(store.fetchSession('a', 5, 10)).toBeUndefined();
  });

  it('finds sessions ending at or after the earliest end and starting at or before the latest start', async () => {
    const { store } = await open();
    store.put(session('k', 0, 10), 's1');
    store.put(session('k', 20, 30), 's2');
    store.put(session('k', 40, 50), 's3');
    store.put(session('k2', 20, 30), 'other key');
    store.put(session('', 20, 30), 'empty key');
    const find = (earliestEnd: number, latestStart: number) =>
      [...store.findSessions('k', earliestEnd, latestStart)].map((e) => e.value);
    expect(find(10, 40)).toEqual(['s1', 's2', 's3']);
    expect(find(11, 39)).toEqual(['s2']);
    expect(find(30, 20)).toEqual(['s2']);
    expect(find(31, 39)).toEqual([]);
    expect(find(0, 0)).toEqual(['s1']);
    expect(find(51, 100)).toEqual([]);
    expect(find(-Infinity, Infinity)).toEqual(['s1', 's2', 's3']);
  });

  it('orders the sessions of a key by end, then start', async () => {
    const { store } = await open(2 * MINUTE); // one-minute segments
    store.put(session('k', 70_000, 70_000), 'c');
    store.put(session('k', 5, 30), 'b');
    store.put(session('k', 20, 30), 'b2');
    store.put(session('k', 0, 10), 'a');
    store.put(session('k', 50, 65_000), 'long');
    expect(listed(store.fetch('k'))).toEqual([
      'k[0,10]=a',
      'k[5,30]=b',
      'k[20,30]=b2',
      'k[50,65000]=long',
      'k[70000,70000]=c',
    ]);
  });

  it('fetches key ranges and all sessions', async () => {
    const { store } = await open();
    for (const key of ['a', 'ab', 'b', 'c']) store.put(session(key, 1, 2), key);
    expect(listed(store.fetchKeyRange('a', 'b'))).toEqual(['a[1,2]=a', 'ab[1,2]=ab', 'b[1,2]=b']);
    expect(listed(store.fetchKeyRange(undefined, 'a'))).toEqual(['a[1,2]=a']);
    expect(listed(store.fetchKeyRange('b', undefined))).toEqual(['b[1,2]=b', 'c[1,2]=c']);
    expect(listed(store.fetchKeyRange('c', 'a'))).toEqual([]);
    expect(listed(store.all())).toEqual(['a[1,2]=a', 'ab[1,2]=ab', 'b[1,2]=b', 'c[1,2]=c']);
    expect(listed(store.fetch('a'))).toEqual(['a[1,2]=a']);
  });

  it('reads backwards in exactly the reverse order, across segments (backwardFindSessions, backwardFetch)', async () => {
    const { store } = await open(2 * MINUTE); // one-minute segments
    store.put(session('k', 70_000, 70_000), 'c');
    store.put(session('k', 5, 30), 'b');
    store.put(session('k', 0, 10), 'a');
    store.put(session('j', 0, 10), 'j');
    store.put(session('l', 50_000, 50_000), 'l');
    const forward = listed(store.all());
    expect(forward).toEqual(['j[0,10]=j', 'k[0,10]=a', 'k[5,30]=b', 'l[50000,50000]=l', 'k[70000,70000]=c']);
    expect(listed(store.all({ reverse: true }))).toEqual([...forward].reverse());
    expect(listed(store.fetch('k', { reverse: true }))).toEqual([
      'k[70000,70000]=c',
      'k[5,30]=b',
      'k[0,10]=a',
    ]);
    expect(listed(store.findSessions('k', 20, 70_000, { reverse: true }))).toEqual([
      'k[70000,70000]=c',
      'k[5,30]=b',
    ]);
    expect(listed(store.fetchKeyRange('k', 'l', { reverse: true }))).toEqual([
      'k[70000,70000]=c',
      'l[50000,50000]=l',
      'k[5,30]=b',
      'k[0,10]=a',
    ]);
  });

  it('follows a session-merging sequence and logs one change per session', async () => {
    const { store, managed } = await open();
    const gap = 10;
    // What a session aggregation does with each record: find the sessions it touches, remove them, put the merge.
    const add = (key: string, time: number) => {
      harness.time = time;
      let start = time;
      let end = time;
      let count = 1;
      for (const found of [...store.findSessions(key, time - gap, time + gap)]) {
        start = Math.min(start, found.key.window.start);
        end = Math.max(end, found.key.window.end);
        count += Number(found.value);
        store.remove(found.key);
      }
      store.put(session(key, start, end), String(count));
    };
    add('u', 0);
    add('u', 5);
    add('u', 30);
    add('u', 25); // reaches [30,30] only: [0,5] ends before 25 - 10
    add('u', 14); // [25,30] starts after 14 + 10: it stays apart
    expect(listed(store.fetch('u'))).toEqual(['u[0,14]=3', 'u[25,30]=2']);
    add('u', 15); // [0,14] and [25,30] both lie within 10 of 15: all merge
    expect(listed(store.fetch('u'))).toEqual(['u[0,30]=6']);
    // Keys are `key ‖ end ‖ start`; records go out in the order of each key's last change.
    expect(managed.drainChangelog().map(plain)).toEqual([
      { key: hex(keyBytes('u', [0, 8], [0, 8])), value: null, timestamp: 5 },
      { key: hex(keyBytes('u', [30, 8], [30, 8])), value: null, timestamp: 25 },
      { key: hex(keyBytes('u', [5, 8], [0, 8])), value: null, timestamp: 14 },
      { key: hex(keyBytes('u', [14, 8], [0, 8])), value: null, timestamp: 15 },
      { key: hex(keyBytes('u', [30, 8], [25, 8])), value: null, timestamp: 15 },
      { key: hex(keyBytes('u', [30, 8], [0, 8])), value: '6', timestamp: 15 },
    ]);
  });

  it('expires sessions ending at or before stream time minus retention (never returned; writes into a segment still kept go through, as in Kafka Streams)', async () => {
    const { store, managed } = await open(1_000);
    store.put(session('k', 0, 0), 'old');
    store.put(session('k', 0, 1), 'edge');
    store.put(session('k', 900, 1_000), 'new');
    expect(store.fetchSession('k', 0, 0)).toBeUndefined();
    expect(store.fetchSession('k', 0, 1)).toBe('edge');
    expect(listed(store.fetch('k'))).toEqual(['k[0,1]=edge', 'k[900,1000]=new']);
    expect(listed(store.findSessions('k', 0, 2_000))).toEqual(['k[0,1]=edge', 'k[900,1000]=new']);
    managed.drainChangelog();
    store.put(session('k', 0, 0), 'late');
    store.remove(session('k', 0, 0));
    // The put and the remove of one session: one changelog record (the last write of the key).
    expect(managed.drainChangelog()).toHaveLength(1);
    expect(store.fetchSession('k', 0, 0)).toBeUndefined();
    store.put(session('j', 1_001, 1_001), 'moves time');
    expect(listed(store.all())).toEqual(['j[1001,1001]=moves time', 'k[900,1000]=new']);
  });

  it('drops whole segments by session end once they fall out of retention', async () => {
    const { store, bytes } = await open(2 * MINUTE);
    // A long session ending late stays although it started in the first segment.
    store.put(session('k', 0, 100), 'short');
    store.put(session('k', 0, 2 * MINUTE), 'long');
    const before = bytes.size();
    store.put(session('k', 3.5 * MINUTE, 3.5 * MINUTE), 'now');
    expect(bytes.size()).toBe(before + 1 - 1);
    expect(listed(store.fetch('k'))).toEqual([
      `k[0,${2 * MINUTE}]=long`,
      `k[${3.5 * MINUTE},${3.5 * MINUTE}]=now`,
    ]);
  });

  it('comes back with the same contents after a restart and restores from changelog records', async () => {
    const directory = harness.directory();
    const s = spec(backend, 1_000);
    const first = await harness.openStore<Store>(s, directory);
    first.store.put(session('a', 0, 0), 'expires');
    first.store.put(session('a', 100, 400), 'a');
    first.store.put(session('b', 200, 300), 'b');
    first.store.put(session('b', 500, 600), 'gone');
    first.store.remove(session('b', 500, 600));
    first.store.put(session('c', 1_100, 1_200), 'c');
    const changelog = first.managed.drainChangelog();
    const before = listed(first.store.all());
    expect(before).toEqual(['a[100,400]=a', 'b[200,300]=b', 'c[1100,1200]=c']);
    const restored = await harness.restored<Store>(s, changelog);
    expect(listed(restored.store.all())).toEqual(before);
    expect(restored.managed.drainChangelog()).toEqual([]);
    const again = await harness.reopen<Store>(s, first, directory, changelog);
    expect(listed(again.store.all())).toEqual(before);
    // Stream time came back too: a session ending at 100 has expired.
    again.store.put(session('d', 0, 100), 'late');
    expect(again.store.fetchSession('d', 0, 100)).toBeUndefined();
  });
});
