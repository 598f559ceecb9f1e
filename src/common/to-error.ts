/**
 * Anything thrown or rejected with, as an Error: an Error as it is, any other value as an Error whose
 * message is its text. For callbacks and fields that promise an Error, since JavaScript can throw
 * anything.
 */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/**
 * The text `code` of an error: a Node system error's (`ENOENT`, `EEXIST`, `ECONNRESET`) or a client
 * library's (`PLT_KFK_AUTHENTICATION`); undefined for anything thrown without one.
 */
export function errnoCode(thrown: unknown): string | undefined {
  if (typeof thrown !== 'object' || thrown === null || !('code' in thrown)) return undefined;
  return typeof thrown.code === 'string' ? thrown.code : undefined;
}
