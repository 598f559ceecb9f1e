import { toOffset } from '../../src/common/offset.ts';
// Kafka Streams' CachingInMemorySessionStoreTest, transcribed: the record cache in front of a session
// store, with a cache of 600 bytes and segments of 100 ms as in the Java test, and the Java test's
// record context (timestamp 10). Tributary's session store reads a key range with `fetchKeyRange`,
// which has no time bounds: where the Java test calls `findSessions(keyFrom, keyTo, earliestEnd,
// latestStart)`, every session it put lies within those bounds, so the results are the same. Kafka
// Streams' backward reads (`backwardFindSessions`, `backwardFetch`) are the reads with `{ reverse: true }`.
import { beforeEach, describe, expect } from 'vitest';
import { Serdes, type Serde, type Windowed } from 'tributary';
import type { FlushedChange } from '../../src/state/api.ts';
import { CachingSessionStore } from '../../src/state/cache/caching-session-store.ts';
import { RecordCache, type CachedRecordContext } from '../../src/state/cache/record-cache.ts';
import { MemoryBytesStore } from '../../src/state/memory/memory-bytes-store.ts';
import { SegmentedBytes } from '../../src/state/segmented/segmented-bytes.ts';
import { TypedSessionStore } from '../../src/state/typed/session-store.ts';
import { javaTest, notApplicable } from './support/conformance.ts';

const MAX_CACHE_SIZE_BYTES = 600;
const DEFAULT_TIMESTAMP = 10;
const SEGMENT_INTERVAL = 100;
const RETENTION = 100_000;
/** The Java test's record context: timestamp 10, offset 0, partition 0, topic "topic". */
const CONTEXT: CachedRecordContext = {
  timestamp: DEFAULT_TIMESTAMP,
  headers: {},
  origin: { topic: 'topic', partition: 0, offset: toOffset(0n) },
};

const CLOSED =
  'a caching store has no closed state of its own: no processor can reach the store of a closed task';
const CLOSED_BY_TASK =
  'the caching store is not closed on its own: the task closes the store underneath and clears the cache';
const BACKWARD = { reverse: true } as const;

function session(key: string, start: number, end: number): Windowed<string> {
  return { key, window: { start, end } };
}

/** A session store with the record cache in front, over an in-memory store that keeps everything. */
function cachingSessionStore<K>(keySerde: Serde<K>, cache: RecordCache) {
  const underlying = new TypedSessionStore<K, string>({
    name: 'store-name',
    // The Java test's store keeps sessions for Long.MAX_VALUE; longer than any time here will do (reads
    // visit every segment the retention covers).
    segments: new SegmentedBytes(new MemoryBytesStore(), RETENTION, SEGMENT_INTERVAL),
    keySerde,
    valueSerde: Serdes.String(),
    logger: undefined,
    now: () => DEFAULT_TIMESTAMP,
  });
  const store = new CachingSessionStore(underlying, cache, {
    current: () => CONTEXT,
    runWith: (_context, flush) => flush(),
  });
  return { underlying, store };
}

