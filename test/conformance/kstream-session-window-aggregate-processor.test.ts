// Kafka Streams' KStreamSessionWindowAggregateProcessorTest, transcribed: the session aggregation, for
// both emit strategies. The Java tests drive the processor over a store with the record cache on
// (emitting on update), and read the store; here a topology does the same and the store is read
// through the test driver. Where a case flushes the store only at its end (`sessionStore.flush()`), the
// driver commits only then (`commitEachRecord: false`, `driver.commit()`), so the updates expected are
// the cache's (one per session, merged-away sessions never reaching downstream).
import { describe, expect } from 'vitest';
import { EmitStrategy, Serdes, SessionWindows, StreamsBuilder, type Windowed } from 'tributary';
import type { Change } from '../../src/processor/change.ts';
import {
  Captured,
  captureChanges,
  change,
  driverPerTest,
  javaTest,
  kvt,
  type Kvt,
} from './support/conformance.ts';

const GAP_MS = 5 * 60 * 1000;
const STORE_NAME = 'session-store';
const STRATEGIES = ['update', 'close'] as const;
type Strategy = (typeof STRATEGIES)[number];

function session(key: string, start: number, end: number): Windowed<string> {
  return { key, window: { start, end } };
}

describe('KStreamSessionWindowAggregateProcessorTest', () => {
  const start = driverPerTest();

  /** The Java `setup`: a count per session (merger: sum), emitting with `strategy`. */
  async function sessionCount(
    strategy: Strategy,
    windows = SessionWindows.ofInactivityGapWithNoGrace(GAP_MS),
    commitEachRecord = true,
  ) {
    const builder = new StreamsBuilder();
    const table = builder
      .stream<string, string>('input', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .groupByKey()
      .windowedBy(windows)
      .emitStrategy(strategy === 'close' ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate())
      .aggregate(
        () => 0,
        (_key, _value, aggregate) => aggregate + 1,
        (_key, a, b) => a + b,
        // The Java tests' store keeps sessions for three gaps.
        { storeName: STORE_NAME, valueSerde: Serdes.Long(), retentionMs: GAP_MS * 3 },
      );
    const results = new Captured<Windowed<string>, Change<number>>();
    captureChanges(table, results);
    const driver = await start(builder.build(), { commitEachRecord });
    const input = driver.createInputTopic<string, string>('input');
    const store = driver.getSessionStore<string, number>(STORE_NAME);
    return {
      driver,
      results,
      store,
      process: (key: string | null, value: string, ts: number) => input.pipeInput(key, value, ts),
    };
  }

  const values = (found: Iterable<{ value: number }>) => [...found].map((s) => s.value);

  javaTest('shouldCreateSingleSessionWhenWithinGap', async () => {
    for (const strategy of STRATEGIES) {
      const { store, process } = await sessionCount(strategy);
      process('john', 'first', 0);
      process('john', 'second', 500);
      expect(values(store.findSessions('john', 0, 2000))[0]).toBe(2);
    }
  });

  javaTest('shouldMergeSessions', async () => {
    for (const strategy of STRATEGIES) {
      const { store, process } = await sessionCount(strategy);
      process('mel', 'first', 0);
      expect(values(store.findSessions('mel', 0, 0))).toHaveLength(1);
      process('mel', 'second', GAP_MS + 1);
      expect(values(store.findSessions('mel', GAP_MS + 1, GAP_MS + 1))).toHaveLength(1);
      expect(values(store.findSessions('mel', 0, 0))).toHaveLength(1);
      process('mel', 'third', GAP_MS / 2);
      expect(values(store.findSessions('mel', 0, GAP_MS + 1))).toEqual([3]);
    }
  });

  javaTest('shouldUpdateSessionIfTheSameTime', async () => {
    for (const strategy of STRATEGIES) {
      const { store, process } = await sessionCount(strategy);
      process('mel', 'first', 0);
      process('mel', 'second', 0);
      expect(values(store.findSessions('mel', 0, 0))).toEqual([2]);
    }
  });

  javaTest('shouldHaveMultipleSessionsForSameIdWhenTimestampApartBySessionGap', async () => {
    for (const strategy of STRATEGIES) {
      const { driver, results, process } = await sessionCount(strategy, undefined, false);
      let now = 0;
      process('mel', 'first', now);
      now += GAP_MS + 1;
      process('mel', 'second', now);
      process('mel', 'second', now);
      now += GAP_MS + 1;
      process('mel', 'third', now);
      process('mel', 'third', now);
      process('mel', 'third', now);
      driver.commit();
      const expected = [
        kvt(session('mel', 0, 0), change(1, null), 0),
        kvt(session('mel', GAP_MS + 1, GAP_MS + 1), change(2, null), GAP_MS + 1),
      ];
      if (strategy === 'update') expected.push(kvt(session('mel', now, now), change(3, null), now));
      results.check(...expected);
    }
  });

  javaTest('shouldRemoveMergedSessionsFromStateStore', async () => {
    for (const strategy of STRATEGIES) {
      const { store, process } = await sessionCount(strategy);
      process('a', '1', 0);
      expect([...store.findSessions('a', 0, 0)]).toEqual([{ key: session('a', 0, 0), value: 1 }]);
      process('a', '2', 100);
      expect([...store.findSessions('a', 0, 100)]).toEqual([{ key: session('a', 0, 100), value: 2 }]);
    }
  });

  javaTest('shouldHandleMultipleSessionsAndMerging', async () => {
    for (const strategy of STRATEGIES) {
      const { driver, results, process } = await sessionCount(strategy, undefined, false);
      process('a', '1', 0);
      process('b', '1', 0);
      process('c', '1', 0);
      process('d', '1', 0);
      process('d', '2', GAP_MS / 2);
      process('a', '2', GAP_MS + 1);
      process('b', '2', GAP_MS + 1);
      process('a', '3', GAP_MS + 1 + GAP_MS / 2);
      process('c', '3', GAP_MS + 1 + GAP_MS / 2);
      driver.commit();
      const expected: Kvt[] = [
        kvt(session('a', 0, 0), change(1, null), 0),
        kvt(session('b', 0, 0), change(1, null), 0),
        kvt(session('c', 0, 0), change(1, null), 0),
        kvt(session('d', 0, GAP_MS / 2), change(2, null), GAP_MS / 2),
      ];
      // Flushed in the order of each session's last write; d's and a's merged-away sessions never
      // reached the store, so neither they nor their removals are forwarded.
      if (strategy === 'update')
        expected.push(
          kvt(session('b', GAP_MS + 1, GAP_MS + 1), change(1, null), GAP_MS + 1),
          kvt(session('a', GAP_MS + 1, GAP_MS + 1 + GAP_MS / 2), change(2, null), GAP_MS + 1 + GAP_MS / 2),
          kvt(
            session('c', GAP_MS + 1 + GAP_MS / 2, GAP_MS + 1 + GAP_MS / 2),
            change(1, null),
            GAP_MS + 1 + GAP_MS / 2,
          ),
        );
      results.check(...expected);
    }
  });

  // The Java test reads through the aggregation's value getter, which reads the session store.
  javaTest('shouldGetAggregatedValuesFromValueGetter', async () => {
    for (const strategy of STRATEGIES) {
      const { store, process } = await sessionCount(strategy);
      process('a', '1', 0);
      process('a', '1', GAP_MS + 1);
      process('a', '2', GAP_MS + 1);
      expect(store.fetchSession('a', 0, 0)).toBe(1);
      expect(store.fetchSession('a', GAP_MS + 1, GAP_MS + 1)).toBe(2);
    }
  });

  javaTest('shouldImmediatelyForwardNewSessionWhenNonCachedStore', async () => {
    const { results, process } = await sessionCount('update');
    process('a', '1', 0);
    process('b', '1', 0);
    process('c', '1', 0);
    results.check(
      kvt(session('a', 0, 0), change(1, null), 0),
      kvt(session('b', 0, 0), change(1, null), 0),
      kvt(session('c', 0, 0), change(1, null), 0),
    );
  });

  javaTest('shouldImmediatelyForwardRemovedSessionsWhenMerging', async () => {
    const { results, process } = await sessionCount('update');
    process('a', '1', 0);
    process('a', '1', 5);
    results.check(
      kvt(session('a', 0, 0), change(1, null), 0),
      kvt(session('a', 0, 0), change(null, null), 0),
      kvt(session('a', 0, 5), change(2, null), 5),
    );
  });

  javaTest('shouldLogAndMeterWhenSkippingNullKeyWithBuiltInMetrics', async () => {
    for (const strategy of STRATEGIES) {
      const { driver, process } = await sessionCount(strategy);
      process(null, '1', 0);
      expect(driver.droppedRecords()).toEqual(new Map([['null-key', 1]]));
    }
  });

  javaTest('shouldLogAndMeterWhenSkippingLateRecordWithZeroGrace', async () => {
    for (const strategy of STRATEGIES) {
      const { driver, process } = await sessionCount(strategy, SessionWindows.ofInactivityGapAndGrace(10, 0));
      process('dummy', 'dummy', 0);
      process('OnTime1', '1', 0);
      process('dummy', 'dummy', 11);
      process('Late1', '1', 0);
      expect(driver.droppedRecords()).toEqual(new Map([['expired-window', 1]]));
    }
  });

  javaTest('shouldLogAndMeterWhenSkippingLateRecordWithNonzeroGrace', async () => {
    for (const strategy of STRATEGIES) {
      const { driver, process } = await sessionCount(strategy, SessionWindows.ofInactivityGapAndGrace(10, 1));
      process('dummy', 'dummy', 0);
      process('OnTime1', '1', 0);
      process('dummy', 'dummy', 11);
      process('OnTime2', '1', 0);
      process('dummy', 'dummy', 12);
      process('Late1', '1', 0);
      expect(driver.droppedRecords()).toEqual(new Map([['expired-window', 1]]));
    }
  });
});
