import type { ProcessorSupplier } from '../api.ts';

export type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;

/** A joiner as the IR holds it: (thisValue, otherValue, key) => result. */
export type JoinerFn = (value: unknown, otherValue: unknown, key: unknown) => unknown;

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
