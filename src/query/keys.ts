/**
 * Keys and values between URLs, JSON and a store's serdes. A key in a URL is read by the store's key
 * serde: string keys as they are, numbers parsed, everything else (JSON, Avro) as JSON. Values are
 * rendered with the serde's JSON form (as recordings show them).
 */
import { SerdeError, errorMessage } from '../errors.ts';
import { fromJsonForm, toJsonForm, type Serde } from '../serde/serde.ts';
import { badRequest } from './errors.ts';

const NUMERIC = new Set(['int', 'long', 'double']);

/**
 * Parses a key given as text (a URL segment or query parameter) for a store's key serde, and checks
 * that the serde can write it. `what` names the key in errors (`key "abc" of store "counts"`).
 */
export function parseKey(serde: Serde<unknown>, text: string, what: string): unknown {
  let key: unknown;
  try {
    key = readKeyText(serde, text);
  } catch (error) {
    throw badRequest(`${what} cannot be read as a ${serde.name} key: ${errorMessage(error)}`);
  }
  try {
    serde.serialize(key);
  } catch (error) {
    throw badRequest(`${what} is not a valid ${serde.name} key: ${errorMessage(error)}`);
  }
  return key;
}

function readKeyText(serde: Serde<unknown>, text: string): unknown {
  if (serde.name === 'string') return text;
  if (serde.name === 'bytes' || serde.name === 'long-bigint') return fromJsonForm(serde, text);
  if (NUMERIC.has(serde.name)) {
    const number = text.trim() === '' ? NaN : Number(text);
    if (Number.isNaN(number)) throw new SerdeError(`"${text}" is not a number`);
    return fromJsonForm(serde, number);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON-keyed stores are often keyed by plain strings: let `apple` mean "apple".
    if (serde.name === 'json') return text;
    throw new SerdeError(`"${text}" is not JSON (${errorMessage(error)})`, { cause: error });
  }
  return fromJsonForm(serde, parsed);
}

/** How a key is written in a URL so that `parseKey` reads it back. */
export function keyToText<K>(serde: Serde<K>, key: K): string {
  if (serde.name === 'string' && typeof key === 'string') return key;
  const form = toJsonForm(serde, key);
  if (serde.name === 'bytes' || serde.name === 'long-bigint') return String(form);
  return JSON.stringify(form);
}

/** The serialized bytes of a key, as a key prefix for a prefix scan (string prefixes of JSON strings work too). */
export function prefixBytes<K>(serde: Serde<K>, prefix: K): Uint8Array {
  const bytes = serde.serialize(prefix);
  // `"app` is the prefix of the JSON text `"apple"`: leave off the closing quote of a JSON string.
  if (serde.name === 'json' && typeof prefix === 'string') return bytes.subarray(0, bytes.byteLength - 1);
  return bytes;
}

export function renderJson<T>(serde: Serde<T>, value: T | null | undefined): unknown {
  if (value === null || value === undefined) return null;
  return toJsonForm(serde, value);
}

/** Hex of serialized bytes: compares as strings exactly as the bytes compare (the stores' key order). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