describe('CachingInMemorySessionStoreTest', () => {
  let cache: RecordCache;
  let underlying: TypedSessionStore<string, string>;
  let store: CachingSessionStore<string, string>;

  beforeEach(() => {
    cache = new RecordCache(MAX_CACHE_SIZE_BYTES);
    ({ underlying, store } = cachingSessionStore(Serdes.String(), cache));
  });

  const keys = (found: Iterable<{ key: Windowed<string> }>) => [...found].map((e) => e.key);

  /** A flush listener that records what it is handed, as the Java test's CacheFlushListenerStub. */
  function listen(sendOldValues: boolean) {
    const forwarded: {
      key: Windowed<string>;
      newValue: string | null;
      oldValue: string | null;
      timestamp: number;
    }[] = [];
    store.setFlushListener((flushed: FlushedChange<Windowed<string>, string>) => {
      forwarded.push({
        key: flushed.key,
        newValue: flushed.newValue,
        oldValue: flushed.oldValue,
        timestamp: flushed.timestamp,
      });
    }, sendOldValues);
    return forwarded;
  }

  /** Puts sessions of the given keys, 10 ms apart, until the cache evicts one; returns them. */
  function addSessionsUntilOverflow(...sessionIds: string[]) {
    const added: { key: Windowed<string>; value: string }[] = [];
    // The Java test picks the keys at random; any order will do.
    while (cache.evictions === 0) {
      const timestamp = added.length * 10;
      const key = session(sessionIds[added.length % sessionIds.length]!, timestamp, timestamp);
      store.put(key, '1');
      added.push({ key, value: '1' });
    }
    return added;
  }

  notApplicable(
    'shouldDelegateInit',
    'the caching store has no init of its own: the task opens the store underneath and puts the cache in front',
  );

  javaTest('shouldPutFetchFromCache', () => {
    store.put(session('a', 0, 0), '1');
    store.put(session('aa', 0, 0), '1');
    store.put(session('b', 0, 0), '1');
    // all three are in the cache, none in the store underneath
    expect([...underlying.all()]).toEqual([]);
    expect([...store.findSessions('a', 0, 0)]).toEqual([{ key: session('a', 0, 0), value: '1' }]);
    expect([...store.findSessions('b', 0, 0)]).toEqual([{ key: session('b', 0, 0), value: '1' }]);
  });

  notApplicable(
    'shouldMatchPositionAfterPutWithFlushListener',
    'stores track no IQv2 positions (consistency vectors) in Tributary',
  );
  notApplicable(
    'shouldMatchPositionAfterPutWithoutFlushListener',
    'stores track no IQv2 positions (consistency vectors) in Tributary',
  );

  javaTest('shouldPutFetchAllKeysFromCache', () => {
    store.put(session('a', 0, 0), '1');
    store.put(session('aa', 0, 0), '1');
    store.put(session('b', 0, 0), '1');
    const all = [session('a', 0, 0), session('aa', 0, 0), session('b', 0, 0)];
    expect(keys(store.fetchKeyRange('a', 'b'))).toEqual(all);
    // infinite keyFrom
    expect(keys(store.fetchKeyRange(undefined, 'b'))).toEqual(all);
    // infinite keyTo
    expect(keys(store.fetchKeyRange('a', undefined))).toEqual(all);
    // infinite keyFrom and keyTo
    expect(keys(store.fetchKeyRange(undefined, undefined))).toEqual(all);
  });

  javaTest('shouldPutBackwardFetchAllKeysFromCache', () => {
    store.put(session('a', 0, 0), '1');
    store.put(session('aa', 0, 0), '1');
    store.put(session('b', 0, 0), '1');
    const all = [session('b', 0, 0), session('aa', 0, 0), session('a', 0, 0)];
    expect(keys(store.fetchKeyRange('a', 'b', BACKWARD))).toEqual(all);
    // infinite keyFrom
    expect(keys(store.fetchKeyRange(undefined, 'b', BACKWARD))).toEqual(all);
    // infinite keyTo
    expect(keys(store.fetchKeyRange('a', undefined, BACKWARD))).toEqual(all);
    // infinite keyFrom and keyTo
    expect(keys(store.fetchKeyRange(undefined, undefined, BACKWARD))).toEqual(all);
    expect(keys(store.all(BACKWARD))).toEqual(all);
  });

  notApplicable('shouldCloseWrappedStoreAndCacheAfterErrorDuringCacheFlush', CLOSED_BY_TASK);
  notApplicable('shouldCloseWrappedStoreAfterErrorDuringCacheClose', CLOSED_BY_TASK);
  notApplicable('shouldCloseCacheAfterErrorDuringWrappedStoreClose', CLOSED_BY_TASK);

  javaTest('shouldPutFetchRangeFromCache', () => {
    store.put(session('a', 0, 0), '1');
    store.put(session('aa', 0, 0), '1');
    store.put(session('b', 0, 0), '1');
    expect(keys(store.fetchKeyRange('aa', 'b'))).toEqual([session('aa', 0, 0), session('b', 0, 0)]);
    // infinite keyFrom
    expect(keys(store.fetchKeyRange(undefined, 'aa'))).toEqual([session('a', 0, 0), session('aa', 0, 0)]);
    // infinite keyTo
    expect(keys(store.fetchKeyRange('aa', undefined))).toEqual([session('aa', 0, 0), session('b', 0, 0)]);
    // infinite keyFrom and keyTo
    expect(keys(store.fetchKeyRange(undefined, undefined))).toEqual([
      session('a', 0, 0),
      session('aa', 0, 0),
      session('b', 0, 0),
    ]);
  });

  javaTest('shouldPutBackwardFetchRangeFromCache', () => {
    store.put(session('a', 0, 0), '1');
    store.put(session('aa', 0, 0), '1');
    store.put(session('b', 0, 0), '1');
    expect(keys(store.fetchKeyRange('aa', 'b', BACKWARD))).toEqual([session('b', 0, 0), session('aa', 0, 0)]);
    // infinite keyFrom
    expect(keys(store.fetchKeyRange(undefined, 'aa', BACKWARD))).toEqual([
      session('aa', 0, 0),
      session('a', 0, 0),
    ]);
    // infinite keyTo
    expect(keys(store.fetchKeyRange('aa', undefined, BACKWARD))).toEqual([
      session('b', 0, 0),
      session('aa', 0, 0),
    ]);
    // infinite keyFrom and keyTo
    expect(keys(store.fetchKeyRange(undefined, undefined, BACKWARD))).toEqual([
      session('b', 0, 0),
      session('aa', 0, 0),
      session('a', 0, 0),
    ]);
  });

  javaTest('shouldFetchAllSessionsWithSameRecordKey', () => {
    const expected = [
      { key: session('a', 0, 0), value: '1' },
      { key: session('a', 10, 10), value: '2' },
      { key: session('a', 100, 100), value: '3' },
      { key: session('a', 1000, 1000), value: '4' },
    ];
    for (const { key, value } of expected) store.put(key, value);
    // one that must not appear in the results
    store.put(session('aa', 0, 0), '5');
    expect([...store.fetch('a')]).toEqual(expected);
  });

  javaTest('shouldBackwardFetchAllSessionsWithSameRecordKey', () => {
    const expected = [
      { key: session('a', 0, 0), value: '1' },
      { key: session('a', 10, 10), value: '2' },
      { key: session('a', 100, 100), value: '3' },
      { key: session('a', 1000, 1000), value: '4' },
    ];
    for (const { key, value } of expected) store.put(key, value);
    // one that must not appear in the results
    store.put(session('aa', 0, 0), '5');
    expect([...store.fetch('a', BACKWARD)]).toEqual([...expected].reverse());
  });

  javaTest('shouldFlushItemsToStoreOnEviction', () => {
    const added = addSessionsUntilOverflow('a', 'b', 'c', 'd');
    // Evicting the least recently used session flushed every dirty one to the store underneath (as
    // Kafka Streams' NamedCache.evict does); the evicted one is read from there.
    const first = added[0]!;
    expect([...underlying.all()]).toHaveLength(added.length);
    expect([...store.findSessions(first.key.key, 0, 0)][0]).toEqual(first);
  });

  javaTest('shouldQueryItemsInCacheAndStore', () => {
    const added = addSessionsUntilOverflow('a');
    expect([...underlying.all()]).not.toEqual([]);
    expect([...store.findSessions('a', 0, added.length * 10)]).toEqual(added);
  });

  javaTest('shouldRemove', () => {
    store.put(session('a', 0, 0), '2');
    store.put(session('b', 0, 0), '2');
    store.remove(session('a', 0, 0));
    expect([...store.findSessions('a', 0, 0)]).toEqual([]);
    expect(store.fetchSession('a', 0, 0)).toBeUndefined();
    expect(store.fetchSession('b', 0, 0)).toBe('2');
  });

  javaTest('shouldFetchCorrectlyAcrossSegments', () => {
    const a = [0, 1, 2, 3, 4, 5].map((i) => session('a', SEGMENT_INTERVAL * i, SEGMENT_INTERVAL * i));
    store.put(a[0]!, '1');
    store.put(a[1]!, '2');
    store.put(a[2]!, '3');
    store.flush();
    store.put(a[3]!, '4');
    store.put(a[4]!, '5');
    store.put(a[5]!, '6');
    expect(keys(store.findSessions('a', 0, SEGMENT_INTERVAL * 5))).toEqual(a);
  });

  javaTest('shouldBackwardFetchCorrectlyAcrossSegments', () => {
    const a = [0, 1, 2, 3, 4, 5].map((i) => session('a', SEGMENT_INTERVAL * i, SEGMENT_INTERVAL * i));
    store.put(a[0]!, '1');
    store.put(a[1]!, '2');
    store.put(a[2]!, '3');
    store.flush();
    store.put(a[3]!, '4');
    store.put(a[4]!, '5');
    store.put(a[5]!, '6');
    expect(keys(store.findSessions('a', 0, SEGMENT_INTERVAL * 5, BACKWARD))).toEqual([...a].reverse());
  });

  javaTest('shouldFetchRangeCorrectlyAcrossSegments', () => {
    const a1 = session('a', 0, 0);
    const aa1 = session('aa', 0, 0);
    const a2 = session('a', SEGMENT_INTERVAL, SEGMENT_INTERVAL);
    const a3 = session('a', SEGMENT_INTERVAL * 2, SEGMENT_INTERVAL * 2);
    const aa3 = session('aa', SEGMENT_INTERVAL * 2, SEGMENT_INTERVAL * 2);
    store.put(a1, '1');
    store.put(aa1, '1');
    store.put(a2, '2');
    store.put(a3, '3');
    store.put(aa3, '3');
    expect(keys(store.fetchKeyRange('a', 'aa'))).toEqual([a1, aa1, a2, a3, aa3]);
  });

  javaTest('shouldBackwardFetchRangeCorrectlyAcrossSegments', () => {
    const a1 = session('a', 0, 0);
    const aa1 = session('aa', 0, 0);
    const a2 = session('a', SEGMENT_INTERVAL, SEGMENT_INTERVAL);
    const a3 = session('a', SEGMENT_INTERVAL * 2, SEGMENT_INTERVAL * 2);
    const aa3 = session('aa', SEGMENT_INTERVAL * 2, SEGMENT_INTERVAL * 2);
    store.put(a1, '1');
    store.put(aa1, '1');
    store.put(a2, '2');
    store.put(a3, '3');
    store.put(aa3, '3');
    expect(keys(store.fetchKeyRange('a', 'aa', BACKWARD))).toEqual([aa3, a3, a2, aa1, a1]);
  });

  notApplicable(
    'shouldSetFlushListener',
    'setFlushListener returns nothing: only caching stores have it, which always take the listener',
  );

  javaTest('shouldForwardChangedValuesDuringFlush', () => {
    const forwarded = listen(true);
    const a = session('a', 2, 4);
    const b = session('a', 1, 2);
    store.put(b, '1');
    store.flush();
    expect(forwarded.splice(0)).toEqual([
      { key: b, newValue: '1', oldValue: null, timestamp: DEFAULT_TIMESTAMP },
    ]);
    store.put(a, '1');
    store.flush();
    expect(forwarded.splice(0)).toEqual([
      { key: a, newValue: '1', oldValue: null, timestamp: DEFAULT_TIMESTAMP },
    ]);
    store.put(a, '2');
    store.flush();
    expect(forwarded.splice(0)).toEqual([
      { key: a, newValue: '2', oldValue: '1', timestamp: DEFAULT_TIMESTAMP },
    ]);
    store.remove(a);
    store.flush();
    expect(forwarded.splice(0)).toEqual([
      { key: a, newValue: null, oldValue: '2', timestamp: DEFAULT_TIMESTAMP },
    ]);
    store.put(a, '1');
    store.put(a, '2');
    store.remove(a);
    store.flush();
    expect(forwarded).toEqual([]);
  });

  javaTest('shouldNotForwardChangedValuesDuringFlushWhenSendOldValuesDisabled', () => {
    const forwarded = listen(false);
    const a = session('a', 0, 0);
    store.put(a, '1');
    store.flush();
    store.put(a, '2');
    store.flush();
    store.remove(a);
    store.flush();
    expect(forwarded.splice(0)).toEqual([
      { key: a, newValue: '1', oldValue: null, timestamp: DEFAULT_TIMESTAMP },
      { key: a, newValue: '2', oldValue: null, timestamp: DEFAULT_TIMESTAMP },
      { key: a, newValue: null, oldValue: null, timestamp: DEFAULT_TIMESTAMP },
    ]);
    store.put(a, '1');
    store.put(a, '2');
    store.remove(a);
    store.flush();
    expect(forwarded).toEqual([]);
  });

  javaTest('shouldReturnSameResultsForSingleKeyFindSessionsAndEqualKeyRangeFindSessions', () => {
    store.put(session('a', 0, 1), '1');
    store.put(session('aa', 2, 3), '2');
    store.put(session('aa', 4, 5), '3');
    store.put(session('b', 6, 7), '4');
    const single = [...store.findSessions('aa', 0, 10)];
    expect(single).toEqual([
      { key: session('aa', 2, 3), value: '2' },
      { key: session('aa', 4, 5), value: '3' },
    ]);
    expect([...store.fetchKeyRange('aa', 'aa')]).toEqual(single);
  });

  javaTest('shouldReturnSameResultsForSingleKeyFindSessionsBackwardsAndEqualKeyRangeFindSessions', () => {
    store.put(session('a', 0, 1), '1');
    store.put(session('aa', 2, 3), '2');
    store.put(session('aa', 4, 5), '3');
    store.put(session('b', 6, 7), '4');
    const single = [...store.findSessions('aa', 0, 10, BACKWARD)];
    expect(single).toEqual([
      { key: session('aa', 4, 5), value: '3' },
      { key: session('aa', 2, 3), value: '2' },
    ]);
    expect([...store.fetchKeyRange('aa', 'aa', BACKWARD)]).toEqual(single);
  });

  javaTest('shouldClearNamespaceCacheOnClose', () => {
    store.put(session('a', 0, 0), '1');
    expect(cache.sizeBytes).toBeGreaterThan(0);
    // closing a task clears its stores' caches without flushing them
    store.clear();
    expect(cache.sizeBytes).toBe(0);
    expect([...store.fetch('a')]).toEqual([]);
  });

  notApplicable('shouldThrowIfTryingToFetchFromClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToFindMergeSessionFromClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToRemoveFromClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToPutIntoClosedCachingStore', CLOSED);

  javaTest('shouldThrowNullPointerExceptionOnFindSessionsNullKey', () => {
    expect(() => store.findSessions(null as unknown as string, 1, 2)).toThrow(/keys cannot be null/);
  });

  javaTest('shouldThrowNullPointerExceptionOnFetchNullKey', () => {
    expect(() => store.fetch(null as unknown as string)).toThrow(/keys cannot be null/);
  });

  // A session is an object with a key and a window; the Java test's null session stands for a
  // session without a key here (TypeScript's types refuse a null session).
  javaTest('shouldThrowNullPointerExceptionOnRemoveNullKey', () => {
    expect(() => store.remove(session(null as unknown as string, 0, 0))).toThrow(/keys cannot be null/);
  });

  javaTest('shouldThrowNullPointerExceptionOnPutNullKey', () => {
    expect(() => store.put(session(null as unknown as string, 0, 0), '1')).toThrow(/keys cannot be null/);
  });

  javaTest('shouldNotThrowInvalidRangeExceptionWhenBackwardWithNegativeFromKey', () => {
    // -1 serializes after 1 (two's complement, big-endian): the range is empty, not an error.
    const ints = cachingSessionStore(Serdes.Int(), cache).store;
    ints.put({ key: 0, window: { start: 0, end: 0 } }, '0');
    expect([...ints.fetchKeyRange(-1, 1, BACKWARD)]).toEqual([]);
  });

  javaTest('shouldNotThrowInvalidRangeExceptionWithNegativeFromKey', () => {
    // -1 serializes after 1 (two's complement, big-endian): the range is empty, not an error.
    const ints = cachingSessionStore(Serdes.Int(), cache).store;
    ints.put({ key: 0, window: { start: 0, end: 0 } }, '0');
    expect([...ints.fetchKeyRange(-1, 1)]).toEqual([]);
  });
});
