import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteScope } from '../http/access.ts';
import type { HttpRequest, HttpResponse } from '../http/types.ts';

/** A route of the worker's server: answers with a response, or streams one itself and returns undefined. */
export interface InternalHandler {
  handle(
    request: HttpRequest,
    raw: { readonly req: IncomingMessage; readonly res: ServerResponse },
  ): HttpResponse | undefined | Promise<HttpResponse | undefined>;
  /** The application whose route it is (absent for the worker's own routes). */
  readonly application?: string;
  /**
   * What credentials must grant: `app` for application routes, else `queries` unless said otherwise;
   * a function when it depends on the request (the console's page and the JSON index share `GET /`).
   */
  readonly scope?: RouteScope | ((req: IncomingMessage) => RouteScope);
}
