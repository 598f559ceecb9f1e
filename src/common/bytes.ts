/**
 * `bytes` as a Buffer over the same memory (no copy): what Node's APIs and the clients take, for the
 * Uint8Arrays the rest of the library passes around.
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
