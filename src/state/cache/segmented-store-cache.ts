import type { KeyValue } from '../../common/records.ts';
import type { Windowed } from '../api.ts';
import type { BinaryKey } from '../bytes.ts';
import type { CachedRecordContext, CacheEntry, NamedCache, RecordCache } from './record-cache.ts';

/** What the cache of a window or session store keeps as an entry's key: the window and its record key. */
export interface CachedWindowKey<K> {
  readonly windowed: Windowed<K>;
  /** The serialized record key, which indexes the entries of one key. */
  readonly recordKey: BinaryKey;
}

export type WindowCacheEntry<K, V> = CacheEntry<CachedWindowKey<K>, V>;

/**
 * The record cache of one window or session store: entries keyed by where they sort in the store
 * (segment, record key, times), so a scan's cached entries come in the store's own order, plus an
 * index of each record key's entries, so that the reads an aggregation makes for every record (one
 * key's windows or sessions) need not look at the whole cache.
 */
export class SegmentedStoreCache<K, V> {
  private readonly cache: NamedCache<CachedWindowKey<K>, V>;
  private readonly byRecordKey = new Map<BinaryKey, Set<BinaryKey>>();

  constructor(
    name: string,
    recordCache: RecordCache,
    flush: (entries: readonly WindowCacheEntry<K, V>[]) => void,
  ) {
    this.cache = recordCache.namedCache(name, flush, (entry) => this.unindex(entry));
  }

  get(orderKey: BinaryKey): WindowCacheEntry<K, V> | undefined {
    return this.cache.get(orderKey);
  }

  put(
    orderKey: BinaryKey,
    key: CachedWindowKey<K>,
    value: V | null,
    bytes: Uint8Array | undefined,
    context: CachedRecordContext,
  ): void {
    // Indexed first: the put may evict the entry itself at once when the cache is tiny.
    let keys = this.byRecordKey.get(key.recordKey);
    if (!keys) this.byRecordKey.set(key.recordKey, (keys = new Set()));
    keys.add(orderKey);
    this.cache.put({ binaryKey: orderKey, key, value, bytes, context });
  }

  /** The cached entries of one record key, in no particular order. */
  entriesOf(recordKey: BinaryKey): WindowCacheEntry<K, V>[] {
    const entries: WindowCacheEntry<K, V>[] = [];
    for (const orderKey of this.byRecordKey.get(recordKey) ?? []) {
      const entry = this.cache.peek(orderKey);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** Every cached entry. */
  entries(): WindowCacheEntry<K, V>[] {
    return this.cache.sortedEntries();
  }

  flush(): void {
    this.cache.flush();
  }

  clear(): void {
    this.cache.clear();
  }

  private unindex(entry: WindowCacheEntry<K, V>): void {
    const keys = this.byRecordKey.get(entry.key.recordKey);
    if (!keys) return;
    keys.delete(entry.binaryKey);
    if (keys.size === 0) this.byRecordKey.delete(entry.key.recordKey);
  }
}

/**
 * A scan of the store with cached entries laid over it: a cached entry replaces the stored one with the
 * same order key (a cached delete hides it), and the result is in the store's order (reversed when the
 * scan was). `stored` gives each stored entry with its order key.
 */
export function overlay<K, V>(
  stored: Iterable<readonly [BinaryKey, KeyValue<Windowed<K>, V>]>,
  cached: readonly WindowCacheEntry<K, V>[],
  reverse: boolean,
): KeyValue<Windowed<K>, V>[] {
  const merged = new Map<BinaryKey, KeyValue<Windowed<K>, V> | null>(stored);
  for (const entry of cached)
    merged.set(
      entry.binaryKey,
      entry.value === null ? null : { key: entry.key.windowed, value: entry.value },
    );
  // Binary keys are strings of byte values: string order is the store's byte order.
  const orderKeys = [...merged.keys()].sort();
  if (reverse) orderKeys.reverse();
  const result: KeyValue<Windowed<K>, V>[] = [];
  for (const orderKey of orderKeys) {
    const entry = merged.get(orderKey);
    if (entry) result.push(entry);
  }
  return result;
}

/** Whether a serialized record key lies in [from, to] (an undefined bound is open). */
export function inKeyRange(
  recordKey: BinaryKey,
  from: BinaryKey | undefined,
  to: BinaryKey | undefined,
): boolean {
  return (from === undefined || recordKey >= from) && (to === undefined || recordKey <= to);
}
