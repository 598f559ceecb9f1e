import type { Headers } from '../common/records.ts';
import type { Offset } from '../common/offset.ts';

// The shared record shapes, re-exported: the Processor API is where users meet them.
export type { HeaderValue, Headers, KeyValue } from '../common/records.ts';
export { keyValue } from '../common/records.ts';

/**
 * A record flowing through a topology: Kafka Streams' `Record`. Records are immutable; the `with*`
 * helpers below make changed copies.
 */
export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time in milliseconds since the epoch. */
  readonly timestamp: number;
  readonly headers: Headers;
}

export const NO_HEADERS: Headers = Object.freeze({});

export function streamRecord<K, V>(
  key: K,
  value: V,
  timestamp: number,
  headers: Headers = NO_HEADERS,
): StreamRecord<K, V> {
  return { key, value, timestamp, headers };
}

export function withKey<K, V, K2>(record: StreamRecord<K, V>, key: K2): StreamRecord<K2, V> {
  return { key, value: record.value, timestamp: record.timestamp, headers: record.headers };
}

declare const fixedKey: unique symbol;

/**
 * A record whose key cannot change: Kafka Streams' `FixedKeyRecord`, what a `processValues` processor
 * receives and forwards. It is a `StreamRecord`; the only way to get one is to receive it, and
 * `withValue`, `withTimestamp` and `withHeaders` keep it one, so a processor cannot forward a new key
 * and the stream after `processValues` needs no repartitioning.
 */
export type FixedKeyRecord<K, V> = StreamRecord<K, V> & { readonly [fixedKey]: true };

export function withValue<K, V, V2>(record: FixedKeyRecord<K, V>, value: V2): FixedKeyRecord<K, V2>;
export function withValue<K, V, V2>(record: StreamRecord<K, V>, value: V2): StreamRecord<K, V2>;
export function withValue<K, V, V2>(record: StreamRecord<K, V>, value: V2): StreamRecord<K, V2> {
  return { key: record.key, value, timestamp: record.timestamp, headers: record.headers };
}

export function withKeyValue<K, V, K2, V2>(
  record: StreamRecord<K, V>,
  key: K2,
  value: V2,
): StreamRecord<K2, V2> {
  return { key, value, timestamp: record.timestamp, headers: record.headers };
}

export function withTimestamp<K, V>(record: FixedKeyRecord<K, V>, timestamp: number): FixedKeyRecord<K, V>;
export function withTimestamp<K, V>(record: StreamRecord<K, V>, timestamp: number): StreamRecord<K, V>;
export function withTimestamp<K, V>(record: StreamRecord<K, V>, timestamp: number): StreamRecord<K, V> {
  return { key: record.key, value: record.value, timestamp, headers: record.headers };
}

export function withHeaders<K, V>(record: FixedKeyRecord<K, V>, headers: Headers): FixedKeyRecord<K, V>;
export function withHeaders<K, V>(record: StreamRecord<K, V>, headers: Headers): StreamRecord<K, V>;
export function withHeaders<K, V>(record: StreamRecord<K, V>, headers: Headers): StreamRecord<K, V> {
  return { key: record.key, value: record.value, timestamp: record.timestamp, headers };
}

/** Where the record being processed was read from; absent for records made by punctuation. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset in its partition (Kafka Streams' `RecordMetadata.offset()`, a long). */
  readonly offset: Offset;
}
