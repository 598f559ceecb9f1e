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

/** Integers, picks, bytes and text (multi-byte characters included) from one deterministic source. */
export function randomValues(seed: number) {
  const next = random(seed);
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(choices: readonly T[]): T => choices[int(choices.length)]!;
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)));
  const text = (length: number) =>
    Array.from({ length }, () => pick(['a', 'z', '0', 'é', '€', '語', '😀', ' '])).join('');
  return { int, pick, bytes, text };
}

export type RandomValues = ReturnType<typeof randomValues>;
