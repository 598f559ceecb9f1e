import { SerdeError, TributaryError } from '../../errors.ts';
import type { Serde } from '../../serde/serde.ts';
import type { KeyValueStore } from '../../state/api.ts';
import { toBinaryKey } from '../../state/bytes.ts';
import { BTree } from '../../state/sorted-tree.ts';
import type { Headers } from '../record.ts';

/** One key's held-back update. */
export interface BufferedChange<V> {
  /** When the entry becomes due: the window end, or the time of the key's first buffered update. */
  readonly time: number;
  /** The value downstream last saw for the key (before the first buffered update); null: none. */
  readonly prior: V | null;
  /** The key's latest value (null: deleted). */
  readonly value: V | null;
  /** Timestamp and headers of the latest update, which the emitted record carries. */
  readonly timestamp: number;
  readonly headers: Headers;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A growing byte buffer for the entry layout below. */
class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;

  int64(value: number): void {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigInt64(0, BigInt(value));
    this.push(bytes);
  }

  /** Length-prefixed bytes; -1 for absent. */
  nullable(bytes: Uint8Array | undefined): void {
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, bytes ? bytes.byteLength : -1);
    this.push(prefix);
    if (bytes) this.push(bytes);
  }

  byte(value: number): void {
    this.push(Uint8Array.of(value));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
  }
}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  int64(): number {
    const value = Number(this.view.getBigInt64(this.take(8)));
    return value;
  }

  nullable(): Uint8Array | undefined {
    const length = this.view.getInt32(this.take(4));
    if (length < 0) return undefined;
    const start = this.take(length);
    return this.bytes.subarray(start, start + length);
  }

  byte(): number {
    return this.bytes[this.take(1)]!;
  }

  get done(): boolean {
    return this.offset === this.bytes.byteLength;
  }

  private take(count: number): number {
    if (this.offset + count > this.bytes.byteLength)
      throw new SerdeError('a suppression buffer entry is cut off');
    const start = this.offset;
    this.offset += count;
    return start;
  }
}

/**
 * Buffer entries as the buffer's store (and changelog) holds them: time and timestamp (8 bytes each),
 * prior and latest value (length-prefixed, -1 for null), then the headers (count, then name, a type
 * byte (0 text, 1 bytes) and the value, each length-prefixed).
 */
export function bufferedChangeSerde<V>(inner: Serde<V>): Serde<BufferedChange<V>> {
  return {
    name: `suppressed(${inner.name})`,
    serialize: (entry, context) => {
      const writer = new Writer();
      writer.int64(entry.time);
      writer.int64(entry.timestamp);
      writer.nullable(entry.prior === null ? undefined : inner.serialize(entry.prior, context));
      writer.nullable(entry.value === null ? undefined : inner.serialize(entry.value, context));
      const headers = Object.entries(entry.headers);
      writer.int64(headers.length);
      for (const [name, value] of headers) {
        writer.nullable(encoder.encode(name));
        writer.byte(typeof value === 'string' ? 0 : 1);
        writer.nullable(typeof value === 'string' ? encoder.encode(value) : value);
      }
      return writer.finish();
    },
    deserialize: (bytes, context) => {
      const reader = new Reader(bytes);
      const time = reader.int64();
      const timestamp = reader.int64();
      const prior = reader.nullable();
      const value = reader.nullable();
      const headers: Record<string, string | Uint8Array> = {};
      const count = reader.int64();
      for (let i = 0; i < count; i++) {
        const name = decoder.decode(reader.nullable());
        const text = reader.byte() === 0;
        const raw = reader.nullable() ?? new Uint8Array();
        headers[name] = text ? decoder.decode(raw) : raw.slice();
      }
      if (!reader.done) throw new SerdeError('a suppression buffer entry has trailing bytes');
      return {
        time,
        timestamp,
        prior: prior ? inner.deserialize(prior, context) : null,
        value: value ? inner.deserialize(value, context) : null,
        headers,
      };
    },
  };
}

type IndexKey = readonly [time: number, key: string];

function compareIndexKeys(a: IndexKey, b: IndexKey): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** Where a buffered update came from: what Kafka Streams counts of a record's context in its size. */
export interface BufferedOrigin {
  readonly topic: string | undefined;
}

