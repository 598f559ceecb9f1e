/**
 * Anything thrown or rejected with, as an Error: an Error as it is, any other value as an Error whose
 * message is its text. For callbacks and fields that promise an Error, since JavaScript can throw
 * anything.
 */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
