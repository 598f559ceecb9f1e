import type { BinaryKey } from '../bytes.ts';

/**
 * Building blocks of the composite binary keys of window and session stores, all as binary strings so
 * that encoding a key costs string concatenation, not a Buffer.
 *
 * In the store, times are 8 bytes big-endian with the sign bit flipped, so that byte order is numeric
 * order for negative times too. Record keys are escaped (0x00 → 0x00 0xFF) and terminated by 0x00 0x00:
 * the encoding keeps the keys' byte order and no encoded key is a prefix of another, so a composite key
 * sorts by (record key, time, …) even when record keys differ in length.
 *
 * In the changelog, times are plain signed 8-byte big-endian integers and sequence numbers 4 bytes, as
 * Kafka Streams lays out the changelog keys of its window and session stores.
 */

const TWO_32 = 4294967296;

/** An order-preserving 8-byte encoding of a time (or segment id). */
export function encodeTime(time: number): string {
  const high = Math.floor(time / TWO_32);
  const low = time - high * TWO_32;
  const flipped = (high + 0x80000000) >>> 0;
  return String.fromCharCode(
    flipped >>> 24,
    (flipped >>> 16) & 255,
    (flipped >>> 8) & 255,
    flipped & 255,
    low >>> 24,
    (low >>> 16) & 255,
    (low >>> 8) & 255,
    low & 255,
  );
}

export function decodeTime(key: BinaryKey, offset: number): number {
  const high = readUint32(key, offset) - 0x80000000;
  return high * TWO_32 + readUint32(key, offset + 4);
}

/** A 4-byte big-endian unsigned sequence number. */
export function encodeSeq(seq: number): string {
  return String.fromCharCode(seq >>> 24, (seq >>> 16) & 255, (seq >>> 8) & 255, seq & 255);
}

export function decodeSeq(key: BinaryKey, offset: number): number {
  return readUint32(key, offset);
}

function readUint32(key: BinaryKey, offset: number): number {
  return (
    ((key.charCodeAt(offset) << 24) |
      (key.charCodeAt(offset + 1) << 16) |
      (key.charCodeAt(offset + 2) << 8) |
      key.charCodeAt(offset + 3)) >>>
    0
  );
}

/** A record key in a composite key: escaped and terminated, so it sorts as the bare key would. */
export function encodeRecordKey(key: BinaryKey): string {
  return key.indexOf('\0') === -1 ? key + '\0\0' : key.replaceAll('\0', '\0\xff') + '\0\0';
}

/** The record key held in `composite` from `start` up to `suffixLength` bytes before its end. */
export function decodeRecordKey(composite: BinaryKey, start: number, suffixLength: number): BinaryKey {
  // Leave out the two-byte terminator, then undo the escaping.
  const escaped = composite.slice(start, composite.length - suffixLength - 2);
  return escaped.indexOf('\0') === -1 ? escaped : escaped.replaceAll('\0\xff', '\0');
}

/** A time as a signed 8-byte big-endian integer (the changelog's layout). */
export function changelogTime(time: number): string {
  const high = Math.floor(time / TWO_32);
  const low = time - high * TWO_32;
  return encodeSeq(high >>> 0) + encodeSeq(low);
}

export function readChangelogTime(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getInt32(offset) * TWO_32 + view.getUint32(offset + 4);
}

export function readChangelogSeq(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

/**
 * The part after the segment prefix of the bounds covering record keys from `from` to `to` (both
 * inclusive, undefined is open), with any suffix; undefined when `from` sorts after `to`.
 */
export function recordKeyRange(
  from: BinaryKey | undefined,
  to: BinaryKey | undefined,
): { gte: string; lt: string } | undefined {
  if (from !== undefined && to !== undefined && from > to) return undefined;
  return {
    gte: from === undefined ? '' : encodeRecordKey(from),
    // '\u0100' sorts after every byte, so this bound covers every suffix of the last key.
    lt: to === undefined ? '\u0100' : encodeRecordKey(to) + '\u0100',
  };
}
