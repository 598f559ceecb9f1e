import { SerdeError } from '../errors.ts';
import type { Windowed } from '../common/records.ts';
import { readInt64, writeInt64 } from './int64.ts';
import type { Serde, SerdeContext } from './serde.ts';

function timestampAt(bytes: Uint8Array, offset: number): number {
  return readInt64(bytes, offset);
}

function writeTimestamp(bytes: Uint8Array, offset: number, value: number): void {
  writeInt64(bytes, offset, value);
}

function where(context: SerdeContext | undefined): string {
  return context ? ` (${context.part} of topic "${context.topic}")` : '';
}

function innerJson<K>(inner: Serde<K>, key: K): unknown {
  return inner.toJson ? inner.toJson(key) : key;
}

function parseWindowedJson<K>(inner: Serde<K>, json: unknown, context?: SerdeContext): Windowed<K> {
  const window = json !== null && typeof json === 'object' && 'window' in json ? json.window : undefined;
  const start = window !== null && typeof window === 'object' && 'start' in window ? window.start : undefined;
  const end = window !== null && typeof window === 'object' && 'end' in window ? window.end : undefined;
  if (typeof start !== 'number' || typeof end !== 'number') {
    throw new SerdeError(
      `expected a windowed key {"key": ..., "window": {"start": ms, "end": ms}}, got ${JSON.stringify(json)}${where(context)}`,
    );
  }
  const rawKey = json !== null && typeof json === 'object' && 'key' in json ? json.key : undefined;
  const key = inner.fromJson ? inner.fromJson(rawKey, context) : (rawKey as K);
  return { key, window: { start, end } };
}

/**
 * Keys of fixed-size windows: the inner key's bytes followed by the window start (8 bytes, big-endian),
 * the layout of Kafka Streams' TimeWindowedSerializer. The end is start + size.
 */
export function timeWindowedSerde<K>(inner: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
  return {
    name: `windowed(${inner.name},${windowSizeMs})`,
    serialize: (windowed, context) => {
      const key = inner.serialize(windowed.key, context);
      const bytes = new Uint8Array(key.byteLength + 8);
      bytes.set(key, 0);
      writeTimestamp(bytes, key.byteLength, windowed.window.start);
      return bytes;
    },
    deserialize: (bytes, context) => {
      if (bytes.byteLength < 8)
        throw new SerdeError(
          `windowed key is ${bytes.byteLength} bytes, shorter than its 8-byte window start${where(context)}`,
        );
      const start = timestampAt(bytes, bytes.byteLength - 8);
      return {
        key: inner.deserialize(bytes.subarray(0, bytes.byteLength - 8), context),
        window: { start, end: start + windowSizeMs },
      };
    },
    toJson: (windowed) => ({ key: innerJson(inner, windowed.key), window: { ...windowed.window } }),
    fromJson: (json, context) => parseWindowedJson(inner, json, context),
  };
}

/** Keys of session windows: inner key bytes, then end and start (8 bytes each), as Kafka Streams writes them. */
export function sessionWindowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return {
    name: `session-windowed(${inner.name})`,
    serialize: (windowed, context) => {
      const key = inner.serialize(windowed.key, context);
      const bytes = new Uint8Array(key.byteLength + 16);
      bytes.set(key, 0);
      writeTimestamp(bytes, key.byteLength, windowed.window.end);
      writeTimestamp(bytes, key.byteLength + 8, windowed.window.start);
      return bytes;
    },
    deserialize: (bytes, context) => {
      if (bytes.byteLength < 16)
        throw new SerdeError(
          `session key is ${bytes.byteLength} bytes, shorter than its 16-byte window${where(context)}`,
        );
      const keyLength = bytes.byteLength - 16;
      return {
        key: inner.deserialize(bytes.subarray(0, keyLength), context),
        window: { start: timestampAt(bytes, keyLength + 8), end: timestampAt(bytes, keyLength) },
      };
    },
    toJson: (windowed) => ({ key: innerJson(inner, windowed.key), window: { ...windowed.window } }),
    fromJson: (json, context) => parseWindowedJson(inner, json, context),
  };
}
