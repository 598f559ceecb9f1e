// The record cache of windowed and session aggregations, as a user of the DSL sees it through the
// test driver: between commits each window (each session) reaches downstream once, with its latest
// aggregate, the timestamp of that aggregate and the headers of the record that last wrote it; sessions
// merged away before a commit never reach downstream; reads through the store see what the cache holds,
// except what the store has expired.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  SessionWindows,
  SlidingWindows,
  StreamsBuilder,
  TimeWindows,
  type KGroupedStream,
  type KTable,
  type Windowed,
} from 'tributary';
import { TopologyTestDriver, type TopologyTestDriverOptions } from 'tributary/testing';
import { CachingSessionStore } from '../../src/state/cache/caching-session-store.ts';
import { CachingWindowStore } from '../../src/state/cache/caching-window-store.ts';
import { RecordCache } from '../../src/state/cache/record-cache.ts';
import { MemoryBytesStore } from '../../src/state/memory/memory-bytes-store.ts';
import { SegmentedBytes } from '../../src/state/segmented/segmented-bytes.ts';
import { TypedSessionStore } from '../../src/state/typed/session-store.ts';
import { TypedWindowStore } from '../../src/state/typed/window-store.ts';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const timeKey = Serdes.TimeWindowed(Serdes.String(), 10);
const sessionKey = Serdes.SessionWindowed(Serdes.String());

type Counts = KTable<Windowed<string>, number>;

describe('the record cache of windowed aggregations', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  /** Counts `events` with `count`, writing the windowed counts to `out` with `keySerde`. */
  async function windowedCounts(
    count: (grouped: KGroupedStream<string, string>) => Counts,
    keySerde: typeof timeKey,
    options: TopologyTestDriverOptions = { commitEachRecord: false },
  ) {
    const builder = new StreamsBuilder();
    count(builder.stream<string, string>('events', strings).groupByKey())
      .toStream()
      .to('out', { keySerde, valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build(), options);
    const output = driver.createOutputTopic<Windowed<string>, number>('out', keySerde, Serdes.Long());
    return {
      driver,
      input: driver.createInputTopic<string, string>('events'),
      /** `key@start/end=count@timestamp` for each record on `out`, with its headers. */
      read: () =>
        output
          .readRecordsToList()
          .map((r) => `${r.key!.key}@${r.key!.window.start}/${r.key!.window.end}=${r.value}@${r.timestamp}`),
      output,
    };
  }

  const tumbling = (grouped: KGroupedStream<string, string>, caching?: false) =>
    grouped
      // Grace, so that the late record below still counts.
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 100))
      .count({ storeName: 'counts', ...(caching === false ? { caching } : {}) });

  it('forwards each time window once per commit, with its latest count, timestamp and writer’s headers', async () => {
    const { driver, input, read, output } = await windowedCounts((g) => tumbling(g), timeKey);
    input.pipeInput('a', 'x', 1, { n: '1' });
    input.pipeInput('a', 'x', 3, { n: '2' });
    input.pipeInput('b', 'x', 2, { n: '3' });
    input.pipeInput('a', 'x', 12, { n: '4' });
    input.pipeInput('a', 'x', 2, { n: '5' });
    expect(read()).toEqual([]);
    // Reads through the store see the cached counts before the commit.
    expect(driver.getWindowStore<string, number>('counts').fetch('a', 0)).toBe(3);
    driver.commit();
    // In the order of each window's last write.
    expect(read()).toEqual(['b@0/10=1@2', 'a@10/20=1@12', 'a@0/10=3@3']);
    input.pipeInput('a', 'x', 15, { n: '6' });
    driver.commit();
    const [record] = output.readRecordsToList();
    expect(record).toMatchObject({ value: 2, timestamp: 15, headers: { n: '6' } });
  });

  it('forwards every update with caching off for the store, and with the driver committing after each record', async () => {
    for (const [count, options] of [
      [(g: KGroupedStream<string, string>) => tumbling(g, false), { commitEachRecord: false }],
      [(g: KGroupedStream<string, string>) => tumbling(g), {}],
    ] as const) {
      const { driver, input, read } = await windowedCounts(count, timeKey, options);
      input.pipeInput('a', 'x', 1);
      input.pipeInput('a', 'x', 3);
      driver.commit();
      expect(read()).toEqual(['a@0/10=1@1', 'a@0/10=2@3']);
      await driver.close();
    }
  });

  it('flushes a window store’s cache when the record cache is full, without waiting for the commit', async () => {
    const { input, read } = await windowedCounts((g) => tumbling(g), timeKey, {
      commitEachRecord: false,
      recordCacheMaxBytes: 200,
    });
    for (let t = 0; t < 50; t += 10) input.pipeInput('a', 'x', t);
    expect(read().length).toBeGreaterThan(0);
  });

  it('sliding windows: each window’s final count between commits is what the uncached aggregation ends with', async () => {
    const records: [string, number][] = [
      ['a', 10],
      ['a', 14],
      ['b', 12],
      ['a', 11],
      ['a', 30],
      ['b', 19],
      ['a', 25],
    ];
    const lastPerWindow = async (caching?: false) => {
      const { driver, input, read } = await windowedCounts(
        (g) =>
          g
            .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10))
            .count({ storeName: 'sliding', ...(caching === false ? { caching } : {}) }),
        timeKey,
      );
      for (const [key, t] of records) input.pipeInput(key, 'x', t);
      driver.commit();
      const lines = read();
      await driver.close();
      return lines;
    };
    const uncached = await lastPerWindow(false);
    const cached = await lastPerWindow();
    // Cached: one line per window; each is the last line the uncached aggregation wrote for it.
    const windowOf = (line: string) => line.split('=')[0]!;
    const last = new Map(uncached.map((line) => [windowOf(line), line]));
    expect(cached.length).toBeLessThan(uncached.length);
    expect(new Set(cached.map(windowOf)).size).toBe(cached.length);
    expect([...cached].sort()).toEqual([...last.values()].sort());
  });

  it('sessions: merged-away sessions never reach downstream, and the merged one carries its writer’s headers', async () => {
    const { driver, input, read, output } = await windowedCounts(
      (g) => g.windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 100)).count({ storeName: 'sessions' }),
      sessionKey,
    );
    input.pipeInput('a', 'x', 0, { n: '1' });
    input.pipeInput('a', 'x', 5, { n: '2' });
    input.pipeInput('a', 'x', 30, { n: '3' });
    input.pipeInput('a', 'x', 3, { n: '4' });
    // Reads through the store see the cached sessions, not the ones merged away.
    expect([...driver.getSessionStore<string, number>('sessions').fetch('a')].map((s) => s.value)).toEqual([
      3, 1,
    ]);
    driver.commit();
    expect(read()).toEqual(['a@30/30=1@30', 'a@0/5=3@5']);
    input.pipeInput('a', 'x', 8, { n: '5' });
    driver.commit();
    // The session [0,5] reached the store at the last commit: extending it deletes it downstream.
    const records = output.readRecordsToList();
    expect(records.map((r) => [r.key!.window.start, r.key!.window.end, r.value, r.headers])).toEqual([
      [0, 5, null, { n: '5' }],
      [0, 8, 4, { n: '5' }],
    ]);
  });
});

