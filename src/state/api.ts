import type { Headers, KeyValue, Windowed } from '../common/records.ts';
import type { Serde } from '../serde/serde.ts';

// Windowed keys are what window and session stores return; they are declared below every layer.
export type { Window, Windowed } from '../common/records.ts';

export interface StateStore {
  readonly name: string;
  /** True for LevelDB-backed stores, false for in-memory ones. */
  readonly persistent: boolean;
}

export interface RangeOptions {
  /** Iterate from the largest key down. */
  readonly reverse?: boolean;
}

/**
 * Reads of a key-value store. Keys are ordered by their serialized bytes, as in Kafka Streams; ranges
 * are inclusive at both ends, and an undefined bound is open.
 */
export interface ReadOnlyKeyValueStore<K, V> extends StateStore {
  get(key: K): V | undefined;
  range(from: K | undefined, to: K | undefined, options?: RangeOptions): IterableIterator<KeyValue<K, V>>;
  /** Entries whose serialized key starts with the serialized prefix. */
  prefixScan<P>(prefix: P, prefixSerde: Serde<P>, options?: RangeOptions): IterableIterator<KeyValue<K, V>>;
  all(options?: RangeOptions): IterableIterator<KeyValue<K, V>>;
  approximateNumEntries(): number;
}

export interface KeyValueStore<K, V> extends ReadOnlyKeyValueStore<K, V> {
  /** Writes the value; null deletes the key. */
  put(key: K, value: V | null): void;
  /** Writes only when the key has no value; returns the value that was there. */
  putIfAbsent(key: K, value: V): V | undefined;
  putAll(entries: Iterable<KeyValue<K, V | null>>): void;
  /** Deletes the key and returns the value it had. */
  delete(key: K): V | undefined;
}

/** A value together with the timestamp of the record that last wrote it (table stores hold these). */
export interface ValueAndTimestamp<V> {
  readonly value: V;
  readonly timestamp: number;
}

export type TimestampedKeyValueStore<K, V> = KeyValueStore<K, ValueAndTimestamp<V>>;

/** One window of one key in a window store fetch. */
export interface WindowEntry<V> {
  readonly windowStart: number;
  readonly value: V;
}

export interface ReadOnlyWindowStore<K, V> extends StateStore {
  /** The value of the window of `key` that starts at `windowStart`. */
  fetch(key: K, windowStart: number): V | undefined;
  /** Windows of `key` whose start lies in [timeFrom, timeTo], oldest first unless reversed. */
  fetchWindows(
    key: K,
    timeFrom: number,
    timeTo: number,
    options?: RangeOptions,
  ): IterableIterator<WindowEntry<V>>;
  /** Windows of keys in [keyFrom, keyTo] (undefined is open) whose start lies in [timeFrom, timeTo]. */
  fetchKeyRange(
    keyFrom: K | undefined,
    keyTo: K | undefined,
    timeFrom: number,
    timeTo: number,
    options?: RangeOptions,
  ): IterableIterator<KeyValue<Windowed<K>, V>>;
  fetchAll(
    timeFrom: number,
    timeTo: number,
    options?: RangeOptions,
  ): IterableIterator<KeyValue<Windowed<K>, V>>;
  all(options?: RangeOptions): IterableIterator<KeyValue<Windowed<K>, V>>;
  readonly windowSizeMs: number;
}

export interface WindowStore<K, V> extends ReadOnlyWindowStore<K, V> {
  /**
   * Writes the window of `key` starting at `windowStart`; null deletes it. A store that retains
   * duplicates (stream-stream joins) appends instead and ignores null.
   */
  put(key: K, value: V | null, windowStart: number): void;
}

/**
 * Reads of a session store. Sessions come in the store's order: by key bytes, then session end, then
 * session start, within each time segment (of session ends) oldest first; `{ reverse: true }` gives
 * exactly the reverse order (Kafka Streams' `backwardFindSessions` and `backwardFetch`).
 */
export interface ReadOnlySessionStore<K, V> extends StateStore {
  /** Sessions of `key` that end at or after `earliestSessionEnd` and start at or before `latestSessionStart`. */
  findSessions(
    key: K,
    earliestSessionEnd: number,
    latestSessionStart: number,
    options?: RangeOptions,
  ): IterableIterator<KeyValue<Windowed<K>, V>>;
  fetchSession(key: K, sessionStart: number, sessionEnd: number): V | undefined;
  /** Every session of `key`, oldest first (newest first when reversed). */
  fetch(key: K, options?: RangeOptions): IterableIterator<KeyValue<Windowed<K>, V>>;
  /** Every session of the keys in [keyFrom, keyTo] (undefined is open). */
  fetchKeyRange(
    keyFrom: K | undefined,
    keyTo: K | undefined,
    options?: RangeOptions,
  ): IterableIterator<KeyValue<Windowed<K>, V>>;
  all(options?: RangeOptions): IterableIterator<KeyValue<Windowed<K>, V>>;
}

