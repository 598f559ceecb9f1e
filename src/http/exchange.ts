import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type HttpRequest, type HttpResponse } from './types.ts';

/** Bodies larger than this are refused (413): requests here carry one record, not bulk data. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An HttpRequest over a Node request; the body is read on first use, at most once. */
export function toHttpRequest(
  req: IncomingMessage,
  url: URL,
  params: Record<string, string>,
  signal: AbortSignal,
): HttpRequest {
  let body: Promise<string> | undefined;
  const text = () => (body ??= readBody(req));
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    params,
    query: url.searchParams,
    headers: req.headers,
    text,
    json: async () => {
      const raw = await text();
      if (raw.trim() === '') throw new HttpError(400, 'the request needs a JSON body');
      try {
        return JSON.parse(raw) as unknown;
      } catch (error) {
        throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
      }
    },
    signal,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes a response: JSON unless the body is a string. */
export function sendResponse(res: ServerResponse, response: HttpResponse, head = false): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
  let payload: string | undefined;
  if (response.body !== undefined) {
    if (typeof response.body === 'string') {
      payload = response.body;
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else {
      payload = JSON.stringify(response.body);
      headers['content-type'] ??= 'application/json';
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  res.writeHead(response.status, headers);
  res.end(head ? undefined : payload);
}

/** The response for an error a route threw: its HttpError status, else 500. */
export function errorResponse(error: unknown): HttpResponse {
  if (error instanceof HttpError)
    return { status: error.status, headers: error.headers, body: { error: error.message } };
  return {
    status: 500,
    body: { error: `internal error: ${error instanceof Error ? error.message : String(error)}` },
  };
}
