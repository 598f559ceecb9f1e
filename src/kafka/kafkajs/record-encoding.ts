/**
 * The records of one Kafka record batch (magic 2), written into one buffer in one pass: every
 * record's size is computed first, then all records are written into a single allocation, varints
 * and zig-zag varlongs straight into it. Kafka's format: each record is
 * `length varint, attributes int8, timestampDelta varlong, offsetDelta varint, key varint-bytes,
 * value varint-bytes, headers [varint count, (key varint-string, value varint-bytes)…]`.
 *
 * The fields are those kafkajs' Produce request gives its record encoder, with kafkajs' reading of
 * them (a missing key or value is null; a header whose value is an array is one header per element).
 * Anything else (bytes that are neither a Buffer nor a string, a null header value, a time delta that
 * is not an integer) is left to kafkajs: `planRecords` returns undefined for it.
 */

/** One record as kafkajs' Produce request describes it. */
export interface RecordFields {
  readonly offsetDelta?: unknown;
  readonly timestampDelta?: unknown;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: unknown;
}

/** The records' sizes, computed before anything is written. */
export interface RecordsPlan {
  readonly records: readonly RecordFields[];
  /** Each record's size without its own length prefix. */
  readonly bodySizes: Int32Array;
  /** All records' bytes, length prefixes included. */
  readonly size: number;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function zigZag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function sizeOfUnsignedVarInt(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function sizeOfVarInt(value: number): number {
  return sizeOfUnsignedVarInt(zigZag32(value));
}

function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

/** A time delta kafkajs writes as a varlong; undefined when it is not an integer we write the same. */
function sizeOfVarLong(value: unknown): number | undefined {
  if (isInt32(value)) return sizeOfVarInt(value);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
  let zigZag = zigZag64(value);
  let size = 1;
  while (zigZag > 0x7fn) {
    zigZag >>= 7n;
    size += 1;
  }
  return size;
}

function zigZag64(value: number): bigint {
  const long = BigInt(value);
  return long >= 0n ? long << 1n : (-long << 1n) - 1n;
}

/** Bytes of a key, value or header value: -1 for null, undefined when kafkajs would treat it otherwise. */
function byteLength(bytes: unknown): number | undefined {
  if (bytes === null || bytes === undefined) return -1;
  if (Buffer.isBuffer(bytes)) return bytes.length;
  if (typeof bytes === 'string') return Buffer.byteLength(bytes);
  return undefined;
}

function sizeOfVarIntBytes(bytes: unknown): number | undefined {
  const length = byteLength(bytes);
  if (length === undefined) return undefined;
  return length < 0 ? 1 : sizeOfVarInt(length) + length;
}

function sizeOfHeaderValue(value: unknown): number | undefined {
  // kafkajs measures a header value with Buffer.byteLength, which rejects null.
  if (value === null || value === undefined) return undefined;
  return sizeOfVarIntBytes(value);
}

/** The headers' bytes (count included), or undefined when kafkajs would treat them otherwise. */
function sizeOfHeaders(headers: unknown): number | undefined {
  if (headers === undefined) return 1;
  if (typeof headers !== 'object' || headers === null) return undefined;
  let count = 0;
  let size = 0;
  for (const key in headers) {
    if (!Object.hasOwn(headers, key)) continue;
    const keyLength = Buffer.byteLength(key);
    const keySize = sizeOfVarInt(keyLength) + keyLength;
    const value: unknown = (headers as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const element of value as unknown[]) {
        const valueSize = sizeOfHeaderValue(element);
        if (valueSize === undefined) return undefined;
        size += keySize + valueSize;
        count += 1;
      }
    } else {
      const valueSize = sizeOfHeaderValue(value);
      if (valueSize === undefined) return undefined;
      size += keySize + valueSize;
      count += 1;
    }
  }
  return sizeOfVarInt(count) + size;
}

/** The sizes of the records, or undefined when one of them is not ours to write (see the file). */
export function planRecords(records: readonly RecordFields[]): RecordsPlan | undefined {
  const bodySizes = new Int32Array(records.length);
  let size = 0;
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i]!;
    const offsetDelta = record.offsetDelta ?? 0;
    if (!isInt32(offsetDelta)) return undefined;
    const timestampSize = sizeOfVarLong(record.timestampDelta ?? 0);
    const keySize = sizeOfVarIntBytes(record.key);
    const valueSize = sizeOfVarIntBytes(record.value);
    const headersSize = sizeOfHeaders(record.headers);
    if (
      timestampSize === undefined ||
      keySize === undefined ||
      valueSize === undefined ||
      headersSize === undefined
    ) {
      return undefined;
    }
    const bodySize = 1 + timestampSize + sizeOfVarInt(offsetDelta) + keySize + valueSize + headersSize;
    bodySizes[i] = bodySize;
    size += sizeOfVarInt(bodySize) + bodySize;
  }
  return { records, bodySizes, size };
}