export interface SessionStore<K, V> extends ReadOnlySessionStore<K, V> {
  put(session: Windowed<K>, value: V): void;
  remove(session: Windowed<K>): void;
}

/**
 * One version of a key in a versioned store: its value, the timestamp it became valid at, and, for a
 * version that a newer one replaced, the timestamp that version became valid at (Kafka Streams'
 * `VersionedRecord`).
 */
export interface VersionedRecord<V> {
  readonly value: V;
  readonly timestamp: number;
  /** When a newer version replaced this one; undefined for the latest version. */
  readonly validTo?: number;
}

/** Reads of a versioned key-value store (KIP-889). */
export interface ReadOnlyVersionedKeyValueStore<K, V> extends StateStore {
  /** How far back from its stream time (the largest timestamp put) the store answers `get(key, asOf)`. */
  readonly historyRetentionMs: number;
  /** The latest version of `key`, or undefined when it has none or the latest is a delete. */
  get(key: K): VersionedRecord<V> | undefined;
  /**
   * The version of `key` valid at `asOfTimestamp` (the one with the largest timestamp not after it), or
   * undefined when there is none, it is a delete, or `asOfTimestamp` lies beyond the history retention
   * (the latest version is still returned then, if it is old enough).
   */
  get(key: K, asOfTimestamp: number): VersionedRecord<V> | undefined;
  /**
   * The versions of `key` valid at some time in `[fromTime, toTime]` (both inclusive, each open when
   * undefined), as Kafka Streams' `MultiVersionedKeyQuery` (KIP-968) answers: each version whose
   * timestamp is at or before `toTime` and whose `validTo` is after `fromTime` (the latest version's is
   * open), deletes left out, newest first unless `order` is `'ascending'`. Versions the history
   * retention has expired are not returned: when `toTime` lies beyond it, only the latest version
   * answers (when it is old enough), as for `get(key, asOf)`.
   *
   * @example
   * ```ts
   * // Every price JUMPERS had during May 2026, oldest first.
   * prices.getVersions('JUMPERS', {
   *   fromTime: Date.parse('2026-05-01T00:00:00Z'),
   *   toTime: Date.parse('2026-05-31T23:59:59.999Z'),
   *   order: 'ascending',
   * });
   * ```
   */
  getVersions(key: K, query?: VersionsQuery): VersionedRecord<V>[];
}

/** The time range and order of `ReadOnlyVersionedKeyValueStore.getVersions`. */
export interface VersionsQuery {
  /** The earliest time a returned version may still be valid at (inclusive); undefined: no bound. */
  readonly fromTime?: number;
  /** The latest time a returned version may have become valid at (inclusive); undefined: no bound. */
  readonly toTime?: number;
  /**
   * Newest first (`'descending'`, the default: the order Kafka Streams' `ResultOrder.ANY` gives) or
   * oldest first (`'ascending'`).
   */
  readonly order?: ResultOrder;
}

/** The order of the versions a multi-version read returns (Kafka Streams' `ResultOrder`). */
export type ResultOrder = 'ascending' | 'descending';

/**
 * A key-value store that keeps each key's versions by timestamp (Kafka Streams' `VersionedKeyValue
 * Store`, KIP-889). Its history retention doubles as its grace period: writes older than that,
 * relative to the store's stream time, are refused.
 */
export interface VersionedKeyValueStore<K, V> extends ReadOnlyVersionedKeyValueStore<K, V> {
  /**
   * Adds a version (null: a delete) valid from `timestamp`, replacing one with the same timestamp.
   * Returns `VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED` when it is now the latest version, the
   * timestamp of the next newer version when it is not, or `VersionedStore.PUT_RETURN_CODE_NOT_PUT`
   * when it is older than the history retention and was not added.
   */
  put(key: K, value: V | null, timestamp: number): number;
  /** Adds a delete at `timestamp` and returns the version it ends (undefined if none, or if refused). */
  delete(key: K, timestamp: number): VersionedRecord<V> | undefined;
}

