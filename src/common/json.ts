/**
 * Parsed JSON (request bodies, files, answers from peers and token endpoints) is `unknown` until
 * checked: `JSON.parse` says nothing about what it found, so each field is narrowed where it is read.
 */

/** An object that is neither null nor an array: its fields are there to be checked, each `unknown`. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
