/**
 * The shapes records are made of, shared by every layer: the serdes read and write headers, stores
 * return key-value pairs and windowed keys, the event-log port carries headers. They live here, below
 * all of those layers, so that none of them has to import another for a type.
 */
import type { Offset } from './offset.ts';

/** A header value as it travels on Kafka: text or raw bytes. */
export type HeaderValue = string | Uint8Array;

/** Record headers. A key that occurs more than once on the wire keeps its last value. */
export type Headers = Readonly<Record<string, HeaderValue>>;

/** A key-value pair, as iterators and flatMap return them. */
export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

export function keyValue<K, V>(key: K, value: V): KeyValue<K, V> {
  return { key, value };
}

/** A time window, start inclusive and end exclusive (session windows: both inclusive, as in Kafka Streams). */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** A key in a windowed aggregation: the record key and the window it belongs to. */
export interface Windowed<K> {
  readonly key: K;
  readonly window: Window;
}

/** A record as the event log holds it, serialized: what a fetch returns (the event-log port's record). */
export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: Offset;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

/** A serialized record on its way to a topic partition: what a producer sends. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers;
}
