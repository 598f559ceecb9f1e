import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import {
  combinedKeySerde,
  foreignKeyPrefixSerde,
  responseSerde,
  subscriptionSerde,
} from '../../../src/processor/ops/fk-join/wrappers.ts';
import { hashOf, sameHash } from '../../../src/processor/ops/fk-join/value-hash.ts';

const context = { topic: 't', part: 'key' as const };

describe('foreign-key join wire formats', () => {
  it('round-trips subscriptions, with and without a hash', () => {
    const serde = subscriptionSerde(Serdes.String(), context);
    const hash = hashOf('v', Serdes.String(), context);
    for (const value of [
      { hash, instruction: 'respond-always' as const, primaryKey: 'pk-1', primaryPartition: 7 },
      { hash: null, instruction: 'unsubscribe' as const, primaryKey: '', primaryPartition: 0 },
    ]) {
      expect(serde.deserialize(serde.serialize(value))).toEqual(value);
    }
    expect(() => serde.deserialize(Uint8Array.of(9, 0, 0))).toThrow(/unknown format version 9/);
    expect(() => serde.deserialize(Uint8Array.of(0, 1, 16, 1))).toThrow(/truncated/);
  });

  it('round-trips responses, telling a missing foreign value from a present one', () => {
    const serde = responseSerde(Serdes.String(), context);
    const hash = hashOf('v', Serdes.String(), context);
    for (const value of [
      { hash, foreignValue: 'x', primaryPartition: 2 },
      { hash, foreignValue: '', primaryPartition: 2 },
      { hash: null, foreignValue: null, primaryPartition: 1 },
    ]) {
      expect(serde.deserialize(serde.serialize(value))).toEqual(value);
    }
  });

  it('lays out combined keys so that a foreign key is a prefix of exactly its subscribers', () => {
    const combined = combinedKeySerde(Serdes.String(), context, Serdes.String(), context);
    const prefix = foreignKeyPrefixSerde(Serdes.String(), context);
    const key = { foreignKey: 'ab', primaryKey: 'c' };
    const bytes = combined.serialize(key);
    expect(combined.deserialize(bytes)).toEqual(key);
    expect(Buffer.from(bytes).subarray(0, 6)).toEqual(Buffer.from(prefix.serialize('ab')));
    // "a" + "bc" must not share the prefix of "ab" + "c": the length in front keeps them apart.
    const other = combined.serialize({ foreignKey: 'a', primaryKey: 'bc' });
    expect(Buffer.from(other).subarray(0, 6)).not.toEqual(Buffer.from(prefix.serialize('ab')));
    expect(prefix.deserialize(prefix.serialize('ab'))).toBe('ab');
  });

  it('hashes values by their bytes', () => {
    const a = hashOf({ x: 1 }, Serdes.Json(), context);
    expect(sameHash(a, hashOf({ x: 1 }, Serdes.Json(), context))).toBe(true);
    expect(sameHash(a, hashOf({ x: 2 }, Serdes.Json(), context))).toBe(false);
    expect(sameHash(a, null)).toBe(false);
    expect(sameHash(null, hashOf(null, Serdes.Json(), context))).toBe(true);
  });
});
