import { describe, expect, it } from 'vitest';
import { readInt64, writeInt64 } from '../../src/serde/int64.ts';
import { utf8 } from '../../src/serde/primitives.ts';

describe('64-bit integers without BigInt', () => {
  it('write exactly what DataView.setBigInt64 writes, and read it back', () => {
    const values = [
      0,
      1,
      -1,
      255,
      256,
      -256,
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 32,
      -(2 ** 32),
      1_700_000_000_000,
    ];
    values.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const magnitude = 2 ** (i % 54);
      values.push(Math.floor((seed / 2 ** 31) * magnitude) * (i % 2 === 0 ? 1 : -1));
    }
    for (const value of values) {
      const ours = new Uint8Array(10);
      writeInt64(ours, 1, value);
      const reference = new Uint8Array(10);
      new DataView(reference.buffer).setBigInt64(1, BigInt(value));
      expect(Buffer.from(ours).toString('hex'), String(value)).toBe(Buffer.from(reference).toString('hex'));
      expect(readInt64(ours, 1)).toBe(value || 0); // -0 is written as 0
    }
  });

  it('values beyond the safe range never read as safe integers', () => {
    for (const big of [2n ** 53n, 2n ** 63n - 1n, -(2n ** 53n), -(2n ** 63n), 2n ** 53n + 1n]) {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigInt64(0, big);
      expect(Number.isSafeInteger(readInt64(bytes, 0)), String(big)).toBe(false);
    }
  });
});

describe('utf8', () => {
  it('encodes like TextEncoder, ASCII or not, short or long, into an array of its own', () => {
    const encoder = new TextEncoder();
    for (const text of [
      '',
      'key-00001',
      'é',
      'a€b',
      '😀',
      '\ud800',
      'x'.repeat(256),
      'y'.repeat(257),
      `${'z'.repeat(300)}é`,
    ]) {
      const bytes = utf8(text);
      expect(Buffer.from(bytes).equals(Buffer.from(encoder.encode(text))), text.slice(0, 10)).toBe(true);
      expect(bytes.constructor).toBe(Uint8Array);
      // Not a slice of a shared pool: a stored value must not keep other memory alive.
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
    }
  });
});
