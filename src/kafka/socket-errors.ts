/** Socket errors of a broker that is restarting or unreachable for a moment: worth trying again. */
const TRANSIENT_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Whether an error's `code` is such a socket error. */
export function isTransientSocketCode(code: unknown): boolean {
  return typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code);
}
