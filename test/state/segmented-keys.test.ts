import { describe, expect, it } from 'vitest';
import {
  changelogTime,
  decodeRecordKey,
  decodeTime,
  encodeRecordKey,
  encodeTime,
  readChangelogTime,
} from '../../src/state/segmented/keys.ts';

/** A small deterministic generator, so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

describe('composite key parts', () => {
  const times = [
    -Number.MAX_SAFE_INTEGER,
    -(2 ** 40) - 7,
    -4294967296,
    -4294967295,
    -1,
    0,
    1,
    255,
    256,
    4294967295,
    4294967296,
    1_700_000_000_000,
    Number.MAX_SAFE_INTEGER,
  ];

  it('encodes times in 8 bytes whose byte order is numeric order, negative times included', () => {
    const encoded = times.map(encodeTime);
    expect(encoded.every((e) => e.length === 8 && [...e].every((c) => c.charCodeAt(0) <= 0xff))).toBe(true);
    expect([...encoded].sort()).toEqual(encoded);
    for (const time of times) expect(decodeTime('xx' + encodeTime(time), 2)).toBe(time);
  });

  it('writes changelog times as signed big-endian 64-bit integers', () => {
    for (const time of times) {
      const expected = Buffer.alloc(8);
      expected.writeBigInt64BE(BigInt(time));
      const written = Buffer.from(changelogTime(time), 'latin1');
      expect(written.toString('hex')).toBe(expected.toString('hex'));
      expect(readChangelogTime(new Uint8Array(written), 0)).toBe(time);
    }
  });

  it('keeps record keys in byte order with any suffix, whatever their length or zero bytes', () => {
    const next = random(7);
    const alphabet = ['\0', '\x01', 'a', 'b', '\xff'];
    const keys = new Set<string>(['', '\0', '\0\0', 'a\0', 'a\0\xff']);
    while (keys.size < 300) {
      let key = '';
      const length = Math.floor(next() * 5);
      for (let i = 0; i < length; i++) key += alphabet[Math.floor(next() * alphabet.length)];
      keys.add(key);
    }
    const sorted = [...keys].sort();
    // Append a suffix that would reorder plainly concatenated keys: with it, (key, suffix) must sort by key first.
    const composite = sorted.map((key, i) => encodeRecordKey(key) + (i % 2 ? '\0\0\0' : '\xff\xff\xff'));
    expect([...composite].sort()).toEqual(composite);
    for (let i = 0; i < sorted.length; i++)
      expect(decodeRecordKey('SEG' + composite[i], 3, 3)).toBe(sorted[i]);
  });
});
