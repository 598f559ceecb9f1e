/**
 * HTTP over a plain TCP socket, for what fetch hides: a body sent while the answer arrives, headers
 * over the limit, bytes that are not HTTP, and how the server closes the connection afterwards.
 */
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent, as text. */
  readonly received: string;
  readonly status: number | undefined;
  /** The body of the last response (after the blank line of its head). */
  readonly body: string;
  /** The server closed its side cleanly (FIN), and no reset came. */
  readonly closedCleanly: boolean;
  /** The socket error, e.g. ECONNRESET, when there was one. */
  readonly error: string | undefined;
}

/**
 * Connects, writes `head`, then `bodyBytes` bytes of `bodyByte` in chunks (as fast as the socket
 * takes them, without waiting for an answer), and reads until the server closes the connection or
 * `timeoutMs` pass (then the exchange ends with error "timeout").
 */
export function rawExchange(
  url: string,
  head: string,
  options: { bodyBytes?: number; chunked?: boolean; timeoutMs?: number } = {},
): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let error: string | undefined;
    let ended = false;
    const timer = setTimeout(() => {
      error ??= 'timeout';
      socket.destroy();
    }, options.timeoutMs ?? 10_000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => {
      ended = true;
      socket.end();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      const responses = received.split(/(?=HTTP\/1\.1 \d{3} )/);
      const last = responses.at(-1) ?? '';
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(last)?.[1];
      resolve({
        received,
        status: status === undefined ? undefined : Number(status),
        body: last.includes('\r\n\r\n') ? last.slice(last.indexOf('\r\n\r\n') + 4) : '',
        closedCleanly: ended && error === undefined,
        error,
      });
    });
    socket.write(head);
    void writeBody();

    async function writeBody() {
      let left = options.bodyBytes ?? 0;
      const chunk = Buffer.alloc(64 * 1024, 'x');
      while (left > 0 && !socket.destroyed && socket.writable) {
        const piece = chunk.subarray(0, Math.min(chunk.length, left));
        left -= piece.length;
        const framed = options.chunked
          ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
          : piece;
        if (!socket.write(framed))
          await new Promise((r) => {
            socket.once('drain', r);
            socket.once('close', r);
          });
      }
      if (options.chunked && !socket.destroyed && socket.writable) socket.write('0\r\n\r\n');
    }
  });
}
