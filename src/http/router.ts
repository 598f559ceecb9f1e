import { HttpError, type HttpRoutes } from './types.ts';
import { ConfigError } from '../errors.ts';

type Segment = { readonly literal: string } | { readonly param: string };

interface Route<H> {
  readonly method: string;
  readonly pattern: string;
  readonly segments: readonly Segment[];
  readonly handler: H;
}

export interface RouteMatch<H> {
  readonly handler: H;
  /** The pattern that matched (`/stores/:store`), a low-cardinality label for metrics. */
  readonly pattern: string;
  readonly params: Record<string, string>;
}

/**
 * A small path router: literal segments and `:name` parameters, matched segment by segment. A path
 * that matches a route under another method is answered 405 with the methods it has; nothing is 404.
 */
export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): void {
    if (!pattern.startsWith('/')) throw new ConfigError(`route "${pattern}" must start with "/"`);
    const segments = split(pattern).map((s): Segment =>
      s.startsWith(':') ? { param: s.slice(1) } : { literal: s },
    );
    const upper = method.toUpperCase();
    if (this.routes.some((r) => r.method === upper && samePattern(r.segments, segments)))
      throw new ConfigError(`route ${upper} ${pattern} is defined twice`);
    this.routes.push({ method: upper, pattern, segments, handler });
  }

  /** The routes as `HttpRoutes`, for handing to an application. */
  routesFor(
    wrap: (handler: Parameters<HttpRoutes['get']>[1], method: string, pattern: string) => H,
  ): HttpRoutes {
    const add = (method: string) => (pattern: string, handler: Parameters<HttpRoutes['get']>[1]) =>
      this.add(method, pattern, wrap(handler, method, pattern));
    return { get: add('GET'), post: add('POST'), put: add('PUT'), delete: add('DELETE') };
  }

  /** Patterns defined here, with their methods and handlers. */
  patterns(): { method: string; pattern: string; handler: H }[] {
    return this.routes.map((r) => ({ method: r.method, pattern: r.pattern, handler: r.handler }));
  }

  /** The route for a method and a (percent-encoded) path; throws 404 or 405 as an HttpError. */
  match(method: string, path: string): RouteMatch<H> {
    const parts = split(path);
    const allowed = new Set<string>();
    const wanted = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    let best: RouteMatch<H> | undefined;
    let bestRoute: Route<H> | undefined;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method !== wanted) {
        allowed.add(route.method);
        continue;
      }
      // `/orders/recent` beats `/orders/:id`: the first literal where the other has a parameter wins.
      if (!bestRoute || moreSpecific(route.segments, bestRoute.segments)) {
        bestRoute = route;
        best = { handler: route.handler, pattern: route.pattern, params };
      }
    }
    if (best) return best;
    if (allowed.size > 0)
      throw new HttpError(405, `${method} is not supported on ${path}; use ${[...allowed].join(' or ')}`, {
        headers: { allow: [...allowed].join(', ') },
      });
    throw new HttpError(404, `no route for ${method} ${path}`);
  }
}

function moreSpecific(a: readonly Segment[], b: readonly Segment[]): boolean {
  for (const [i, segment] of a.entries()) {
    const other = b[i];
    if (other === undefined) break;
    const aLiteral = 'literal' in segment;
    const bLiteral = 'literal' in other;
    if (aLiteral !== bLiteral) return aLiteral;
  }
  return false;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function samePattern(a: readonly Segment[], b: readonly Segment[]): boolean {
  return (
    a.length === b.length &&
    a.every((s, i) => {
      const other = b[i];
      if (other === undefined) return false;
      return 'param' in s ? 'param' in other : 'literal' in other && s.literal === other.literal;
    })
  );
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    const part = parts[i];
    if (part === undefined) return undefined;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
      continue;
    }
    try {
      params[segment.param] = decodeURIComponent(part);
    } catch {
      throw new HttpError(400, `path segment "${part}" is not valid percent-encoding`);
    }
  }
  return params;
}
