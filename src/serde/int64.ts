/**
 * 64-bit big-endian integers as JS numbers, written and read byte by byte. Timestamps and counts go
 * through here on every record; a DataView and a BigInt per value were a measurable share of the
 * processing time. Only safe integers are exact, so callers check with `Number.isSafeInteger`.
 */
const TWO_32 = 2 ** 32;

/** Writes a safe integer as 8 bytes, big-endian two's complement. */
export function writeInt64(bytes: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  const low = value - high * TWO_32;
  bytes[offset] = high >>> 24;
  bytes[offset + 1] = high >>> 16;
  bytes[offset + 2] = high >>> 8;
  bytes[offset + 3] = high;
  bytes[offset + 4] = low >>> 24;
  bytes[offset + 5] = low >>> 16;
  bytes[offset + 6] = low >>> 8;
  bytes[offset + 7] = low;
}

/**
 * Reads 8 big-endian bytes. Exact when the result is a safe integer; a result outside that range is
 * not (and is never a safe integer, so `Number.isSafeInteger` tells the two apart).
 */
export function readInt64(bytes: Uint8Array, offset: number): number {
  const high =
    (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
  const low =
    ((bytes[offset + 4]! << 24) |
      (bytes[offset + 5]! << 16) |
      (bytes[offset + 6]! << 8) |
      bytes[offset + 7]!) >>>
    0;
  return high * TWO_32 + low;
}

/** The exact value of 8 big-endian bytes, for messages about values beyond the safe range. */
export function readBigInt64(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigInt64(offset);
}
