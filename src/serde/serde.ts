import type { Headers } from '../common/records.ts';

/** What a serde is (de)serializing, so errors and registry-aware serdes can say where. */
export interface SerdeContext {
  topic: string;
  part: 'key' | 'value';
  headers?: Headers;
}

/**
 * Turns values of type T into bytes and back.
 *
 * Null never reaches a serde: a null key or value is a null payload on the wire (a tombstone for
 * tables), exactly as in Kafka. Serdes run synchronously on the processing path; a serde that needs
 * I/O before it can decode some bytes (a schema registry lookup) says so through `prepare`, which the
 * runtime awaits for a whole fetched batch before processing it.
 */
export interface Serde<T> {
  /** A short stable name, shown in `describe()` and used by the JSON form of a topology. */
  readonly name: string;
  serialize(value: T, context?: SerdeContext): Uint8Array;
  deserialize(bytes: Uint8Array, context?: SerdeContext): T;
  /** The JSON form used by recordings (defaults to the value itself). */
  toJson?(value: T): unknown;
  /** Reads the JSON form used by recordings, validating it (defaults to the value itself). */
  fromJson?(json: unknown, context?: SerdeContext): T;
  /** Async work needed before `deserialize` can run on these bytes, if any. */
  prepare?(bytes: Uint8Array, context?: SerdeContext): Promise<void> | undefined;
}

/** The TypeScript type a serde produces. */
export type SerdeType<S> = S extends Serde<infer T> ? T : never;

export function toJsonForm<T>(serde: Serde<T>, value: T | null): unknown {
  if (value === null) return null;
  return serde.toJson ? serde.toJson(value) : value;
}

export function fromJsonForm<T>(serde: Serde<T>, json: unknown, context?: SerdeContext): T | null {
  if (json === null || json === undefined) return null;
  return serde.fromJson ? serde.fromJson(json, context) : (json as T);
}