describe('caching window and session stores', () => {
  const scope = {
    current: () => ({ timestamp: 0, headers: {}, origin: undefined }),
    runWith: (_context: unknown, flush: () => void) => flush(),
  };
  const segments = () => new SegmentedBytes(new MemoryBytesStore(), 100, 50);

  /** A caching window store and a caching session store sharing one record cache. */
  function stores() {
    const cache = new RecordCache(1024 * 1024);
    const windowStore = new TypedWindowStore<string, string>({
      name: 'windows',
      segments: segments(),
      keySerde: Serdes.String(),
      valueSerde: Serdes.String(),
      logger: undefined,
      now: () => 0,
      windowSizeMs: 10,
      retainDuplicates: false,
    });
    const sessionStore = new TypedSessionStore<string, string>({
      name: 'sessions',
      segments: segments(),
      keySerde: Serdes.String(),
      valueSerde: Serdes.String(),
      logger: undefined,
      now: () => 0,
    });
    return {
      windowStore,
      sessionStore,
      windows: new CachingWindowStore(windowStore, cache, scope),
      sessions: new CachingSessionStore(sessionStore, cache, scope),
    };
  }

  it('tell the change listener (query subscriptions) of a write when they take it, not again at the flush', () => {
    const { windowStore, sessionStore, windows, sessions } = stores();
    const heard: unknown[] = [];
    windowStore.setChangeListener((c) => heard.push(['window', c.key, c.window?.start, c.value]));
    sessionStore.setChangeListener((c) => heard.push(['session', c.key, c.window?.end, c.value]));
    windows.put('a', '1', 0);
    sessions.put({ key: 'a', window: { start: 0, end: 5 } }, '1');
    sessions.remove({ key: 'a', window: { start: 0, end: 5 } });
    expect(heard).toEqual([
      ['window', 'a', 0, '1'],
      ['session', 'a', 5, '1'],
      ['session', 'a', 5, null],
    ]);
    windows.flush();
    sessions.flush();
    expect(heard).toHaveLength(3);
    expect(windowStore.fetch('a', 0)).toBe('1');
  });

  it('do not show cached windows or sessions that the store has expired since they were flushed', () => {
    const { windows, sessions } = stores();
    windows.put('a', 'old', 0);
    sessions.put({ key: 'a', window: { start: 0, end: 0 } }, 'old');
    windows.flush();
    sessions.flush();
    // Still cached (clean), and still within retention.
    expect(windows.fetch('a', 0)).toBe('old');
    expect([...sessions.fetch('a')].map((s) => s.value)).toEqual(['old']);
    windows.put('a', 'new', 500);
    sessions.put({ key: 'a', window: { start: 500, end: 500 } }, 'new');
    windows.flush();
    sessions.flush();
    expect(windows.fetch('a', 0)).toBeUndefined();
    expect([...windows.fetchWindows('a', 0, 1000)].map((w) => w.value)).toEqual(['new']);
    expect([...windows.all()].map((w) => w.value)).toEqual(['new']);
    expect(sessions.fetchSession('a', 0, 0)).toBeUndefined();
    expect([...sessions.findSessions('a', 0, 1000)].map((s) => s.value)).toEqual(['new']);
    expect([...sessions.all()].map((s) => s.value)).toEqual(['new']);
  });
});
