import type { KeyValue } from '../../common/records.ts';
import type { Serde } from '../../serde/serde.ts';
import type { CachedStore, CacheFlushListener, KeyValueStore, RangeOptions } from '../api.ts';
import { prefixUpperBound, type BinaryKey } from '../bytes.ts';
import type { TypedKeyValueStore } from '../typed/key-value-store.ts';
import type { CacheEntry, CachedRecordContext, NamedCache, RecordCache } from './record-cache.ts';

/**
 * What a caching store needs from the task it runs in: the context of the record being processed (a
 * write keeps it), and a way to run a flush with a cached write's context restored, so that what the
 * flush forwards and logs carries the timestamp, headers and origin of the record that wrote it.
 */
export interface RecordContextScope {
  current(): CachedRecordContext;
  runWith(context: CachedRecordContext, flush: () => void): void;
}

/**
 * A key-value store with the record cache in front: Kafka Streams' `CachingKeyValueStore`. Writes stay
 * in the cache until a commit flushes it or the cache is full; the flush writes each key's latest value
 * to the store once and hands it, with the value the store held until then, to the flush listener
 * (the operator that owns the store forwards it downstream). Reads see the cache first, so the
 * operator and its value getters see every write at once.
 */
export class CachingKeyValueStore<K, V> implements KeyValueStore<K, V>, CachedStore<K, V> {
  readonly name: string;
  private readonly inner: TypedKeyValueStore<K, V>;
  private readonly cache: NamedCache<K, V>;
  private readonly scope: RecordContextScope;
  private listener: CacheFlushListener<K, V> | undefined;
  private sendOldValues = false;

  constructor(inner: TypedKeyValueStore<K, V>, recordCache: RecordCache, scope: RecordContextScope) {
    this.name = inner.name;
    this.inner = inner;
    this.scope = scope;
    this.cache = recordCache.namedCache<K, V>(inner.name, (entries) => this.write(entries));
  }

  get persistent(): boolean {
    return this.inner.persistent;
  }

  /** The store under the cache. */
  get wrapped(): TypedKeyValueStore<K, V> {
    return this.inner;
  }

  setFlushListener(listener: CacheFlushListener<K, V>, sendOldValues: boolean): void {
    this.listener = listener;
    this.sendOldValues = sendOldValues;
  }

  /** Writes and forwards every write still in the cache. */
  flush(): void {
    this.cache.flush();
  }

  /** Forgets what the cache holds without writing it (the task's state is being thrown away). */
  clear(): void {
    this.cache.clear();
  }

  get(key: K): V | undefined {
    const entry = this.cache.get(this.inner.encodeKey(key));
    if (entry) return entry.value ?? undefined;
    return this.inner.get(key);
  }

  put(key: K, value: V | null): void {
    const binaryKey = this.inner.encodeKey(key);
    const present = value !== null && value !== undefined;
    // Queries read through the cache, so their subscribers hear of the write now, not at the flush.
    this.inner.notifyChange(binaryKey, key, present ? value : null);
    this.cache.put({
      binaryKey,
      key,
      value: present ? value : null,
      bytes: present ? this.inner.encodeValue(value) : undefined,
      context: this.scope.current(),
    });
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.get(key);
    if (existing === undefined) this.put(key, value);
    return existing;
  }

  putAll(entries: Iterable<KeyValue<K, V | null>>): void {
    for (const entry of entries) this.put(entry.key, entry.value);
  }

  delete(key: K): V | undefined {
    const existing = this.get(key);
    this.put(key, null);
    return existing;
  }

  range(
    from: K | undefined,
    to: K | undefined,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<K, V>> {
    const gte = from === undefined ? undefined : this.inner.encodeKey(from);
    const lte = to === undefined ? undefined : this.inner.encodeKey(to);
    if (gte !== undefined && lte !== undefined && gte > lte) return [].values();
    const inRange = (k: BinaryKey) => (gte === undefined || k >= gte) && (lte === undefined || k <= lte);
    return this.merged(this.inner.range(from, to, options), inRange, options.reverse === true);
  }

  prefixScan<P>(
    prefix: P,
    prefixSerde: Serde<P>,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<K, V>> {
    const gte = this.inner.encodePrefix(prefix, prefixSerde);
    const lt = prefixUpperBound(gte);
    return this.merged(
      this.inner.prefixScan(prefix, prefixSerde, options),
      (k) => k >= gte && k < lt,
      options.reverse === true,
    );
  }

  all(options: RangeOptions = {}): IterableIterator<KeyValue<K, V>> {
    return this.merged(this.inner.all(options), () => true, options.reverse === true);
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }

  /** A scan of the store with the cache's entries in its range laid over it, in key order. */
  private *merged(
    stored: Iterable<KeyValue<K, V>>,
    inRange: (key: BinaryKey) => boolean,
    reverse: boolean,
  ): IterableIterator<KeyValue<K, V>> {
    const cached = this.cache.sortedEntries().filter((e) => inRange(e.binaryKey));
    if (reverse) cached.reverse();
    const before = (a: BinaryKey, b: BinaryKey) => (reverse ? a > b : a < b);
    // `next`: the first cached entry not yet laid over the scan, undefined once all are.
    let i = 0;
    let next = cached[i];
    for (const entry of stored) {
      const storedKey = this.inner.encodeKey(entry.key);
      for (; next !== undefined && before(next.binaryKey, storedKey); next = cached[++i]) {
        if (next.value !== null) yield { key: next.key, value: next.value };
      }
      if (next !== undefined && next.binaryKey === storedKey) {
        // The cache holds this key's latest write (or its delete).
        if (next.value !== null) yield { key: next.key, value: next.value };
        next = cached[++i];
        continue;
      }
      yield entry;
    }
    for (; next !== undefined; next = cached[++i]) {
      if (next.value !== null) yield { key: next.key, value: next.value };
    }
  }

  /** Writes flushed entries to the store and hands each to the listener, as Kafka Streams' flush does. */
  private write(entries: readonly CacheEntry<K, V>[]): void {
    for (const entry of entries) {
      const old = entry.value === null || this.sendOldValues ? this.inner.get(entry.key) : undefined;
      // A key written and deleted again between flushes that the store never had: nothing to do.
      if (entry.value === null && old === undefined) continue;
      this.scope.runWith(entry.context, () => {
        this.inner.writeEncoded(entry.binaryKey, entry.key, entry.value, entry.bytes, false);
        this.listener?.({
          key: entry.key,
          newValue: entry.value,
          oldValue: this.sendOldValues ? (old ?? null) : null,
          timestamp: entry.context.timestamp,
          headers: entry.context.headers,
        });
      });
    }
  }
}
