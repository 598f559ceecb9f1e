import type { Offset } from '../../common/offset.ts';
import type { Headers } from '../../common/records.ts';
import type { BinaryKey } from '../bytes.ts';

/**
 * Kafka Streams' default `statestore.cache.max.bytes`: 10 MiB for all caching stores of a process (of
 * a stream thread, in Kafka Streams) together.
 */
export const DEFAULT_RECORD_CACHE_MAX_BYTES = 10 * 1024 * 1024;

/** Where a cached write came from: what the record that wrote it carried, restored when it is flushed. */
export interface CachedRecordContext {
  readonly timestamp: number;
  readonly headers: Headers;
  /** Topic, partition and offset of the input record being processed; undefined inside punctuation. */
  readonly origin:
    { readonly topic: string; readonly partition: number; readonly offset: Offset } | undefined;
}

/** One key of a caching store: its latest value and whether that still has to reach the store. */
export interface CacheEntry<K, V> {
  readonly binaryKey: BinaryKey;
  key: K;
  /** Null: the key was deleted. */
  value: V | null;
  /** The value's serialized bytes (undefined for a delete), written to the store as they are. */
  bytes: Uint8Array | undefined;
  /** True until the entry is flushed to the store (and forwarded). */
  dirty: boolean;
  context: CachedRecordContext;
  size: number;
}

/** What a store's cache does with the dirty entries it flushes, oldest write first. */
export type FlushEntries<K, V> = (entries: readonly CacheEntry<K, V>[]) => void;

/** Told when an entry leaves the cache (evicted, deleted after its flush, or cleared). */
export type EntryRemoved<K, V> = (entry: CacheEntry<K, V>) => void;

/**
 * What an entry is taken to cost besides its key and value bytes: the record context and the map's
 * bookkeeping, about as Kafka Streams counts it (`LRUCacheEntry`, `NamedCache`'s node overhead).
 */
const ENTRY_OVERHEAD_BYTES = 64;

export function entrySize(binaryKey: BinaryKey, bytes: Uint8Array | undefined, headers: Headers): number {
  let size = ENTRY_OVERHEAD_BYTES + binaryKey.length + (bytes?.byteLength ?? 0);
  for (const name in headers) {
    const value = headers[name]!;
    size += name.length + (typeof value === 'string' ? value.length : value.byteLength);
  }
  return size;
}

/**
 * The cache of one store of one task: Kafka Streams' `NamedCache`. Entries in least recently used
 * order (a read or write moves a key to the back); dirty keys in the order of their last write, which
 * is the order a flush writes and forwards them in.
 */
export class NamedCache<K, V> {
  readonly name: string;
  private readonly entries = new Map<BinaryKey, CacheEntry<K, V>>();
  private readonly dirtyKeys = new Set<BinaryKey>();
  private readonly owner: RecordCache;
  private readonly flushEntries: FlushEntries<K, V>;
  private readonly removed: EntryRemoved<K, V> | undefined;
  private bytes = 0;

