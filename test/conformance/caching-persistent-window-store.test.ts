import { toOffset } from '../../src/common/offset.ts';
// Kafka Streams' CachingPersistentWindowStoreTest, transcribed: the record cache in front of a window
// store, with a cache of 150 bytes, windows of 10 ms, segments of 100 ms and a retention of 100 ms as
// in the Java test, and the Java test's record context (timestamp 10). Tributary's cache counts an
// entry's bytes a little differently from Kafka Streams', so the cases that fill the cache put until it
// evicts instead of counting bytes. Backward reads are the reads with `{ reverse: true }`.
import { beforeEach, describe, expect } from 'vitest';
import { Serdes, type Serde, type Windowed } from 'tributary';
import type { FlushedChange } from '../../src/state/api.ts';
import { CachingWindowStore } from '../../src/state/cache/caching-window-store.ts';
import { RecordCache, type CachedRecordContext } from '../../src/state/cache/record-cache.ts';
import { MemoryBytesStore } from '../../src/state/memory/memory-bytes-store.ts';
import { SegmentedBytes } from '../../src/state/segmented/segmented-bytes.ts';
import { TypedWindowStore } from '../../src/state/typed/window-store.ts';
import { javaTest, notApplicable } from './support/conformance.ts';

const MAX_CACHE_SIZE_BYTES = 150;
const DEFAULT_TIMESTAMP = 10;
const WINDOW_SIZE = 10;
const SEGMENT_INTERVAL = 100;
const RETENTION = 100;
/** The Java test's `Long.MAX_VALUE` as the end of a fetch. */
const MAX_TIME = Number.MAX_SAFE_INTEGER;
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
const POSITION = 'stores track no IQv2 positions (consistency vectors) in Tributary';

function windowed(key: string, start: number): Windowed<string> {
  return { key, window: { start, end: start + WINDOW_SIZE } };
}

function windowedPair(key: string, value: string, start: number) {
  return { key: windowed(key, start), value };
}

function cachingWindowStore<K>(keySerde: Serde<K>, cache: RecordCache, retentionMs = RETENTION) {
  const underlying = new TypedWindowStore<K, string>({
    name: 'store-name',
    segments: new SegmentedBytes(new MemoryBytesStore(), retentionMs, SEGMENT_INTERVAL),
    keySerde,
    valueSerde: Serdes.String(),
    logger: undefined,
    now: () => DEFAULT_TIMESTAMP,
    windowSizeMs: WINDOW_SIZE,
    retainDuplicates: false,
  });
  const store = new CachingWindowStore(underlying, cache, {
    current: () => CONTEXT,
    runWith: (_context, flush) => flush(),
  });
  return { underlying, store };
}

