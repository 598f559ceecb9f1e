import { StoreError } from '../../errors.ts';
import type { KeyValue } from '../../processor/record.ts';
import { readInt64, writeInt64 } from '../../serde/int64.ts';
import type { Serde, SerdeContext } from '../../serde/serde.ts';
import type { KeyValueStore, RangeOptions, ValueAndTimestamp } from '../api.ts';
import {
  prefixUpperBound,
  toBinaryKey,
  type BinaryKey,
  type KeyBounds,
  type KeyValueBytesStore,
} from '../bytes.ts';
import type { ChangeLogger, TimestampSource } from '../change-logger.ts';

/** Matches no key, so the first key is always encoded. */
const NO_KEY = Symbol('no key');

export type ChangelogForm = (stored: Uint8Array) => { value: Uint8Array; timestamp: number };

/**
 * The typed face of a key-value store: serializes keys and values, delegates to the bytes store, and
 * records each change for the changelog. Keys are compared by their serialized bytes.
 */
export class TypedKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly bytes: KeyValueBytesStore;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly logger: ChangeLogger | undefined;
  private readonly now: TimestampSource;
  private readonly toChangelog: ChangelogForm | undefined;
  private readonly keyContext: SerdeContext;
  private readonly valueContext: SerdeContext;
  /** The last primitive key encoded (objects could change between calls) and its encoding. */
  private lastKey: unknown = NO_KEY;
  private lastBinaryKey: BinaryKey = '';

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
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.logger = options.logger;
    this.now = options.now;
    this.toChangelog = options.toChangelog;
    this.keyContext = { topic: `store "${options.name}"`, part: 'key' };
    this.valueContext = { topic: `store "${options.name}"`, part: 'value' };
  }

  get persistent(): boolean {
    return this.bytes.persistent;
  }

  get(key: K): V | undefined {
    const bytes = this.bytes.get(this.encodeKey(key));
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes, this.valueContext);
  }

  put(key: K, value: V | null): void {
    const binaryKey = this.encodeKey(key);
    const bytes =
      value === null || value === undefined ? undefined : this.valueSerde.serialize(value, this.valueContext);
    this.bytes.put(binaryKey, bytes);
    if (!this.logger) return;
    if (bytes !== undefined && this.toChangelog) {
      const logged = this.toChangelog(bytes);
      this.logger.log(binaryKey, logged.value, logged.timestamp);
    } else {
      this.logger.log(binaryKey, bytes ?? null, this.now());
    }
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
      gte: from === undefined ? undefined : this.encodeKey(from),
      lte: to === undefined ? undefined : this.encodeKey(to),
    };
    if (bounds.gte !== undefined && bounds.lte !== undefined && bounds.gte > bounds.lte) return [].values();
    return this.decodeEntries(this.bytes.range(bounds, options.reverse));
  }

  prefixScan<P>(
    prefix: P,
    prefixSerde: Serde<P>,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<K, V>> {
    const binaryPrefix = toBinaryKey(prefixSerde.serialize(prefix, this.keyContext));
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

  private encodeKey(key: K): BinaryKey {
    // Operators read a key and then write it: the second encoding of a primitive key is remembered.
    if (Object.is(key, this.lastKey)) return this.lastBinaryKey;
    if (key === null || key === undefined) throw new StoreError(`store "${this.name}": keys cannot be null`);
    const binary = toBinaryKey(this.keySerde.serialize(key, this.keyContext));
    if (typeof key !== 'object') {
      this.lastKey = key;
      this.lastBinaryKey = binary;
    }
    return binary;
  }

  private *decodeEntries(entries: Iterable<[BinaryKey, Uint8Array]>): IterableIterator<KeyValue<K, V>> {
    for (const [key, value] of entries) {
      yield {
        key: this.keySerde.deserialize(Buffer.from(key, 'latin1'), this.keyContext),
        value: this.valueSerde.deserialize(value, this.valueContext),
      };
    }
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

/** The stored form of a timestamped changelog record: its timestamp, then the bare value. */
export function timestampedFromChangelog(value: Uint8Array, timestamp: number): Uint8Array {
  const bytes = new Uint8Array(8 + value.byteLength);
  writeInt64(bytes, 0, timestamp);
  bytes.set(value, 8);
  return bytes;
}
