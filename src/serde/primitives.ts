import { SerdeError } from '../errors.ts';
import { readBigInt64, readInt64, writeInt64 } from './int64.ts';
import type { Serde, SerdeContext } from './serde.ts';
import { toError } from '../common/to-error.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** Longer text is encoded natively: one call's overhead is small next to copying it. */
const SHORT_TEXT = 256;

/**
 * UTF-8 bytes of a string, in an array of their own. Most keys and values are short ASCII text, which
 * is copied here in a few dozen nanoseconds: TextEncoder.encode costs over a microsecond per call, and
 * Buffer.from hands out slices of a shared 8 KB pool that a stored value would keep alive.
 */
export function utf8(text: string): Uint8Array {
  const length = text.length;
  if (length > SHORT_TEXT) return encoder.encode(text);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return encoder.encode(text);
    bytes[i] = code;
  }
  return bytes;
}

function where(context: SerdeContext | undefined): string {
  return context ? ` (${context.part} of topic "${context.topic}")` : '';
}

function checkLength(bytes: Uint8Array, length: number, type: string, context?: SerdeContext): void {
  if (bytes.byteLength !== length) {
    throw new SerdeError(`expected ${length} bytes for ${type}, got ${bytes.byteLength}${where(context)}`);
  }
}

function expectLength(bytes: Uint8Array, length: number, type: string, context?: SerdeContext): DataView {
  checkLength(bytes, length, type, context);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function stringSerde(): Serde<string> {
  return {
    name: 'string',
    serialize: (value) => utf8(value),
    deserialize: (bytes, context) => {
      try {
        return decoder.decode(bytes);
      } catch (cause) {
        throw new SerdeError(`bytes are not valid UTF-8${where(context)}`, { cause });
      }
    },
    fromJson: (json, context) => {
      if (typeof json !== 'string')
        throw new SerdeError(`expected a string, got ${JSON.stringify(json)}${where(context)}`);
      return json;
    },
  };
}

/** 32-bit signed big-endian integer, as Kafka's IntegerSerializer writes it. */
export function intSerde(): Serde<number> {
  return {
    name: 'int',
    serialize: (value, context) => {
      if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
        throw new SerdeError(`${value} is not a 32-bit integer${where(context)}`);
      }
      return new Uint8Array([value >>> 24, value >>> 16, value >>> 8, value]);
    },
    deserialize: (bytes, context) => {
      checkLength(bytes, 4, 'an int', context);
      return (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
    },
    fromJson: (json, context) => {
      if (typeof json !== 'number' || !Number.isInteger(json)) {
        throw new SerdeError(`expected an integer, got ${JSON.stringify(json)}${where(context)}`);
      }
      return json;
    },
  };
}

/**
 * 64-bit signed big-endian integer as a JS number. Values beyond Number.MAX_SAFE_INTEGER would lose
 * precision, so they are refused with an error rather than silently rounded; use `longBigIntSerde`
 * when the full range is needed.
 */
export function longSerde(): Serde<number> {
  return {
    name: 'long',
    serialize: (value, context) => {
      if (!Number.isSafeInteger(value))
        throw new SerdeError(`${value} is not a safe integer for a long${where(context)}`);
      const bytes = new Uint8Array(8);
      writeInt64(bytes, 0, value);
      return bytes;
    },
    deserialize: (bytes, context) => {
      checkLength(bytes, 8, 'a long', context);
      const value = readInt64(bytes, 0);
      if (!Number.isSafeInteger(value)) {
        throw new SerdeError(
          `long ${readBigInt64(bytes, 0)} does not fit a JS number without losing precision${where(context)}`,
        );
      }
      return value;
    },
    fromJson: (json, context) => {
      if (typeof json !== 'number' || !Number.isSafeInteger(json)) {
        throw new SerdeError(`expected an integer, got ${JSON.stringify(json)}${where(context)}`);
      }
      return json;
    },
  };
}

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

/** DataView would wrap a bigint beyond 64 bits around silently. */
function checkLong(value: bigint, context?: SerdeContext): bigint {
  if (value < MIN_LONG || value > MAX_LONG)
    throw new SerdeError(`${value} does not fit a 64-bit long${where(context)}`);
  return value;
}

/** 64-bit signed big-endian integer as a bigint; its JSON form is a decimal string. */
export function longBigIntSerde(): Serde<bigint> {
  return {
    name: 'long-bigint',
    serialize: (value, context) => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigInt64(0, checkLong(value, context));
      return bytes;
    },
    deserialize: (bytes, context) => expectLength(bytes, 8, 'a long', context).getBigInt64(0),
    toJson: (value) => value.toString(),
    fromJson: (json, context) => {
      if (typeof json !== 'string' && typeof json !== 'number') {
        throw new SerdeError(`expected an integer, got ${JSON.stringify(json)}${where(context)}`);
      }
      let value: bigint;
      try {
        value = BigInt(json);
      } catch (cause) {
        throw new SerdeError(`expected an integer, got ${JSON.stringify(json)}${where(context)}`, { cause });
      }
      return checkLong(value, context);
    },
  };
}

/** IEEE 754 double, big-endian, as Kafka's DoubleSerializer writes it. */
export function doubleSerde(): Serde<number> {
  return {
    name: 'double',
    serialize: (value) => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, value);
      return bytes;
    },
    deserialize: (bytes, context) => expectLength(bytes, 8, 'a double', context).getFloat64(0),
    fromJson: (json, context) => {
      if (typeof json !== 'number')
        throw new SerdeError(`expected a number, got ${JSON.stringify(json)}${where(context)}`);
      return json;
    },
  };
}

/** Raw bytes; the JSON form is base64. */
export function bytesSerde(): Serde<Uint8Array> {
  return {
    name: 'bytes',
    serialize: (value) => value,
    deserialize: (bytes) => bytes,
    toJson: (value) => Buffer.from(value).toString('base64'),
    fromJson: (json, context) => {
      if (typeof json !== 'string')
        throw new SerdeError(`expected base64 text, got ${JSON.stringify(json)}${where(context)}`);
      return new Uint8Array(Buffer.from(json, 'base64'));
    },
  };
}

export function jsonSerde<T>(): Serde<T> {
  return {
    name: 'json',
    serialize: (value, context) => {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        // bigints and cycles
        throw new SerdeError(`value cannot be written as JSON${where(context)}: ${toError(cause).message}`, {
          cause,
        });
      }
      if (text === undefined) throw new SerdeError(`value cannot be written as JSON${where(context)}`);
      return utf8(text);
    },
    deserialize: (bytes, context) => {
      try {
        return JSON.parse(decoder.decode(bytes)) as T;
      } catch (cause) {
        throw new SerdeError(`bytes are not valid JSON${where(context)}: ${toError(cause).message}`, {
          cause,
        });
      }
    },
  };
}
