/**
 * The embedded log's on-disk format. Every file is a sequence of frames:
 *
 *   u32 body length | u32 CRC-32 of the body | body
 *
 * A frame that is cut short or fails its checksum marks where a crash interrupted a write: recovery
 * truncates the file there. Partition files hold entries (one per offset); the coordinator file holds
 * JSON bodies.
 *
 * Entry body: u8 kind | f64 transaction id (0: none) | then, for data only:
 *   f64 timestamp | i32 key length (-1: null) | key | i32 value length (-1: null) | value |
 *   u16 header count | per header: u16 name length | name (UTF-8) | u8 0 text / 1 bytes | u32 length | bytes
 * Markers (commit, abort) end after the transaction id; like Kafka's control records they take an
 * offset but are never returned as records.
 */
import { crc32 } from 'node:zlib';
import type { HeaderValue, Headers } from '../common/records.ts';
import { TributaryError } from '../errors.ts';

export const FRAME_HEADER_BYTES = 8;

export const EntryKind = { data: 0, commit: 1, abort: 2 } as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** A record as it goes into a partition file. */
export interface EntryInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

export interface DecodedEntry {
  readonly kind: EntryKind;
  readonly txnId: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

const EMPTY_HEADERS: Headers = Object.freeze({});

function headerBytes(headers: Headers): { size: number; parts: [Buffer, boolean, Buffer][] } {
  const parts: [Buffer, boolean, Buffer][] = [];
  let size = 2;
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const isText = typeof value === 'string';
    const valueBytes = isText
      ? Buffer.from(value, 'utf8')
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    parts.push([nameBytes, isText, valueBytes]);
    size += 2 + nameBytes.length + 1 + 4 + valueBytes.length;
  }
  return { size, parts };
}

/** Encodes data entries as consecutive frames in one buffer; returns it with each frame's length. */
export function encodeEntries(
  entries: readonly EntryInput[],
  txnId: number,
): { buffer: Buffer; sizes: number[] } {
  const prepared = entries.map((e) => ({ entry: e, headers: headerBytes(e.headers) }));
  let total = 0;
  const sizes: number[] = [];
  for (const { entry, headers } of prepared) {
    const body =
      1 + 8 + 8 + 4 + (entry.key?.byteLength ?? 0) + 4 + (entry.value?.byteLength ?? 0) + headers.size;
    sizes.push(FRAME_HEADER_BYTES + body);
    total += FRAME_HEADER_BYTES + body;
  }
  const buffer = Buffer.allocUnsafe(total);
  let at = 0;
  for (const { entry, headers } of prepared) {
    const start = at;
    const bodyStart = start + FRAME_HEADER_BYTES;
    at = bodyStart;
    buffer.writeUInt8(EntryKind.data, at);
    buffer.writeDoubleLE(txnId, at + 1);
    buffer.writeDoubleLE(entry.timestamp, at + 9);
    at += 17;
    at = writeBytes(buffer, at, entry.key);
    at = writeBytes(buffer, at, entry.value);
    buffer.writeUInt16LE(headers.parts.length, at);
    at += 2;
    for (const [name, isText, value] of headers.parts) {
      buffer.writeUInt16LE(name.length, at);
      at += 2;
      name.copy(buffer, at);
      at += name.length;
      buffer.writeUInt8(isText ? 0 : 1, at);
      buffer.writeUInt32LE(value.length, at + 1);
      at += 5;
      value.copy(buffer, at);
      at += value.length;
    }
    writeFrameHeader(buffer, start, at);
  }
  return { buffer, sizes };
}

/** One transaction marker frame. */
export function encodeMarker(kind: typeof EntryKind.commit | typeof EntryKind.abort, txnId: number): Buffer {
  const buffer = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 9);
  buffer.writeUInt8(kind, FRAME_HEADER_BYTES);
  buffer.writeDoubleLE(txnId, FRAME_HEADER_BYTES + 1);
  writeFrameHeader(buffer, 0, buffer.length);
  return buffer;
}

