import type { KeyValue } from '../../common/records.ts';
import { readInt64, writeInt64 } from '../../serde/int64.ts';
import type { Serde } from '../../serde/serde.ts';
import type { KeyValueStore, RangeOptions, ValueAndTimestamp } from '../api.ts';
import {
  prefixUpperBound,
  toBinaryKey,
  type BinaryKey,
  type KeyBounds,
  type KeyValueBytesStore,
} from '../bytes.ts';
import type { ChangeLogger, TimestampSource } from '../change-logger.ts';
import type { ObservableStore, StoreChangeListener } from '../change-listener.ts';
import { StoreSerdes } from './store-serdes.ts';

export type ChangelogForm = (stored: Uint8Array) => { value: Uint8Array; timestamp: number };

/**
 * Logs a write of a stored key: its bytes (in changelog form when the store has one, with the
 * timestamp that form carries), or a tombstone, stamped with the time of the record being processed.
 */
export function logWrite(
  logger: ChangeLogger,
  key: BinaryKey,
  bytes: Uint8Array | undefined,
  now: TimestampSource,
  toChangelog: ChangelogForm | undefined,
): void {
  if (bytes !== undefined && toChangelog) {
    const logged = toChangelog(bytes);
    logger.log(key, logged.value, logged.timestamp);
  } else {
    logger.log(key, bytes ?? null, now());
  }
}

/**
 * The typed face of a key-value store: serializes keys and values, delegates to the bytes store, and
 * records each change for the changelog. Keys are compared by their serialized bytes.
 */
export class TypedKeyValueStore<K, V> implements KeyValueStore<K, V>, ObservableStore {
  readonly name: string;
  private readonly bytes: KeyValueBytesStore;
  private readonly serdes: StoreSerdes<K, V>;
  private readonly logger: ChangeLogger | undefined;
  private readonly now: TimestampSource;
  private readonly toChangelog: ChangelogForm | undefined;
  private listener: StoreChangeListener | undefined;

  constructor(options: {
    name: string;
    bytes: KeyValueBytesStore;
    keySerde: Serde<K>;
    valueSerde: Serde<V>;
    logger: ChangeLogger | undefined;
    now: TimestampSource;
    /** How a stored value goes to the changelog, when not as is (timestamped stores log the bare value). */
    toChangelog?: ChangelogForm;
  }) {
    this.name = options.name;
    this.bytes = options.bytes;
    this.serdes = new StoreSerdes(options.name, options.keySerde, options.valueSerde);
    this.logger = options.logger;
    this.now = options.now;
    this.toChangelog = options.toChangelog;
  }

  get persistent(): boolean {
    return this.bytes.persistent;
  }

  get(key: K): V | undefined {
    const bytes = this.bytes.get(this.serdes.encodeKey(key));
    return bytes === undefined ? undefined : this.serdes.decodeValue(bytes);
  }

  put(key: K, value: V | null): void {
    const binaryKey = this.serdes.encodeKey(key);
    const bytes = value === null || value === undefined ? undefined : this.serdes.encodeValue(value);
    this.writeEncoded(binaryKey, key, value, bytes);
  }

  /** The store's serialized form of a key (what orders keys and what a cache keys them by). */
  encodeKey(key: K): BinaryKey {
    return this.serdes.encodeKey(key);
  }

  encodeValue(value: V): Uint8Array {
    return this.serdes.encodeValue(value);
  }

  /** A serialized key prefix, as `prefixScan` bounds its scan. */
  encodePrefix<P>(prefix: P, prefixSerde: Serde<P>): BinaryKey {
    return toBinaryKey(this.serdes.encodeKeyPrefix(prefix, prefixSerde));
  }

  /**
   * Writes a key whose key and value were serialized already (`bytes` undefined deletes): a caching
   * layer that measured its entries by their bytes writes them without serializing them again. It
   * told the change listener when the write reached the cache, so its flush does not again.
   */
  writeEncoded(
    binaryKey: BinaryKey,
    key: K,
    value: V | null,
    bytes: Uint8Array | undefined,
    notify = true,
  ): void {
    this.bytes.put(binaryKey, bytes);
    if (notify) this.notifyChange(binaryKey, key, bytes === undefined ? null : value);
    if (this.logger) logWrite(this.logger, binaryKey, bytes, this.now, this.toChangelog);
  }

  /** Tells the change listener about a write (a caching layer in front does when it takes one). */
  notifyChange(binaryKey: BinaryKey, key: K, value: V | null): void {
    this.listener?.({ key, binaryKey, value });
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
    if (existing !== undefined) this.put(key, null);
    return existing;
  }

  range(
    from: K | undefined,
    to: K | undefined,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<K, V>> {
    const bounds: KeyBounds = {
      gte: from === undefined ? undefined : this.serdes.encodeKey(from),
      lte: to === undefined ? undefined : this.serdes.encodeKey(to),
    };
    if (bounds.gte !== undefined && bounds.lte !== undefined && bounds.gte > bounds.lte) return [].values();
    return this.decodeEntries(this.bytes.range(bounds, options.reverse));
  }

  prefixScan<P>(
    prefix: P,
    prefixSerde: Serde<P>,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<K, V>> {
    const binaryPrefix = toBinaryKey(this.serdes.encodeKeyPrefix(prefix, prefixSerde));
    return this.decodeEntries(
      this.bytes.range({ gte: binaryPrefix, lt: prefixUpperBound(binaryPrefix) }, options.reverse),
    );
  }

  all(options: RangeOptions = {}): IterableIterator<KeyValue<K, V>> {
    return this.decodeEntries(this.bytes.range({}, options.reverse));
  }

  approximateNumEntries(): number {
    return this.bytes.size();
  }

  setChangeListener(listener: StoreChangeListener | undefined): void {
    this.listener = listener;
  }

  private *decodeEntries(entries: Iterable<[BinaryKey, Uint8Array]>): IterableIterator<KeyValue<K, V>> {
    for (const [key, value] of entries)
      yield { key: this.serdes.decodeKey(key), value: this.serdes.decodeValue(value) };
  }
}

/**
 * Values with the timestamp of the record that wrote them, laid out as Kafka Streams does: an 8-byte
 * big-endian timestamp, then the value's bytes.
 */
export function valueAndTimestampSerde<V>(inner: Serde<V>): Serde<ValueAndTimestamp<V>> {
  return {
    name: `timestamped(${inner.name})`,
    serialize: (vat, context) => {
      const value = inner.serialize(vat.value, context);
      const bytes = new Uint8Array(8 + value.byteLength);
      writeInt64(bytes, 0, vat.timestamp);
      bytes.set(value, 8);
      return bytes;
    },
    deserialize: (bytes, context) => ({
      timestamp: readInt64(bytes, 0),
      value: inner.deserialize(bytes.subarray(8), context),
    }),
  };
}

/** Timestamped values go to the changelog as the bare value, with the row's timestamp as the record's. */
export const timestampedChangelogForm: ChangelogForm = (stored) => ({
  value: stored.subarray(8),
  timestamp: readInt64(stored, 0),
});

/**
 * The stored form of a timestamped changelog record: its timestamp, then the bare value. `allocate`
 * gives the bytes (a restore into a store that keeps no value in memory takes them from Node's buffer
 * pool: cheaper, as the values share memory).
 */
export function timestampedFromChangelog(
  value: Uint8Array,
  timestamp: number,
  allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  const bytes = allocate(8 + value.byteLength);
  writeInt64(bytes, 0, timestamp);
  bytes.set(value, 8);
  return bytes;
}
