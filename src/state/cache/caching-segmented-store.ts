import type { CachedStore, CacheFlushListener, Windowed } from '../api.ts';
import type { BinaryKey } from '../bytes.ts';
import type { SegmentedStore } from '../typed/segmented-store.ts';
import type { RecordContextScope } from './caching-key-value-store.ts';
import type { RecordCache } from './record-cache.ts';
import { SegmentedStoreCache, type WindowCacheEntry } from './segmented-store-cache.ts';

/**
 * What the caching window and session stores share: the record cache in front of a window or session
 * store, and its flush, as Kafka Streams' `CachingWindowStore` and `CachingSessionStore` flush: each
 * window's (session's) latest write reaches the store once and goes to the flush listener with the
 * value the store held until then (read only when old values are sent, or for a delete), under the
 * timestamp, headers and origin of the record that last wrote it. A delete of what the store never
 * had is neither written nor forwarded.
 */
export abstract class CachingSegmentedStore<K, V, S extends SegmentedStore<K, V>> implements CachedStore<
  Windowed<K>,
  V
> {
  readonly name: string;
  protected readonly inner: S;
  protected readonly cache: SegmentedStoreCache<K, V>;
  private readonly scope: RecordContextScope;
  private listener: CacheFlushListener<Windowed<K>, V> | undefined;
  private sendOldValues = false;

  constructor(inner: S, recordCache: RecordCache, scope: RecordContextScope) {
    this.name = inner.name;
    this.inner = inner;
    this.scope = scope;
    this.cache = new SegmentedStoreCache(inner.name, recordCache, (entries) => this.flushed(entries));
  }

  get persistent(): boolean {
    return this.inner.persistent;
  }

  /** The store under the cache. */
  get wrapped(): S {
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

  /** Takes a write (`value` null: a delete) into the cache; `orderKey` is where it sorts in the store. */
  protected take(
    windowed: Windowed<K>,
    recordKey: BinaryKey,
    orderKey: BinaryKey,
    value: V | null,
    bytes: Uint8Array | undefined,
  ): void {
    // Queries read through the cache, so their subscribers hear of the write now, not at the flush.
    this.inner.notifyChange({ key: windowed.key, binaryKey: recordKey, value, window: windowed.window });
    this.cache.put(orderKey, { windowed, recordKey }, value, bytes, this.scope.current());
  }

  /** What the store underneath holds for a window (a session), undefined when nothing. */
  protected abstract stored(windowed: Windowed<K>): V | undefined;

  /** Writes a flushed entry to the store underneath, without telling query subscribers again. */
  protected abstract writeStored(entry: WindowCacheEntry<K, V>): void;

  private flushed(entries: readonly WindowCacheEntry<K, V>[]): void {
    for (const entry of entries) {
      const { windowed } = entry.key;
      const old = entry.value === null || this.sendOldValues ? this.stored(windowed) : undefined;
      // Written and deleted again between flushes, and the store never had it: nothing to do.
      if (entry.value === null && old === undefined) continue;
      this.scope.runWith(entry.context, () => {
        this.writeStored(entry);
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
}
