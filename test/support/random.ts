/** A source of numbers in [0, 1). */
export type Random = () => number;

/** A small deterministic generator (xorshift32), so a failing seed reproduces. */
export function random(seed: number): Random {
  // Small seeds would start xorshift on near-zero outputs: scramble the seed, then skip a few.
  let state = Math.imul(seed, 0x9e3779b1) >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  for (let i = 0; i < 8; i++) next();
  return next;
}
