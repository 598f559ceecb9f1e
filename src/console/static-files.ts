/**
 * The console's page and its assets, built by `npm run build` (scripts/console/build.ts) into
 * `dist/console/public/` and shipped in the package. They are read from beside this module in the
 * installed package (dist/console/public/), or from the checkout's dist/ when the sources run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HttpError, type HttpRequest, type HttpResponse } from '../http/types.ts';

const CANDIDATES = [
  new URL('./public/', import.meta.url),
  new URL('../../dist/console/public/', import.meta.url),
];

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  map: 'application/json',
};

/** What every answer of the console carries: nothing from elsewhere, no framing by other sites. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface StaticFile {
  readonly body: string;
  readonly type: string;
  readonly etag: string;
}

export class ConsoleFiles {
  private readonly directory: string | undefined;
  private readonly cache = new Map<string, StaticFile>();

  constructor(directory?: string) {
    this.directory =
      directory ?? CANDIDATES.map((url) => fileURLToPath(url)).find((dir) => existsSync(`${dir}index.html`));
  }

  /** The page itself, for `GET /` from a browser. */
  page(request: HttpRequest): HttpResponse {
    return this.serve('index.html', request);
  }

  /** `GET /console/assets/:file` */
  asset(request: HttpRequest): HttpResponse {
    const name = request.params.file ?? '';
    if (!/^[a-z0-9-]+\.(js|css|svg|map)$/.test(name)) throw new HttpError(404, `no console asset "${name}"`);
    return this.serve(name, request);
  }

  private serve(name: string, request: HttpRequest): HttpResponse {
    const file = this.read(name);
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      'cache-control': 'no-cache',
      etag: file.etag,
    };
    if (request.headers['if-none-match'] === file.etag) return { status: 304, headers };
    return { status: 200, headers, body: file.body };
  }

  private read(name: string): StaticFile {
    const cached = this.cache.get(name);
    if (cached) return cached;
    if (!this.directory)
      throw new HttpError(
        503,
        'the console is not built: run `npm run build` in the repository (the npm package ships it built)',
      );
    const path = `${this.directory}${name}`;
    if (!existsSync(path)) throw new HttpError(404, `no console asset "${name}"`);
    const body = readFileSync(path, 'utf8');
    const file = {
      body,
      type: TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    };
    this.cache.set(name, file);
    return file;
  }
}

/** A browser navigating to the page asks for HTML first; API clients (curl's `*\/*`, fetch) get JSON. */
export function wantsHtml(accept: string | string[] | undefined): boolean {
  const text = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(text);
}
