/**
 * Reading a request body within a limit. A body over the limit is refused with 413, and the refusal
 * must reach the client: a server that closes the connection while the client is still sending makes
 * the client's TCP stack answer the unread data with a reset, and the client sees "connection reset"
 * instead of the 413. So the rest of a refused body is read and dropped (up to a bound), and only then
 * is the 413 sent and the connection closed.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './types.ts';

/** Bodies larger than this are refused (413): requests here carry one record, not bulk data. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** How much of a refused body is read and dropped so that the client gets the 413; beyond it the connection is cut. */
export const DRAIN_BYTES = 16 * MAX_BODY_BYTES;
/** How long the rest of a refused body may take to arrive before the 413 goes out anyway. */
export const DRAIN_MS = 5_000;

export function bodyTooLarge(): HttpError {
  return new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`, {
    headers: { connection: 'close' },
  });
}

/** The body size the request announces (Content-Length), or undefined (chunked, or none given). */
export function announcedLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

/** Reads the whole body as UTF-8; rejects with 413 (connection: close) once it passes MAX_BODY_BYTES. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const announced = announcedLength(req);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const refuse = () => settle(() => reject(bodyTooLarge()));
    /** From now on the body is only counted and dropped, until it ends or the drain's bounds are reached. */
    const startRefusing = () => {
      refused = true;
      chunks.length = 0;
      timer = setTimeout(refuse, DRAIN_MS);
    };
    // Announced larger than what is drained: refused at once; the connection closes after the answer.
    if (announced !== undefined && announced > MAX_BODY_BYTES + DRAIN_BYTES) return refuse();
    if (announced !== undefined && announced > MAX_BODY_BYTES) startRefusing();
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (!refused && size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (!refused) startRefusing();
      if (size > MAX_BODY_BYTES + DRAIN_BYTES) refuse();
    });
    req.on('end', () => (refused ? refuse() : settle(() => resolve(Buffer.concat(chunks).toString('utf8')))));
    req.on('error', (error) => settle(() => reject(error)));
  });
}
