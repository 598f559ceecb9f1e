import type { KeyValue } from '../../common/records.ts';
import type { RangeOptions, SessionStore, Windowed } from '../api.ts';
import type { BinaryKey } from '../bytes.ts';
import type { TypedSessionStore } from '../typed/session-store.ts';
import { CachingSegmentedStore } from './caching-segmented-store.ts';
import { inKeyRange, overlay, type WindowCacheEntry } from './segmented-store-cache.ts';

/**
 * A session store with the record cache in front: Kafka Streams' `CachingSessionStore`. Puts and
 * removes stay in the cache until a commit flushes it or the cache is full; the flush writes each
 * session's latest value (or its removal) to the store once and hands it, with the value the store
 * held until then, to the flush listener. A session merged away and never flushed reaches neither the
 * store nor downstream. Reads see the cache's sessions merged with the store's.
 */
export class CachingSessionStore<K, V>
  extends CachingSegmentedStore<K, V, TypedSessionStore<K, V>>
  implements SessionStore<K, V>
{
  put(session: Windowed<K>, value: V): void {
    const present = value !== null && value !== undefined;
    this.write(session, present ? value : null, present ? this.inner.encodeValue(value) : undefined);
  }

  remove(session: Windowed<K>): void {
    this.write(session, null, undefined);
  }

  findSessions(
    key: K,
    earliestSessionEnd: number,
    latestSessionStart: number,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    const recordKey = this.inner.encodeKey(key);
    const cached = this.cache
      .entriesOf(recordKey)
      .filter((e) => this.live(e) && overlaps(e, earliestSessionEnd, latestSessionStart));
    const stored = this.inner.findSessions(key, earliestSessionEnd, latestSessionStart, options);
    if (cached.length === 0) return stored;
    const keyed = [...stored].map(
      (entry) =>
        [this.inner.orderKey(recordKey, entry.key.window.start, entry.key.window.end), entry] as const,
    );
    return overlay(keyed, cached, options.reverse === true).values();
  }

  fetchSession(key: K, sessionStart: number, sessionEnd: number): V | undefined {
    if (!this.inner.isLive(sessionEnd)) return undefined;
    const orderKey = this.inner.orderKey(this.inner.encodeKey(key), sessionStart, sessionEnd);
    const entry = this.cache.get(orderKey);
    if (entry) return entry.value ?? undefined;
    return this.inner.fetchSession(key, sessionStart, sessionEnd);
  }

  fetch(key: K, options?: RangeOptions): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.findSessions(key, -Infinity, Infinity, options);
  }

  fetchKeyRange(
    keyFrom: K | undefined,
    keyTo: K | undefined,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    const from = keyFrom === undefined ? undefined : this.inner.encodeKey(keyFrom);
    const to = keyTo === undefined ? undefined : this.inner.encodeKey(keyTo);
    const cached = this.cache.entries().filter((e) => this.live(e) && inKeyRange(e.key.recordKey, from, to));
    const stored = this.inner.fetchKeyRange(keyFrom, keyTo, options);
    if (cached.length === 0) return stored;
    const keyed = [...stored].map((entry) => [this.orderKey(entry.key).orderKey, entry] as const);
    return overlay(keyed, cached, options.reverse === true).values();
  }

  all(options?: RangeOptions): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.fetchKeyRange(undefined, undefined, options);
  }

  /**
   * Whether a cached session is within the store's retention: the cache does not show what the store
   * has expired since. (Kafka Streams' cache shows such sessions until it evicts them.)
   */
  private live(entry: WindowCacheEntry<K, V>): boolean {
    return this.inner.isLive(entry.key.windowed.window.end);
  }

  private orderKey(session: Windowed<K>): { orderKey: BinaryKey; recordKey: BinaryKey } {
    const recordKey = this.inner.encodeKey(session.key);
    const { start, end } = session.window;
    return { orderKey: this.inner.orderKey(recordKey, start, end), recordKey };
  }

  /** Takes a put (a remove: `value` null) into the cache. */
  private write(session: Windowed<K>, value: V | null, bytes: Uint8Array | undefined): void {
    const { orderKey, recordKey } = this.orderKey(session);
    this.take(session, recordKey, orderKey, value, bytes);
  }

  protected stored({ key, window }: Windowed<K>): V | undefined {
    return this.inner.fetchSession(key, window.start, window.end);
  }

  protected writeStored({ key, value, bytes }: WindowCacheEntry<K, V>): void {
    this.inner.putEncoded(key.windowed, key.recordKey, value, bytes, false);
  }
}

/** Kafka Streams' `findSessions` bounds: the session ends at or after one time and starts at or before another. */
function overlaps<K, V>(entry: WindowCacheEntry<K, V>, earliestEnd: number, latestStart: number): boolean {
  const { start, end } = entry.key.windowed.window;
  return end >= earliestEnd && start <= latestStart;
}
