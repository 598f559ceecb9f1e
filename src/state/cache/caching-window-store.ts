import type { KeyValue } from '../../common/records.ts';
import type {
  CachedStore,
  CacheFlushListener,
  RangeOptions,
  WindowEntry,
  WindowStore,
  Windowed,
} from '../api.ts';
import type { TypedWindowStore } from '../typed/window-store.ts';
import type { RecordContextScope } from './caching-key-value-store.ts';
import type { RecordCache } from './record-cache.ts';
import { inKeyRange, overlay, SegmentedStoreCache, type WindowCacheEntry } from './segmented-store-cache.ts';

/**
 * A window store with the record cache in front: Kafka Streams' `CachingWindowStore`. Writes stay in
 * the cache until a commit flushes it or the cache is full; the flush writes each window's latest
 * value to the store once and hands it, with the value the store held until then, to the flush
 * listener (the windowed aggregation forwards it). Reads see the cache's entries merged with the
 * store's. Only for stores that keep one value per window (not the join buffers that retain duplicates).
 */
export class CachingWindowStore<K, V> implements WindowStore<K, V>, CachedStore<Windowed<K>, V> {
  readonly name: string;
  readonly windowSizeMs: number;
  private readonly inner: TypedWindowStore<K, V>;
  private readonly cache: SegmentedStoreCache<K, V>;
  private readonly scope: RecordContextScope;
  private listener: CacheFlushListener<Windowed<K>, V> | undefined;
  private sendOldValues = false;

  constructor(inner: TypedWindowStore<K, V>, recordCache: RecordCache, scope: RecordContextScope) {
    this.name = inner.name;
    this.windowSizeMs = inner.windowSizeMs;
    this.inner = inner;
    this.scope = scope;
    this.cache = new SegmentedStoreCache(inner.name, recordCache, (entries) => this.write(entries));
  }

  get persistent(): boolean {
    return this.inner.persistent;
  }

  /** The store under the cache. */
  get wrapped(): TypedWindowStore<K, V> {
    return this.inner;
  }

  setFlushListener(listener: CacheFlushListener<Windowed<K>, V>, sendOldValues: boolean): void {
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

  put(key: K, value: V | null, windowStart: number): void {
    const recordKey = this.inner.encodeKey(key);
    const present = value !== null && value !== undefined;
    const windowed = { key, window: { start: windowStart, end: windowStart + this.windowSizeMs } };
    // Queries read through the cache, so their subscribers hear of the write now, not at the flush.
    this.inner.notifyChange({
      key,
      binaryKey: recordKey,
      value: present ? value : null,
      window: windowed.window,
    });
    this.cache.put(
      this.inner.orderKey(recordKey, windowStart),
      { windowed, recordKey },
      present ? value : null,
      present ? this.inner.encodeValue(value) : undefined,
      this.scope.current(),
    );
  }

  fetch(key: K, windowStart: number): V | undefined {
    if (!this.inner.isLive(windowStart)) return undefined;
    const entry = this.cache.get(this.inner.orderKey(this.inner.encodeKey(key), windowStart));
    if (entry) return entry.value ?? undefined;
    return this.inner.fetch(key, windowStart);
  }

  fetchWindows(
    key: K,
    timeFrom: number,
    timeTo: number,
    options: RangeOptions = {},
  ): IterableIterator<WindowEntry<V>> {
    const recordKey = this.inner.encodeKey(key);
    const cached = this.cache.entriesOf(recordKey).filter((e) => this.inTimes(e, timeFrom, timeTo));
    if (cached.length === 0) return this.inner.fetchWindows(key, timeFrom, timeTo, options);
    const stored = [...this.inner.fetchWindows(key, timeFrom, timeTo)].map(
      ({ windowStart, value }) =>
        [
          this.inner.orderKey(recordKey, windowStart),
          { key: { key, window: { start: windowStart, end: windowStart + this.windowSizeMs } }, value },
        ] as const,
    );
    return overlay(stored, cached, options.reverse === true)
      .map(({ key: windowed, value }) => ({ windowStart: windowed.window.start, value }))
      .values();
  }

  fetchKeyRange(
    keyFrom: K | undefined,
    keyTo: K | undefined,
    timeFrom: number,
    timeTo: number,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    const from = keyFrom === undefined ? undefined : this.inner.encodeKey(keyFrom);
    const to = keyTo === undefined ? undefined : this.inner.encodeKey(keyTo);
    const cached = this.cache
      .entries()
      .filter((e) => inKeyRange(e.key.recordKey, from, to) && this.inTimes(e, timeFrom, timeTo));
    const stored = this.inner.fetchKeyRange(keyFrom, keyTo, timeFrom, timeTo, options);
    if (cached.length === 0) return stored;
    const keyed = [...stored].map(
      (entry) =>
        [this.inner.orderKey(this.inner.encodeKey(entry.key.key), entry.key.window.start), entry] as const,
    );
    return overlay(keyed, cached, options.reverse === true).values();
  }

  fetchAll(
    timeFrom: number,
    timeTo: number,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.fetchKeyRange(undefined, undefined, timeFrom, timeTo, options);
  }

  all(options: RangeOptions = {}): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.fetchKeyRange(undefined, undefined, -Infinity, Infinity, options);
  }

  /** Writes flushed windows to the store and hands each to the listener, as Kafka Streams' flush does. */
  private write(entries: readonly WindowCacheEntry<K, V>[]): void {
    for (const entry of entries) {
      const { windowed, recordKey } = entry.key;
      const start = windowed.window.start;
      const old =
        entry.value === null || this.sendOldValues ? this.inner.fetch(windowed.key, start) : undefined;
      // A window written and deleted again between flushes that the store never had: nothing to do.
      if (entry.value === null && old === undefined) continue;
      this.scope.runWith(entry.context, () => {
        this.inner.putEncoded(windowed.key, recordKey, start, entry.value, entry.bytes, false);
        this.listener?.({
          key: windowed,
          newValue: entry.value,
          oldValue: this.sendOldValues ? (old ?? null) : null,
          timestamp: entry.context.timestamp,
          headers: entry.context.headers,
        });
      });
    }
  }

  /**
   * Whether a cached window lies in [timeFrom, timeTo] and within the store's retention: the cache does
   * not show what the store has expired since. (Kafka Streams' cache shows such windows until it
   * evicts them.)
   */
  private inTimes(entry: WindowCacheEntry<K, V>, timeFrom: number, timeTo: number): boolean {
    const start = entry.key.windowed.window.start;
    return start >= timeFrom && start <= timeTo && this.inner.isLive(start);
  }
}
