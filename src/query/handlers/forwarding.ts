/** How a request travels to the worker that owns what it asks for. */
import type { HttpRequest } from '../../http/types.ts';
import type { StoreEntry } from '../catalog.ts';
import { HOP_HEADER } from '../peer-client.ts';

/** True for a request another worker forwarded here: it is answered here or refused, never forwarded again. */
export function isForwarded(request: HttpRequest): boolean {
  return request.headers[HOP_HEADER] !== undefined;
}

/** The request's path and query for another worker, naming the application so the store name is unambiguous there. */
export function forwardPath(request: HttpRequest, entry: StoreEntry): string {
  const query = new URLSearchParams(request.query);
  query.set('app', entry.applicationId);
  return `${request.path}?${query}`;
}
