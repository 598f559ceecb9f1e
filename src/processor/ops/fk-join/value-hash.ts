import { createHash } from 'node:crypto';
import type { Serde, SerdeContext } from '../../../serde/serde.ts';
import { absent } from '../join-common.ts';

/**
 * A 128-bit digest of a left value's bytes. Answers from the right side carry the hash of the value
 * that asked; an answer whose hash differs from the current value's is stale and dropped, so a
 * foreign key that changes quickly never yields a result for a value the row no longer has.
 */
export function valueHash(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest().subarray(0, 16));
}

export function sameHash(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The hash of a left value as sender and resolver both compute it; null for an absent row. */
export function hashOf(value: unknown, serde: Serde<unknown>, context: SerdeContext): Uint8Array | null {
  return absent(value) ? null : valueHash(serde.serialize(value, context));
}