describe('CachingPersistentWindowStoreTest', () => {
  let cache: RecordCache;
  let underlying: TypedWindowStore<string, string>;
  let store: CachingWindowStore<string, string>;
  /** Kafka Streams' CacheFlushListenerStub: the last change forwarded per window. */
  let forwarded: Map<string, FlushedChange<Windowed<string>, string>>;

  const listen = (sendOldValues: boolean) =>
    store.setFlushListener(
      (flushed) => forwarded.set(`${flushed.key.key}@${flushed.key.window.start}`, flushed),
      sendOldValues,
    );

  beforeEach(() => {
    cache = new RecordCache(MAX_CACHE_SIZE_BYTES);
    ({ underlying, store } = cachingWindowStore(Serdes.String(), cache));
    forwarded = new Map();
    listen(false);
  });

  /** Puts windows of keys "0", "1", … at the default timestamp until the cache evicts; returns how many. */
  function addItemsToCache(): number {
    let i = 0;
    while (cache.evictions === 0) {
      const kv = String(i++);
      store.put(kv, kv, DEFAULT_TIMESTAMP);
    }
    return i;
  }

  const starts = (entries: Iterable<{ windowStart: number; value: string }>) =>
    [...entries].map(({ windowStart, value }) => [windowStart, value]);

  notApplicable(
    'shouldDelegateInit',
    'the caching store has no init of its own: the task opens the store underneath and puts the cache in front',
  );

  // The Java test runs a processor over a caching window store (retention 1 h) in a TopologyTestDriver
  // committing every 10 s of wall-clock time; Tributary has no caching for stores added by hand, so the
  // same check runs on the caching store: every scan sees each window once, whether it is cached,
  // flushed, or both.
  javaTest('shouldNotReturnDuplicatesInRanges', () => {
    const { store } = cachingWindowStore(Serdes.String(), cache, 60 * 60 * 1000);
    let processed = 0;
    for (let batch = 0; batch < 4; batch++) {
      for (let i = 0; i < 5; i++) {
        expect([...store.all()]).toHaveLength(processed);
        const value = `value-${batch}-${i}`;
        store.put(value, value, batch * 10_000);
        processed++;
      }
      store.flush();
    }
  });

  javaTest('shouldPutFetchFromCache', () => {
    store.put('a', 'a', DEFAULT_TIMESTAMP);
    store.put('b', 'b', DEFAULT_TIMESTAMP);
    expect(store.fetch('a', 10)).toBe('a');
    expect(store.fetch('b', 10)).toBe('b');
    expect(store.fetch('c', 10)).toBeUndefined();
    expect(store.fetch('a', 0)).toBeUndefined();
    expect(starts(store.fetchWindows('a', 10, 10))).toEqual([[DEFAULT_TIMESTAMP, 'a']]);
    expect(starts(store.fetchWindows('b', 10, 10))).toEqual([[DEFAULT_TIMESTAMP, 'b']]);
  });

  notApplicable('shouldMatchPositionAfterPutWithFlushListener', POSITION);
  notApplicable('shouldMatchPositionAfterPutWithoutFlushListener', POSITION);

  javaTest('shouldPutFetchRangeFromCache', () => {
    store.put('a', 'a', DEFAULT_TIMESTAMP);
    store.put('b', 'b', DEFAULT_TIMESTAMP);
    expect([...store.fetchKeyRange('a', 'b', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP)]).toEqual([
      windowedPair('a', 'a', DEFAULT_TIMESTAMP),
      windowedPair('b', 'b', DEFAULT_TIMESTAMP),
    ]);
  });

  /** The five windows the null-bound range cases put. */
  function putFive(): void {
    store.put('a', 'a', DEFAULT_TIMESTAMP);
    store.put('b', 'b', DEFAULT_TIMESTAMP);
    store.put('c', 'c', DEFAULT_TIMESTAMP + 10);
    store.put('d', 'd', DEFAULT_TIMESTAMP + 20);
    store.put('e', 'e', DEFAULT_TIMESTAMP + 20);
  }
  const five = [
    windowedPair('a', 'a', DEFAULT_TIMESTAMP),
    windowedPair('b', 'b', DEFAULT_TIMESTAMP),
    windowedPair('c', 'c', DEFAULT_TIMESTAMP + 10),
    windowedPair('d', 'd', DEFAULT_TIMESTAMP + 20),
    windowedPair('e', 'e', DEFAULT_TIMESTAMP + 20),
  ];
  const range = (from: string | undefined, to: string | undefined, reverse = false) => [
    ...store.fetchKeyRange(from, to, DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + 20, { reverse }),
  ];

  javaTest('shouldPutFetchRangeFromCacheForNullKeyFrom', () => {
    putFive();
    expect(range(undefined, 'd')).toEqual(five.slice(0, 4));
  });

  javaTest('shouldPutFetchRangeFromCacheForNullKeyTo', () => {
    putFive();
    expect(range('b', undefined)).toEqual(five.slice(1));
  });

  javaTest('shouldPutFetchRangeFromCacheForNullKeyFromKeyTo', () => {
    putFive();
    expect(range(undefined, undefined)).toEqual(five);
  });

  javaTest('shouldPutBackwardFetchRangeFromCacheForNullKeyFrom', () => {
    putFive();
    expect(range(undefined, 'c', true)).toEqual(five.slice(0, 3).reverse());
  });

  javaTest('shouldPutBackwardFetchRangeFromCacheForNullKeyTo', () => {
    putFive();
    expect(range('c', undefined, true)).toEqual(five.slice(2).reverse());
  });

  javaTest('shouldPutBackwardFetchRangeFromCacheForNullKeyFromKeyTo', () => {
    putFive();
    expect(range(undefined, undefined, true)).toEqual([...five].reverse());
  });

  const letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

  javaTest('shouldGetAllFromCache', () => {
    for (const s of letters) store.put(s, s, DEFAULT_TIMESTAMP);
    expect([...store.all()]).toEqual(letters.map((s) => windowedPair(s, s, DEFAULT_TIMESTAMP)));
  });

  javaTest('shouldGetAllBackwardFromCache', () => {
    for (const s of letters) store.put(s, s, DEFAULT_TIMESTAMP);
    expect([...store.all({ reverse: true })]).toEqual(
      [...letters].reverse().map((s) => windowedPair(s, s, DEFAULT_TIMESTAMP)),
    );
  });

  javaTest('shouldFetchAllWithinTimestampRange', () => {
    letters.forEach((s, i) => store.put(s, s, i));
    const expected = (from: number, to: number) =>
      letters.slice(from, to + 1).map((s, i) => windowedPair(s, s, from + i));
    expect([...store.fetchAll(0, 7)]).toEqual(expected(0, 7));
    expect([...store.fetchAll(2, 4)]).toEqual(expected(2, 4));
    expect([...store.fetchAll(5, 7)]).toEqual(expected(5, 7));
  });

  javaTest('shouldFetchAllBackwardWithinTimestampRange', () => {
    letters.forEach((s, i) => store.put(s, s, i));
    const expected = (from: number, to: number) =>
      letters
        .slice(from, to + 1)
        .map((s, i) => windowedPair(s, s, from + i))
        .reverse();
    expect([...store.fetchAll(0, 7, { reverse: true })]).toEqual(expected(0, 7));
    expect([...store.fetchAll(2, 4, { reverse: true })]).toEqual(expected(2, 4));
    expect([...store.fetchAll(5, 7, { reverse: true })]).toEqual(expected(5, 7));
  });

  javaTest('shouldFlushEvictedItemsIntoUnderlyingStore', () => {
    addItemsToCache();
    // all dirty entries were flushed when the cache evicted
    expect(starts(underlying.fetchWindows('0', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP))).toEqual([
      [DEFAULT_TIMESTAMP, '0'],
    ]);
  });

  javaTest('shouldForwardDirtyItemsWhenFlushCalled', () => {
    store.put('1', 'a', DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(`1@${DEFAULT_TIMESTAMP}`)).toMatchObject({ newValue: 'a', oldValue: null });
  });

  notApplicable(
    'shouldSetFlushListener',
    'setFlushListener returns nothing: only caching stores have it, which always take the listener',
  );

  javaTest('shouldForwardOldValuesWhenEnabled', () => {
    listen(true);
    const key = `1@${DEFAULT_TIMESTAMP}`;
    store.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(key)).toMatchObject({ newValue: 'b', oldValue: null });
    forwarded.clear();
    store.put('1', 'c', DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(key)).toMatchObject({ newValue: 'c', oldValue: 'b' });
    store.put('1', null, DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(key)).toMatchObject({ newValue: null, oldValue: 'c' });
    forwarded.clear();
    store.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP);
    store.put('1', null, DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(key)).toBeUndefined();
  });

  javaTest('shouldForwardOldValuesWhenDisabled', () => {
    const key = `1@${DEFAULT_TIMESTAMP}`;
    store.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(key)).toMatchObject({ newValue: 'b', oldValue: null });
    store.put('1', 'c', DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(key)).toMatchObject({ newValue: 'c', oldValue: null });
    store.put('1', null, DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(key)).toMatchObject({ newValue: null, oldValue: null });
    forwarded.clear();
    store.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP);
    store.put('1', null, DEFAULT_TIMESTAMP);
    store.flush();
    expect(forwarded.get(key)).toBeUndefined();
  });

  javaTest('shouldForwardDirtyItemToListenerWhenEvicted', () => {
    const numRecords = addItemsToCache();
    expect(forwarded.size).toBe(numRecords);
  });

  javaTest('shouldTakeValueFromCacheIfSameTimestampFlushedToRocks', () => {
    store.put('1', 'a', DEFAULT_TIMESTAMP);
    store.flush();
    store.put('1', 'b', DEFAULT_TIMESTAMP);
    expect(starts(store.fetchWindows('1', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP))).toEqual([
      [DEFAULT_TIMESTAMP, 'b'],
    ]);
  });

  javaTest('shouldIterateAcrossWindows', () => {
    store.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP + WINDOW_SIZE);
    expect(starts(store.fetchWindows('1', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + WINDOW_SIZE))).toEqual([
      [DEFAULT_TIMESTAMP, 'a'],
      [DEFAULT_TIMESTAMP + WINDOW_SIZE, 'b'],
    ]);
  });

  javaTest('shouldIterateBackwardAcrossWindows', () => {
    store.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP + WINDOW_SIZE);
    expect(
      starts(store.fetchWindows('1', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + WINDOW_SIZE, { reverse: true })),
    ).toEqual([
      [DEFAULT_TIMESTAMP + WINDOW_SIZE, 'b'],
      [DEFAULT_TIMESTAMP, 'a'],
    ]);
  });

  javaTest('shouldIterateCacheAndStore', () => {
    underlying.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP + WINDOW_SIZE);
    expect(starts(store.fetchWindows('1', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + WINDOW_SIZE))).toEqual([
      [DEFAULT_TIMESTAMP, 'a'],
      [DEFAULT_TIMESTAMP + WINDOW_SIZE, 'b'],
    ]);
  });

  javaTest('shouldIterateBackwardCacheAndStore', () => {
    underlying.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP + WINDOW_SIZE);
    expect(
      starts(store.fetchWindows('1', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + WINDOW_SIZE, { reverse: true })),
    ).toEqual([
      [DEFAULT_TIMESTAMP + WINDOW_SIZE, 'b'],
      [DEFAULT_TIMESTAMP, 'a'],
    ]);
  });

  javaTest('shouldIterateCacheAndStoreKeyRange', () => {
    underlying.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP + WINDOW_SIZE);
    expect([...store.fetchKeyRange('1', '2', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + WINDOW_SIZE)]).toEqual([
      windowedPair('1', 'a', DEFAULT_TIMESTAMP),
      windowedPair('1', 'b', DEFAULT_TIMESTAMP + WINDOW_SIZE),
    ]);
  });

  javaTest('shouldIterateBackwardCacheAndStoreKeyRange', () => {
    underlying.put('1', 'a', DEFAULT_TIMESTAMP);
    store.put('1', 'b', DEFAULT_TIMESTAMP + WINDOW_SIZE);
    expect([
      ...store.fetchKeyRange('1', '2', DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + WINDOW_SIZE, { reverse: true }),
    ]).toEqual([
      windowedPair('1', 'b', DEFAULT_TIMESTAMP + WINDOW_SIZE),
      windowedPair('1', 'a', DEFAULT_TIMESTAMP),
    ]);
  });

  javaTest('shouldClearNamespaceCacheOnClose', () => {
    store.put('a', 'a', 0);
    expect(cache.sizeBytes).toBeGreaterThan(0);
    // closing a task clears its stores' caches without flushing them
    store.clear();
    expect(cache.sizeBytes).toBe(0);
    expect(store.fetch('a', 0)).toBeUndefined();
  });

  notApplicable('shouldThrowIfTryingToFetchFromClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToFetchRangeFromClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToWriteToClosedCachingStore', CLOSED);

  /** The windows of "a" and "aa" the exact-key and key-range cases put, across two segments. */
  function putOverlappingKeys(): void {
    store.put('a', '0001', 0);
    store.put('aa', '0002', 0);
    store.put('a', '0003', 1);
    store.put('aa', '0004', 1);
    store.put('a', '0005', SEGMENT_INTERVAL);
  }

  javaTest('shouldFetchAndIterateOverExactKeys', () => {
    putOverlappingKeys();
    expect(starts(store.fetchWindows('a', 0, MAX_TIME))).toEqual([
      [0, '0001'],
      [1, '0003'],
      [SEGMENT_INTERVAL, '0005'],
    ]);
  });

  javaTest('shouldBackwardFetchAndIterateOverExactKeys', () => {
    putOverlappingKeys();
    expect(starts(store.fetchWindows('a', 0, MAX_TIME, { reverse: true }))).toEqual([
      [SEGMENT_INTERVAL, '0005'],
      [1, '0003'],
      [0, '0001'],
    ]);
  });

  javaTest('shouldFetchAndIterateOverKeyRange', () => {
    putOverlappingKeys();
    expect([...store.fetchKeyRange('a', 'a', 0, MAX_TIME)]).toEqual([
      windowedPair('a', '0001', 0),
      windowedPair('a', '0003', 1),
      windowedPair('a', '0005', SEGMENT_INTERVAL),
    ]);
    expect([...store.fetchKeyRange('aa', 'aa', 0, MAX_TIME)]).toEqual([
      windowedPair('aa', '0002', 0),
      windowedPair('aa', '0004', 1),
    ]);
    expect([...store.fetchKeyRange('a', 'aa', 0, MAX_TIME)]).toEqual([
      windowedPair('a', '0001', 0),
      windowedPair('a', '0003', 1),
      windowedPair('aa', '0002', 0),
      windowedPair('aa', '0004', 1),
      windowedPair('a', '0005', SEGMENT_INTERVAL),
    ]);
  });

  javaTest('shouldFetchAndIterateOverKeyBackwardRange', () => {
    putOverlappingKeys();
    const reverse = { reverse: true };
    expect([...store.fetchKeyRange('a', 'a', 0, MAX_TIME, reverse)]).toEqual([
      windowedPair('a', '0005', SEGMENT_INTERVAL),
      windowedPair('a', '0003', 1),
      windowedPair('a', '0001', 0),
    ]);
    expect([...store.fetchKeyRange('aa', 'aa', 0, MAX_TIME, reverse)]).toEqual([
      windowedPair('aa', '0004', 1),
      windowedPair('aa', '0002', 0),
    ]);
    expect([...store.fetchKeyRange('a', 'aa', 0, MAX_TIME, reverse)]).toEqual([
      windowedPair('a', '0005', SEGMENT_INTERVAL),
      windowedPair('aa', '0004', 1),
      windowedPair('aa', '0002', 0),
      windowedPair('a', '0003', 1),
      windowedPair('a', '0001', 0),
    ]);
  });

  /** The windows the single-key-versus-key-range cases put. */
  function putForSameResults(): void {
    store.put('a', '0001', 0);
    store.put('aa', '0002', 1);
    store.put('aa', '0003', 2);
    store.put('aaa', '0004', 3);
  }

  javaTest('shouldReturnSameResultsForSingleKeyFetchAndEqualKeyRangeFetch', () => {
    putForSameResults();
    const single = [...store.fetchWindows('aa', 0, 5)].map((w) => w.value);
    expect(single).toEqual(['0002', '0003']);
    expect([...store.fetchKeyRange('aa', 'aa', 0, 5)].map((w) => w.value)).toEqual(single);
  });

  javaTest('shouldReturnSameResultsForSingleKeyFetchAndEqualKeyRangeBackwardFetch', () => {
    putForSameResults();
    const reverse = { reverse: true };
    const single = [...store.fetchWindows('aa', 0, 5, reverse)].map((w) => w.value);
    expect(single).toEqual(['0003', '0002']);
    expect([...store.fetchKeyRange('aa', 'aa', 0, 5, reverse)].map((w) => w.value)).toEqual(single);
  });

  javaTest('shouldThrowNullPointerExceptionOnPutNullKey', () => {
    expect(() => store.put(null as unknown as string, 'anyValue', 0)).toThrow(/keys cannot be null/);
  });

  javaTest('shouldNotThrowNullPointerExceptionOnPutNullValue', () => {
    store.put('a', null, 0);
    expect(store.fetch('a', 0)).toBeUndefined();
  });

  javaTest('shouldThrowNullPointerExceptionOnFetchNullKey', () => {
    expect(() => store.fetchWindows(null as unknown as string, 1, 2)).toThrow(/keys cannot be null/);
  });

  // -1 serializes after 1 (two's complement, big-endian): the range is empty, not an error.
  javaTest('shouldNotThrowInvalidRangeExceptionWithNegativeFromKey', () => {
    const ints = cachingWindowStore(Serdes.Int(), cache).store;
    ints.put(0, '0', 0);
    expect([...ints.fetchKeyRange(-1, 1, 0, 10)]).toEqual([]);
  });

  javaTest('shouldNotThrowInvalidBackwardRangeExceptionWithNegativeFromKey', () => {
    const ints = cachingWindowStore(Serdes.Int(), cache).store;
    ints.put(0, '0', 0);
    expect([...ints.fetchKeyRange(-1, 1, 0, 10, { reverse: true })]).toEqual([]);
  });

  notApplicable('shouldCloseCacheAndWrappedStoreAfterErrorDuringCacheFlush', CLOSED_BY_TASK);
  notApplicable('shouldCloseWrappedStoreAfterErrorDuringCacheClose', CLOSED_BY_TASK);
  notApplicable('shouldCloseCacheAfterErrorDuringStateStoreClose', CLOSED_BY_TASK);
});