function writeUnsignedVarInt(target: Buffer, offset: number, value: number): number {
  let rest = value;
  while (rest > 0x7f) {
    target[offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  target[offset++] = rest;
  return offset;
}

function writeVarInt(target: Buffer, offset: number, value: number): number {
  return writeUnsignedVarInt(target, offset, zigZag32(value));
}

function writeVarLong(target: Buffer, offset: number, value: number): number {
  if (isInt32(value)) return writeVarInt(target, offset, value);
  let rest = zigZag64(value);
  while (rest > 0x7fn) {
    target[offset++] = Number(rest & 0x7fn) | 0x80;
    rest >>= 7n;
  }
  target[offset++] = Number(rest);
  return offset;
}

/** Writes bytes the plan accepted (a Buffer, a string, or null), length first. */
function writeVarIntBytes(target: Buffer, offset: number, bytes: unknown): number {
  if (bytes === null || bytes === undefined) return writeVarInt(target, offset, -1);
  if (typeof bytes === 'string') {
    const start = writeVarInt(target, offset, Buffer.byteLength(bytes));
    return start + target.write(bytes, start);
  }
  const buffer = bytes as Buffer;
  const start = writeVarInt(target, offset, buffer.length);
  target.set(buffer, start);
  return start + buffer.length;
}

function countHeaders(headers: object): number {
  let count = 0;
  for (const key in headers) {
    if (!Object.hasOwn(headers, key)) continue;
    const value: unknown = (headers as Record<string, unknown>)[key];
    count += Array.isArray(value) ? value.length : 1;
  }
  return count;
}

function writeHeaders(target: Buffer, offset: number, headers: unknown): number {
  if (headers === undefined) return writeVarInt(target, offset, 0);
  const fields = headers as Record<string, unknown>;
  let at = writeVarInt(target, offset, countHeaders(fields));
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (Array.isArray(value)) {
      for (const element of value as unknown[]) {
        at = writeVarIntBytes(target, writeVarIntBytes(target, at, key), element);
      }
    } else {
      at = writeVarIntBytes(target, writeVarIntBytes(target, at, key), value);
    }
  }
  return at;
}

/** Writes the planned records at `offset` of `target` (which has `plan.size` bytes there); returns the end. */
export function writeRecords(plan: RecordsPlan, target: Buffer, offset: number): number {
  let at = offset;
  const { records, bodySizes } = plan;
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i]!;
    at = writeVarInt(target, at, bodySizes[i]!);
    target[at++] = 0; // attributes: none are defined for a record
    at = writeVarLong(target, at, (record.timestampDelta ?? 0) as number);
    at = writeVarInt(target, at, (record.offsetDelta ?? 0) as number);
    at = writeVarIntBytes(target, at, record.key);
    at = writeVarIntBytes(target, at, record.value);
    at = writeHeaders(target, at, record.headers);
  }
  return at;
}
