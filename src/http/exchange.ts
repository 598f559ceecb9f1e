import type { IncomingMessage, ServerResponse } from 'node:http';
import { toError } from '../common/to-error.ts';
import { readBody } from './body.ts';
import { HttpError, type HttpRequest, type HttpResponse } from './types.ts';

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
      checkJsonMediaType(req.headers['content-type']);
      try {
        const parsed: unknown = JSON.parse(raw);
        return parsed;
      } catch (error) {
        throw new HttpError(400, `the body is not valid JSON: ${toError(error).message}`);
      }
    },
    signal,
  };
}

/**
 * JSON bodies come as `application/json` (or a `+json` type), in UTF-8. Besides saying what the body
 * is, this keeps browsers from posting to the API from other sites: an HTML form or a "simple" cross-site
 * request cannot send this content type.
 */
function checkJsonMediaType(header: string | undefined): void {
  const [type = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const json = type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (!json || (charset !== undefined && !['utf-8', 'utf8'].includes(charset.replace(/"/g, ''))))
    throw new HttpError(
      415,
      header === undefined
        ? 'the body needs the header content-type: application/json'
        : `the body must be content-type application/json (UTF-8), got "${header}"`,
    );
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