  constructor(
    name: string,
    owner: RecordCache,
    flushEntries: FlushEntries<K, V>,
    removed?: EntryRemoved<K, V>,
  ) {
    this.name = name;
    this.owner = owner;
    this.flushEntries = flushEntries;
    this.removed = removed;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get(binaryKey: BinaryKey): CacheEntry<K, V> | undefined {
    const entry = this.entries.get(binaryKey);
    if (entry) this.touch(entry);
    return entry;
  }

  /** An entry without counting it as used (scans, which Kafka Streams' cache iterators do not count). */
  peek(binaryKey: BinaryKey): CacheEntry<K, V> | undefined {
    return this.entries.get(binaryKey);
  }

  /** The entries in key order (scans merge them with the store's). */
  sortedEntries(): CacheEntry<K, V>[] {
    return [...this.entries.values()].sort((a, b) =>
      a.binaryKey < b.binaryKey ? -1 : a.binaryKey > b.binaryKey ? 1 : 0,
    );
  }

  /** Writes a key; when the record cache is then over its size, evicts from this cache (flushing). */
  put(entry: Omit<CacheEntry<K, V>, 'dirty' | 'size'>): void {
    const size = entrySize(entry.binaryKey, entry.bytes, entry.context.headers);
    const existing = this.entries.get(entry.binaryKey);
    if (existing) {
      this.resize(size - existing.size);
      existing.key = entry.key;
      existing.value = entry.value;
      existing.bytes = entry.bytes;
      existing.context = entry.context;
      existing.size = size;
      existing.dirty = true;
      this.touch(existing);
    } else {
      this.entries.set(entry.binaryKey, { ...entry, dirty: true, size });
      this.resize(size);
    }
    this.dirtyKeys.delete(entry.binaryKey);
    this.dirtyKeys.add(entry.binaryKey);
    this.owner.evictIfFull(this);
  }

  /**
   * Writes every dirty entry to the store and forwards it, oldest write first. Clean entries stay to
   * serve reads; deleted keys leave the cache.
   */
  flush(): void {
    if (this.dirtyKeys.size === 0) return;
    this.flushDirty(undefined);
  }

  /**
   * Drops the least recently used entry. A dirty one is flushed first, and with it every other dirty
   * entry of this cache (as Kafka Streams' `NamedCache.evict` does), the evicted one leading.
   */
  evictEldest(): void {
    const eldest = this.entries.values().next().value;
    if (!eldest) return;
    this.entries.delete(eldest.binaryKey);
    this.resize(-eldest.size);
    if (eldest.dirty) this.flushDirty(eldest);
    this.removed?.(eldest);
  }

  /** Drops every entry without flushing (the task closes dirty, or is gone). */
  clear(): void {
    if (this.removed) for (const entry of this.entries.values()) this.removed(entry);
    this.resize(-this.bytes);
    this.entries.clear();
    this.dirtyKeys.clear();
  }

  private flushDirty(evicted: CacheEntry<K, V> | undefined): void {
    const flushed: CacheEntry<K, V>[] = [];
    if (evicted) {
      this.dirtyKeys.delete(evicted.binaryKey);
      flushed.push(evicted);
    }
    for (const key of this.dirtyKeys) flushed.push(this.entries.get(key)!);
    this.dirtyKeys.clear();
    for (const entry of flushed) entry.dirty = false;
    this.flushEntries(flushed);
    // A deleted key leaves the cache once the store has it, unless it was written again meanwhile.
    for (const entry of flushed) {
      if (entry.value === null && !entry.dirty && this.entries.get(entry.binaryKey) === entry) {
        this.entries.delete(entry.binaryKey);
        this.resize(-entry.size);
        this.removed?.(entry);
      }
    }
  }

  private touch(entry: CacheEntry<K, V>): void {
    this.entries.delete(entry.binaryKey);
    this.entries.set(entry.binaryKey, entry);
  }

  private resize(delta: number): void {
    this.bytes += delta;
    this.owner.resize(delta);
  }
}

/**
 * The record cache: Kafka Streams' `ThreadCache`. One budget (`statestore.cache.max.bytes`) shared by
 * the caches of every caching store of the tasks it serves. A write that takes the total over the
 * budget evicts least recently used entries from the cache written to, until the total fits or that
 * cache is empty (the write may have been caused by another cache's flush).
 */
export class RecordCache {
  readonly maxBytes: number;
  private bytes = 0;
  /** Entries flushed because the cache was full (a metric). */
  evictions = 0;

  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0)
      throw new RangeError(`the record cache size must be an integer of 0 or more, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** A cache for one store of one task, flushing into `flushEntries`. */
  namedCache<K, V>(
    name: string,
    flushEntries: FlushEntries<K, V>,
    removed?: EntryRemoved<K, V>,
  ): NamedCache<K, V> {
    return new NamedCache(name, this, flushEntries, removed);
  }

  /** @internal kept by the named caches */
  resize(delta: number): void {
    this.bytes += delta;
  }

  /** @internal called by a named cache after a write */
  evictIfFull(cache: { readonly size: number; evictEldest(): void }): void {
    while (this.bytes > this.maxBytes && cache.size > 0) {
      cache.evictEldest();
      this.evictions++;
    }
  }
}