/** A frame around arbitrary bytes (the coordinator file's JSON entries). */
export function encodeFrame(body: Uint8Array): Buffer {
  const buffer = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.byteLength);
  buffer.set(body, FRAME_HEADER_BYTES);
  writeFrameHeader(buffer, 0, buffer.length);
  return buffer;
}

function writeFrameHeader(buffer: Buffer, start: number, end: number): void {
  const body = buffer.subarray(start + FRAME_HEADER_BYTES, end);
  buffer.writeUInt32LE(body.length, start);
  buffer.writeUInt32LE(crc32(body), start + 4);
}

function writeBytes(buffer: Buffer, at: number, bytes: Uint8Array | null): number {
  if (bytes === null) {
    buffer.writeInt32LE(-1, at);
    return at + 4;
  }
  buffer.writeInt32LE(bytes.byteLength, at);
  buffer.set(bytes, at + 4);
  return at + 4 + bytes.byteLength;
}

/**
 * The frame starting at `at`: its body's bounds, or undefined when the bytes there are not a whole,
 * intact frame (cut short, or a checksum mismatch).
 */
export function readFrame(
  buffer: Buffer,
  at: number,
  end = buffer.length,
): { bodyStart: number; bodyEnd: number } | undefined {
  if (at + FRAME_HEADER_BYTES > end) return undefined;
  const length = buffer.readUInt32LE(at);
  const bodyStart = at + FRAME_HEADER_BYTES;
  const bodyEnd = bodyStart + length;
  if (bodyEnd > end) return undefined;
  if (crc32(buffer.subarray(bodyStart, bodyEnd)) !== buffer.readUInt32LE(at + 4)) return undefined;
  return { bodyStart, bodyEnd };
}

function entryKind(buffer: Buffer, bodyStart: number): EntryKind {
  const byte = buffer.readUInt8(bodyStart);
  switch (byte) {
    case EntryKind.data:
    case EntryKind.commit:
    case EntryKind.abort:
      return byte;
    default:
      // The frame's checksum held, so this is a format this version does not know, not a torn write.
      throw new TributaryError(
        'TRIB_EMBEDDED_LOG',
        `an entry of the embedded log has the unknown kind ${byte}`,
      );
  }
}

/** Kind and transaction id of an entry body: all recovery needs. */
export function entryHeader(buffer: Buffer, bodyStart: number): { kind: EntryKind; txnId: number } {
  return { kind: entryKind(buffer, bodyStart), txnId: buffer.readDoubleLE(bodyStart + 1) };
}

/** Decodes a whole entry body. Keys, values and byte headers are copies (the buffer is reused). */
export function decodeEntry(buffer: Buffer, bodyStart: number): DecodedEntry {
  const kind = entryKind(buffer, bodyStart);
  const txnId = buffer.readDoubleLE(bodyStart + 1);
  if (kind !== EntryKind.data)
    return { kind, txnId, key: null, value: null, timestamp: -1, headers: EMPTY_HEADERS };
  const timestamp = buffer.readDoubleLE(bodyStart + 9);
  let at = bodyStart + 17;
  const [key, afterKey] = readBytes(buffer, at);
  const [value, afterValue] = readBytes(buffer, afterKey);
  at = afterValue;
  const count = buffer.readUInt16LE(at);
  at += 2;
  let headers: Record<string, HeaderValue> | undefined;
  for (let i = 0; i < count; i++) {
    const nameLength = buffer.readUInt16LE(at);
    const name = buffer.toString('utf8', at + 2, at + 2 + nameLength);
    at += 2 + nameLength;
    const isText = buffer.readUInt8(at) === 0;
    const length = buffer.readUInt32LE(at + 1);
    at += 5;
    headers ??= {};
    headers[name] = isText
      ? buffer.toString('utf8', at, at + length)
      : new Uint8Array(buffer.subarray(at, at + length));
    at += length;
  }
  return { kind, txnId, key, value, timestamp, headers: headers ?? EMPTY_HEADERS };
}

function readBytes(buffer: Buffer, at: number): [Uint8Array | null, number] {
  const length = buffer.readInt32LE(at);
  if (length < 0) return [null, at + 4];
  return [new Uint8Array(buffer.subarray(at + 4, at + 4 + length)), at + 4 + length];
}
