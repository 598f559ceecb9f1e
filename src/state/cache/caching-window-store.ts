import type { KeyValue } from '../../common/records.ts';
import type { RangeOptions, WindowEntry, WindowStore, Windowed } from '../api.ts';
import type { TypedWindowStore } from '../typed/window-store.ts';
import type { RecordContextScope } from './caching-key-value-store.ts';
import { CachingSegmentedStore } from './caching-segmented-store.ts';
import type { RecordCache } from './record-cache.ts';
import { inKeyRange, overlay, type WindowCacheEntry } from './segmented-store-cache.ts';

/**
 * A window store with the record cache in front: Kafka Streams' `CachingWindowStore`. Writes stay in
 * the cache until a commit flushes it or the cache is full; the flush writes each window's latest
 * value to the store once and hands it, with the value the store held until then, to the flush
 * listener (the windowed aggregation forwards it). Reads see the cache's entries merged with the
 * store's. Only for stores that keep one value per window (not the join buffers that retain duplicates).
 */
export class CachingWindowStore<K, V>
  extends CachingSegmentedStore<K, V, TypedWindowStore<K, V>>
  implements WindowStore<K, V>
{
  readonly windowSizeMs: number;

  constructor(inner: TypedWindowStore<K, V>, recordCache: RecordCache, scope: RecordContextScope) {
    super(inner, recordCache, scope);
    this.windowSizeMs = inner.windowSizeMs;
  }

  put(key: K, value: V | null, windowStart: number): void {
    const recordKey = this.inner.encodeKey(key);
    const present = value !== null && value !== undefined;
    this.take(
      { key, window: { start: windowStart, end: windowStart + this.windowSizeMs } },
      recordKey,
      this.inner.orderKey(recordKey, windowStart),
      present ? value : null,
      present ? this.inner.encodeValue(value) : undefined,
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

  protected stored(windowed: Windowed<K>): V | undefined {
    return this.inner.fetch(windowed.key, windowed.window.start);
  }

  protected writeStored({ key, value, bytes }: WindowCacheEntry<K, V>): void {
    const { windowed, recordKey } = key;
    this.inner.putEncoded(windowed.key, recordKey, windowed.window.start, value, bytes, false);
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
