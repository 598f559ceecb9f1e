/**
 * Answers for requests Node's HTTP parser refuses before any route sees them (headers too large, not
 * HTTP, too slow): the same JSON error shape as every other refusal, instead of Node's bare status line.
 */
import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';

/** How long a refused connection is still read (and the data dropped) so the client gets the answer, not a reset. */
const LINGER_MS = 2_000;

export function clientErrorStatus(error: { code?: string; message: string }): {
  status: number;
  message: string;
} {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: `the request's headers are larger than ${maxHeaderSize} bytes` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'the chunk extensions of the body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'the request did not arrive in time' };
    default:
      return { status: 400, message: `the request is not valid HTTP/1.1: ${error.message}` };
  }
}

/**
 * Writes the JSON answer for a parser error and closes the connection. The parser reports every later
 * chunk of the same connection again; only the first is answered. What the client still sends is read
 * and dropped until it closes its side (or LINGER_MS pass), so the answer is not lost to a reset.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return;
  // A response already under way on this connection (Node keeps it as `_httpMessage`) cannot be followed
  // by another status line: cut the connection, as Node itself does then.
  if (responseUnderWay(socket)) {
    socket.destroy();
    return;
  }
  const { status, message } = clientErrorStatus(error);
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'content-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
}

function responseUnderWay(socket: Duplex): boolean {
  if (!('_httpMessage' in socket)) return false;
  const message = socket._httpMessage;
  return (
    typeof message === 'object' &&
    message !== null &&
    'headersSent' in message &&
    message.headersSent === true
  );
}
