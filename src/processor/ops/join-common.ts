/** A joiner: (thisValue, otherValue, key) => result; the IR holds it with its types erased. */
export type JoinerFn<V = unknown, VO = unknown, K = unknown, VR = unknown> = (
  value: V,
  otherValue: VO,
  key: K,
) => VR;

/** Null and undefined both mean "absent": a missing key, a tombstone, no match. */
export function absent(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/**
 * The joiner seen from the right-hand input: its own value comes first, so the user's joiner gets its
 * arguments back in (left, right) order.
 */
export function reversed(joiner: JoinerFn): JoinerFn {
  return (value, otherValue, key) => joiner(otherValue, value, key);
}