/**
 * The suppression buffer: the latest update per key in a (changelogged) store, plus an in-memory index
 * ordered by due time, then by serialized key, so entries leave in a deterministic order that survives
 * a restart. The index is rebuilt from the store when the processor starts.
 *
 * It also keeps Kafka Streams' estimate of each entry's size in bytes (`InMemoryTimeOrderedKeyValue
 * ChangeBuffer`): key + 8 + prior + old (when it is not the prior) + new + 20 + topic + headers. The
 * old value and topic are not stored; an entry read back after a restart counts them as Kafka Streams
 * would for a first update (old is the prior) and without a topic.
 */
export class SuppressionBuffer<K, V> {
  private readonly store: KeyValueStore<K, BufferedChange<V>>;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly byTime = new BTree<IndexKey, K>(undefined, compareIndexKeys);
  private readonly timeOfKey = new Map<string, number>();
  private readonly sizeOfKey = new Map<string, number>();
  private totalBytes = 0;

  constructor(store: KeyValueStore<K, BufferedChange<V>>, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.store = store;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    for (const { key, value } of store.all()) {
      this.index(key, value.time);
      this.setSize(this.binary(key), this.entrySize(key, value, value.prior, undefined));
    }
  }

  get size(): number {
    return this.timeOfKey.size;
  }

  /** Kafka Streams' estimate of the bytes the buffer holds. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The earliest due time, or +Infinity when empty. */
  get minTime(): number {
    return this.byTime.minKey()?.[0] ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Buffers the key's latest update. A key already buffered keeps its due time (a stream of updates
   * does not postpone it) and the prior value downstream last saw.
   */
  put(
    key: K,
    time: number,
    change: { newValue: V | null; oldValue: V | null },
    timestamp: number,
    headers: Headers,
    origin: BufferedOrigin = { topic: undefined },
  ): void {
    const binary = this.binary(key);
    const existing = this.timeOfKey.has(binary) ? this.store.get(key) : undefined;
    const entry: BufferedChange<V> = {
      time: existing?.time ?? time,
      prior: existing ? existing.prior : change.oldValue,
      value: change.newValue,
      timestamp,
      headers,
    };
    this.store.put(key, entry);
    if (!existing) this.index(key, entry.time);
    // The first update's old value is the prior itself (Kafka Streams counts it once).
    this.setSize(binary, this.entrySize(key, entry, existing ? change.oldValue : entry.prior, origin.topic));
  }

  /** The entry for `key`, if buffered. */
  get(key: K): BufferedChange<V> | undefined {
    return this.store.get(key);
  }

  /** Removes and hands over the earliest entries while `condition` holds. */
  evictWhile(condition: () => boolean, emit: (key: K, entry: BufferedChange<V>) => void): void {
    while (this.size > 0 && condition()) {
      const first = this.byTime.minKey();
      const key = first && this.byTime.get(first);
      const entry = key === undefined ? undefined : this.store.get(key);
      if (first === undefined || key === undefined || entry === undefined)
        throw new TributaryError(
          'TRIB_INTERNAL',
          'the suppression buffer counts entries that its time index or its store does not hold',
        );
      this.byTime.delete(first);
      this.timeOfKey.delete(first[1]);
      this.setSize(first[1], 0);
      this.store.delete(key);
      emit(key, entry);
    }
  }

  private index(key: K, time: number): void {
    const binary = this.binary(key);
    this.timeOfKey.set(binary, time);
    this.byTime.set([time, binary], key);
  }

  private setSize(binary: string, size: number): void {
    this.totalBytes += size - (this.sizeOfKey.get(binary) ?? 0);
    if (size === 0) this.sizeOfKey.delete(binary);
    else this.sizeOfKey.set(binary, size);
  }

  /** Kafka Streams' `computeRecordSize`: key, time, buffered values and record context. */
  private entrySize(
    key: K,
    entry: BufferedChange<V>,
    old: V | null | undefined,
    topic: string | undefined,
  ): number {
    const length = (value: V | null | undefined) =>
      value === null || value === undefined ? 0 : this.valueSerde.serialize(value).byteLength;
    const oldBytes = old === entry.prior ? 0 : length(old);
    let headerBytes = 0;
    for (const [name, value] of Object.entries(entry.headers))
      headerBytes +=
        encoder.encode(name).byteLength +
        (typeof value === 'string' ? encoder.encode(value).byteLength : value.byteLength);
    const contextBytes =
      8 + 8 + 4 + (topic === undefined ? 0 : encoder.encode(topic).byteLength) + headerBytes;
    return (
      this.keySerde.serialize(key).byteLength +
      8 +
      length(entry.prior) +
      oldBytes +
      length(entry.value) +
      contextBytes
    );
  }

  private binary(key: K): string {
    return toBinaryKey(this.keySerde.serialize(key));
  }
}