/** The return codes of `VersionedKeyValueStore.put`, as Kafka Streams defines them. */
export const VersionedStore = {
  /** The version put is the latest: it is valid until further notice. */
  PUT_RETURN_CODE_VALID_TO_UNDEFINED: -1,
  /** The version put is older than the history retention and was not added. */
  PUT_RETURN_CODE_NOT_PUT: Number.MIN_SAFE_INTEGER,
} as const;

export type StoreKind = 'key-value' | 'timestamped-key-value' | 'versioned-key-value' | 'window' | 'session';

/** How a store is kept: on disk in LevelDB (the default) or in memory. */
export type StoreBackend = 'leveldb' | 'memory';

export interface StoreLogging {
  readonly enabled: boolean;
  /** Extra configs for the changelog topic (it is always compacted; windowed ones also delete). */
  readonly topicConfig?: Readonly<Record<string, string>>;
  /** A topic that already holds this store's changes (a source table's own topic), used instead of a changelog. */
  readonly sourceTopic?: string;
}

interface StoreSpecBase<K, V> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly backend: StoreBackend;
  readonly logging: StoreLogging;
  /**
   * Whether writes go through the record cache (Kafka Streams' caching stores): true for the stores
   * the DSL materializes for tables and aggregations (key-value, window and session stores; not those
   * of aggregations emitting on window close; source tables and foreign-key join results when named,
   * looked up or sending old values), for named `filter`/`mapValues`/`transformValues` results, and
   * for materialized table-table join results, unless
   * `Materialized.caching` is false; for stores added by hand when their `Stores` builder was given
   * `caching: true`. Absent means false.
   */
  readonly caching?: boolean;
}

export interface KeyValueStoreSpec<K = unknown, V = unknown> extends StoreSpecBase<K, V> {
  readonly kind: 'key-value' | 'timestamped-key-value';
}

export interface VersionedKeyValueStoreSpec<K = unknown, V = unknown> extends StoreSpecBase<K, V> {
  readonly kind: 'versioned-key-value';
  /** How long versions stay readable behind the store's stream time, and how late writes may come. */
  readonly historyRetentionMs: number;
}

export interface WindowStoreSpec<K = unknown, V = unknown> extends StoreSpecBase<K, V> {
  readonly kind: 'window';
  readonly windowSizeMs: number;
  readonly retentionMs: number;
  /** Keep every value put for the same key and window start (join buffers) instead of overwriting. */
  readonly retainDuplicates: boolean;
  /**
   * Values are `ValueAndTimestamp`s of `valueSerde` (windowed aggregations keep the largest timestamp
   * of each window). As for timestamped key-value stores, the changelog then carries the bare value
   * with that timestamp as the record's timestamp. Default false.
   */
  readonly timestamped?: boolean;
}

export interface SessionStoreSpec<K = unknown, V = unknown> extends StoreSpecBase<K, V> {
  readonly kind: 'session';
  readonly retentionMs: number;
}

/** Everything needed to create a store for a task: Kafka Streams' `StoreBuilder`. */
export type StoreSpec<K = unknown, V = unknown> =
  KeyValueStoreSpec<K, V> | VersionedKeyValueStoreSpec<K, V> | WindowStoreSpec<K, V> | SessionStoreSpec<K, V>;

/**
 * A key's write as the record cache flushes it (see `state/cache/`): the value now written to the
 * store, the value the store held before (null when it had none, or when old values were not asked
 * for), and the timestamp and headers of the record that last wrote it.
 */
export interface FlushedChange<K, V> {
  readonly key: K;
  readonly newValue: V | null;
  readonly oldValue: V | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

export type CacheFlushListener<K, V> = (change: FlushedChange<K, V>) => void;

/**
 * A store with the record cache in front: what it writes reaches downstream when the cache flushes,
 * through the listener its operator sets (Kafka Streams' `CachedStateStore.setFlushListener`).
 */
export interface CachedStore<K, V> extends StateStore {
  /**
   * With `sendOldValues`, each flushed write carries the value the store held before; without, only a
   * delete reads it (a delete of a key the store never had is neither written nor forwarded).
   */
  setFlushListener(listener: CacheFlushListener<K, V>, sendOldValues: boolean): void;
}

/** `K` and `V` are what the caller connected the store for, as with `getStateStore<S>`. */
export function isCachedStore<K = unknown, V = unknown>(store: StateStore): store is CachedStore<K, V> {
  return typeof (store as Partial<CachedStore<unknown, unknown>>).setFlushListener === 'function';
}
