/**
 * Anything thrown or rejected with, as an Error: an Error as it is, any other value as an Error whose
 * message is its text. For callbacks and fields that promise an Error, since JavaScript can throw
 * anything.
 */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** The `code` of a Node system error (`ENOENT`, `EEXIST`, `ECONNREFUSED`); undefined for anything else thrown. */
export function errnoCode(thrown: unknown): string | undefined {
  if (typeof thrown !== 'object' || thrown === null || !('code' in thrown)) return undefined;
  return typeof thrown.code === 'string' ? thrown.code : undefined;
}
