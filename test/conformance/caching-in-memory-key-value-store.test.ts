import { toOffset } from '../../src/common/offset.ts';
// Kafka Streams' CachingInMemoryKeyValueStoreTest, transcribed: the record cache in front of a
// key-value store, with a cache of 150 bytes as in the Java test. Only the methods the Java class
// declares are counted; those it inherits from AbstractKeyValueStoreTest test the store underneath,
// which the suite's other files and test/state cover.
import { beforeEach, describe, expect } from 'vitest';
import { Serdes } from 'tributary';
import type { FlushedChange } from '../../src/state/api.ts';
import { CachingKeyValueStore } from '../../src/state/cache/caching-key-value-store.ts';
import { RecordCache, entrySize, type CachedRecordContext } from '../../src/state/cache/record-cache.ts';
import { MemoryBytesStore } from '../../src/state/memory/memory-bytes-store.ts';
import { TypedKeyValueStore } from '../../src/state/typed/key-value-store.ts';
import { javaTest, notApplicable } from './support/conformance.ts';

const MAX_CACHE_SIZE_BYTES = 150;
/** The Java test's record context: timestamp 10, offset 0, partition 0, topic "topic". */
const CONTEXT: CachedRecordContext = {
  timestamp: 10,
  headers: {},
  origin: { topic: 'topic', partition: 0, offset: toOffset(0n) },
};

const CLOSED =
  'a caching store has no closed state of its own: no processor can reach the store of a closed task';
const CLOSED_BY_TASK =
  'the caching store is not closed on its own: the task closes the store underneath and clears the cache';

