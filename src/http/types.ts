/**
 * The HTTP shapes routes work with: a request with its path parameters and a lazily read body, and a
 * response as plain data (status, headers, a JSON body), so a route is a function that can be tested
 * without a server.
 */
import { TributaryError, type ErrorCode } from '../errors.ts';

export interface HttpRequest {
  readonly method: string;
  /** The path as sent (percent-encoded), without the query string. */
  readonly path: string;
  /** Path parameters (`/v1/orders/:id` → `params.id`), decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * The body parsed as JSON: 400 when it is empty or not JSON, 415 when it is not declared
   * `application/json` (or a `+json` type) in UTF-8, 413 over 1 MiB.
   */
  json(): Promise<unknown>;
  /** The body as UTF-8 text, whatever its content type (413 over 1 MiB). */
  text(): Promise<string>;
  /** Aborted when the client goes away (stop long polls then). */
  readonly signal: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON, unless it is a string (sent as is, text/plain unless a content-type header says otherwise). */
  readonly body?: unknown;
}

export type RouteHandler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** Where an application adds its routes. Paths may have `:name` segments. */
export interface HttpRoutes {
  get(path: string, handler: RouteHandler): void;
  post(path: string, handler: RouteHandler): void;
  put(path: string, handler: RouteHandler): void;
  delete(path: string, handler: RouteHandler): void;
}

/**
 * An error with the HTTP status it should be answered with; thrown by a route (or the query client it
 * uses), it becomes `{ "error": message }` with that status.
 */
export class HttpError extends TributaryError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    message: string,
    options: {
      cause?: unknown;
      headers?: Record<string, string>;
      code?: ErrorCode;
      retriable?: boolean;
    } = {},
  ) {
    super(options.code ?? 'TRIB_HTTP', message, { cause: options.cause, retriable: options.retriable });
    this.status = status;
    this.headers = options.headers ?? {};
  }
}

/** A JSON response, for routes: `return json(201, order, { location: ... })`. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, body, headers };
}
