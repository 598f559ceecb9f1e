/** Query-string parameters of the query API, each checked with a message naming it. */
import { TributaryError } from '../../errors.ts';
import type { HttpRequest } from '../../http/types.ts';
import { badRequest } from '../errors.ts';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 100_000;

export function limitParam(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return DEFAULT_LIMIT;
  const limit = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT))
    throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}, got "${raw}"`);
  return limit;
}

export function booleanParam(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null || raw === 'false' || raw === '0') return false;
  if (raw === '' || raw === 'true' || raw === '1') return true;
  throw badRequest(`${name} must be true or false, got "${raw}"`);
}

/**
 * An ISO-8601 date (midnight UTC) or date and time with its offset (`Z` or `+02:00`): a time without
 * an offset would mean the server's local time zone.
 */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** A time: an integer of epoch milliseconds, or an ISO-8601 date such as 2024-05-01T10:00:00Z. */
export function timeParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const time = /^-?\d+$/.test(raw) ? Number(raw) : ISO_8601.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isSafeInteger(time))
    throw badRequest(
      `${name} must be a time: an integer of epoch milliseconds or ISO-8601 with its offset (2024-05-01T10:00:00Z), got "${raw}"`,
    );
  return time;
}

/** The partitions a forwarded range query is limited to (`partitions=0,3`). */
export function partitionsParam(query: URLSearchParams): number[] | undefined {
  const raw = query.get('partitions');
  if (raw === null) return undefined;
  if (!/^\d{1,9}(,\d{1,9})*$/.test(raw))
    throw badRequest(`partitions must list partition numbers such as 0,3, got "${raw}"`);
  return raw.split(',').map(Number);
}

/**
 * Refuses parameters the endpoint does not know, so a typo is not silently ignored, and parameters
 * given more than once, so no value is silently dropped.
 */
export function onlyParams(query: URLSearchParams, allowed: readonly string[], where: string): void {
  for (const name of new Set(query.keys())) {
    if (!allowed.includes(name))
      throw badRequest(`unknown parameter "${name}" for ${where}; known: ${allowed.join(', ')}`);
    const count = query.getAll(name).length;
    if (count > 1) throw badRequest(`parameter "${name}" is given ${count} times for ${where}; give it once`);
  }
}

/** A parameter of the route's path (`:store`, `:key`): the router matched the route, so it is there. */
export function pathParam(request: HttpRequest, name: string): string {
  const value = request.params[name];
  if (value === undefined)
    throw new TributaryError('TRIB_INTERNAL', `the route has no path parameter ":${name}"`);
  return value;
}