describe('CachingInMemoryKeyValueStoreTest', () => {
  let underlying: TypedKeyValueStore<string, string>;
  let cache: RecordCache;
  let store: CachingKeyValueStore<string, string>;
  /** Kafka Streams' CacheFlushListenerStub: the last change forwarded per key. */
  let forwarded: Map<string, FlushedChange<string, string>>;

  const listener = (flushed: FlushedChange<string, string>) => forwarded.set(flushed.key, flushed);

  beforeEach(() => {
    underlying = new TypedKeyValueStore({
      name: 'store',
      bytes: new MemoryBytesStore(),
      keySerde: Serdes.String(),
      valueSerde: Serdes.String(),
      logger: undefined,
      now: () => CONTEXT.timestamp,
    });
    cache = new RecordCache(MAX_CACHE_SIZE_BYTES);
    store = new CachingKeyValueStore(underlying, cache, {
      current: () => CONTEXT,
      runWith: (_context, flush) => flush(),
    });
    forwarded = new Map();
    store.setFlushListener(listener, false);
  });

  /** Puts keys "0", "1", … until their entries would fill the cache; returns how many it put. */
  function addItemsToCache(): number {
    let cachedSize = 0;
    let i = 0;
    while (cachedSize < MAX_CACHE_SIZE_BYTES) {
      const kv = String(i++);
      store.put(kv, kv);
      cachedSize += entrySize(kv, Buffer.from(kv), CONTEXT.headers);
    }
    return i;
  }

  const keys = (entries: Iterable<{ key: string }>) => [...entries].map((e) => e.key);

  notApplicable(
    'shouldDelegateInit',
    'the caching store has no init of its own: the task opens the store underneath and puts the cache in front',
  );
  notApplicable(
    'shouldSetFlushListener',
    'setFlushListener returns nothing: only caching stores have it, which always take the listener',
  );

  javaTest('shouldAvoidFlushingDeletionsWithoutDirtyKeys', () => {
    const added = addItemsToCache();
    // all dirty entries were flushed when the cache filled up
    expect(underlying.approximateNumEntries()).toBe(added);
    expect(forwarded.size).toBe(added);

    store.put('key', 'value');
    expect(underlying.approximateNumEntries()).toBe(added);
    expect(forwarded.size).toBe(added);

    store.put('key', null);
    store.flush();
    expect(underlying.approximateNumEntries()).toBe(added);
    expect(forwarded.size).toBe(added);
  });

  notApplicable('shouldCloseWrappedStoreAndCacheAfterErrorDuringCacheFlush', CLOSED_BY_TASK);
  notApplicable('shouldCloseWrappedStoreAfterErrorDuringCacheClose', CLOSED_BY_TASK);
  notApplicable('shouldCloseCacheAfterErrorDuringStateStoreClose', CLOSED_BY_TASK);

  javaTest('shouldPutGetToFromCache', () => {
    store.put('key', 'value');
    store.put('key2', 'value2');
    expect(store.get('key')).toBe('value');
    expect(store.get('key2')).toBe('value2');
    // nothing evicted, so the store underneath is still empty
    expect(cache.sizeBytes).toBeGreaterThan(0);
    expect(underlying.approximateNumEntries()).toBe(0);
  });

  notApplicable(
    'shouldMatchPositionAfterPutWithFlushListener',
    'stores track no IQv2 positions (consistency vectors) in Tributary',
  );
  notApplicable(
    'shouldMatchPositionAfterPutWithoutFlushListener',
    'stores track no IQv2 positions (consistency vectors) in Tributary',
  );

  javaTest('shouldFlushEvictedItemsIntoUnderlyingStore', () => {
    const added = addItemsToCache();
    expect(underlying.approximateNumEntries()).toBe(added);
    expect(store.approximateNumEntries()).toBe(added);
    expect(underlying.get('0')).toBeDefined();
  });

  javaTest('shouldForwardDirtyItemToListenerWhenEvicted', () => {
    const numRecords = addItemsToCache();
    expect(forwarded.size).toBe(numRecords);
  });

  javaTest('shouldForwardDirtyItemsWhenFlushCalled', () => {
    store.put('1', 'a');
    store.flush();
    expect(forwarded.get('1')?.newValue).toBe('a');
    expect(forwarded.get('1')?.oldValue).toBeNull();
  });

  javaTest('shouldForwardOldValuesWhenEnabled', () => {
    store.setFlushListener(listener, true);
    store.put('1', 'a');
    store.flush();
    expect(forwarded.get('1')).toMatchObject({ newValue: 'a', oldValue: null });
    store.put('1', 'b');
    store.put('1', 'c');
    store.flush();
    expect(forwarded.get('1')).toMatchObject({ newValue: 'c', oldValue: 'a' });
    store.put('1', null);
    store.flush();
    expect(forwarded.get('1')).toMatchObject({ newValue: null, oldValue: 'c' });
    forwarded.clear();
    store.put('1', 'a');
    store.put('1', 'b');
    store.put('1', null);
    store.flush();
    expect(forwarded.get('1')).toBeUndefined();
  });

  javaTest('shouldNotForwardOldValuesWhenDisabled', () => {
    store.put('1', 'a');
    store.flush();
    expect(forwarded.get('1')).toMatchObject({ newValue: 'a', oldValue: null });
    store.put('1', 'b');
    store.flush();
    expect(forwarded.get('1')).toMatchObject({ newValue: 'b', oldValue: null });
    store.put('1', null);
    store.flush();
    expect(forwarded.get('1')).toMatchObject({ newValue: null, oldValue: null });
    forwarded.clear();
    store.put('1', 'a');
    store.put('1', 'b');
    store.put('1', null);
    store.flush();
    expect(forwarded.get('1')).toBeUndefined();
  });

  javaTest('shouldIterateAllStoredItems', () => {
    const items = addItemsToCache();
    const results = keys(store.all());
    expect(results).toHaveLength(items);
    expect(results).toEqual(['0', '1', '2']);
  });

  javaTest('shouldReverseIterateAllStoredItems', () => {
    const items = addItemsToCache();
    const results = keys(store.all({ reverse: true }));
    expect(results).toHaveLength(items);
    expect(results).toEqual(['2', '1', '0']);
  });

  javaTest('shouldIterateOverRange', () => {
    const items = addItemsToCache();
    const results = keys(store.range('0', String(items)));
    expect(results).toHaveLength(items);
    expect(results).toEqual(['0', '1', '2']);
  });

  javaTest('shouldReverseIterateOverRange', () => {
    const items = addItemsToCache();
    const results = keys(store.range('0', String(items), { reverse: true }));
    expect(results).toHaveLength(items);
    expect(results).toEqual(['2', '1', '0']);
  });

  javaTest('shouldGetRecordsWithPrefixKey', () => {
    store.putAll([
      { key: 'p11', value: '2' },
      { key: 'k1', value: '1' },
      { key: 'k2', value: '2' },
      { key: 'p2', value: '2' },
      { key: 'p1', value: '2' },
      { key: 'p0', value: '2' },
    ]);
    const found = [...store.prefixScan('p1', Serdes.String())];
    expect(found.map((e) => e.key)).toEqual(['p1', 'p11']);
    expect(found.map((e) => e.value)).toEqual(['2', '2']);
  });

  javaTest('shouldGetRecordsWithPrefixKeyExcludingNextLargestKey', () => {
    store.putAll([
      { key: 'abcd', value: '2' },
      { key: 'abcdd', value: '1' },
      { key: 'abce', value: '2' },
      { key: 'abc', value: '2' },
    ]);
    const found = [...store.prefixScan('abcd', Serdes.String())];
    expect(found.map((e) => e.key)).toEqual(['abcd', 'abcdd']);
    expect(found.map((e) => e.value)).toEqual(['2', '1']);
  });

  javaTest('shouldDeleteItemsFromCache', () => {
    store.put('a', 'a');
    store.delete('a');
    expect(store.get('a')).toBeUndefined();
    expect(keys(store.range('a', 'b'))).toEqual([]);
    expect(keys(store.range('a', 'b', { reverse: true }))).toEqual([]);
    expect(keys(store.all())).toEqual([]);
    expect(keys(store.all({ reverse: true }))).toEqual([]);
  });

  javaTest('shouldNotShowItemsDeletedFromCacheButFlushedToStoreBeforeDelete', () => {
    store.put('a', 'a');
    store.flush();
    store.delete('a');
    expect(store.get('a')).toBeUndefined();
    expect(keys(store.range('a', 'b'))).toEqual([]);
    expect(keys(store.range('a', 'b', { reverse: true }))).toEqual([]);
    expect(keys(store.all())).toEqual([]);
    expect(keys(store.all({ reverse: true }))).toEqual([]);
  });

  javaTest('shouldClearNamespaceCacheOnClose', () => {
    store.put('a', 'a');
    expect(cache.sizeBytes).toBeGreaterThan(0);
    // Tributary's task clears its stores' caches when it closes
    store.clear();
    expect(cache.sizeBytes).toBe(0);
  });

  notApplicable('shouldThrowIfTryingToGetFromClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToWriteToClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToDoRangeQueryOnClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToDoReverseRangeQueryOnClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToDoAllQueryOnClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToDoReverseAllQueryOnClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToDoGetApproxSizeOnClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToDoPutAllClosedCachingStore', CLOSED);
  notApplicable('shouldThrowIfTryingToDoPutIfAbsentClosedCachingStore', CLOSED);

  javaTest('shouldThrowNullPointerExceptionOnPutWithNullKey', () => {
    expect(() => store.put(null as unknown as string, 'a')).toThrow(/keys cannot be null/);
  });

  javaTest('shouldThrowNullPointerExceptionOnPutIfAbsentWithNullKey', () => {
    expect(() => store.putIfAbsent(null as unknown as string, 'a')).toThrow(/keys cannot be null/);
  });

  javaTest('shouldThrowNullPointerExceptionOnPutAllWithNullKey', () => {
    expect(() => store.putAll([{ key: null as unknown as string, value: 'a' }])).toThrow(
      /keys cannot be null/,
    );
  });

  javaTest('shouldPutIfAbsent', () => {
    store.putIfAbsent('b', '2');
    expect(store.get('b')).toBe('2');
    store.putIfAbsent('b', '3');
    expect(store.get('b')).toBe('2');
  });

  javaTest('shouldPutAll', () => {
    store.putAll([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    expect(store.get('a')).toBe('1');
    expect(store.get('b')).toBe('2');
  });

  javaTest('shouldReturnUnderlying', () => {
    expect(store.wrapped).toBe(underlying);
  });

  notApplicable('shouldThrowIfTryingToDeleteFromClosedCachingStore', CLOSED);
});
