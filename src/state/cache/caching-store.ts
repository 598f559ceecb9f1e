import type { StateStore } from '../api.ts';
import { TypedKeyValueStore } from '../typed/key-value-store.ts';
import { TypedSessionStore } from '../typed/session-store.ts';
import { TypedWindowStore } from '../typed/window-store.ts';
import { CachingKeyValueStore, type RecordContextScope } from './caching-key-value-store.ts';
import { CachingSessionStore } from './caching-session-store.ts';
import { CachingWindowStore } from './caching-window-store.ts';
import type { RecordCache } from './record-cache.ts';

/** A store with the record cache in front, as the task that owns it flushes and clears it. */
export interface CachingStore extends StateStore {
  /** Writes and forwards every write still in the cache. */
  flush(): void;
  /** Forgets what the cache holds without writing it. */
  clear(): void;
}

/**
 * The record cache in front of a store of a kind Kafka Streams caches: key-value (tables and
 * aggregations), window (windowed aggregations; not the join buffers that retain duplicates) and
 * session stores. Undefined for any other store.
 */
export function cachingStore(
  store: StateStore | undefined,
  cache: RecordCache,
  scope: RecordContextScope,
): CachingStore | undefined {
  if (store instanceof TypedKeyValueStore) return new CachingKeyValueStore(store, cache, scope);
  if (store instanceof TypedWindowStore && !store.retainDuplicates)
    return new CachingWindowStore(store, cache, scope);
  if (store instanceof TypedSessionStore) return new CachingSessionStore(store, cache, scope);
  return undefined;
}
