/** Query-string parameters of the query API, each checked with a message naming it. */
import { badRequest } from '../errors.ts';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 100_000;

export function limitParam(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}, got "${raw}"`);
  return limit;
}

export function booleanParam(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null || raw === 'false' || raw === '0') return false;
  if (raw === '' || raw === 'true' || raw === '1') return true;
  throw badRequest(`${name} must be true or false, got "${raw}"`);
}

/** A time: milliseconds since the epoch, or an ISO-8601 date such as 2024-05-01T10:00:00Z. */
export function timeParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (/^-?\d+$/.test(raw)) return Number(raw);
  const parsed = Date.parse(raw);
  if (Number.isNaN(parsed))
    throw badRequest(
      `${name} must be a time in epoch milliseconds or ISO-8601 (2024-05-01T10:00:00Z), got "${raw}"`,
    );
  return parsed;
}

/** The partitions a forwarded range query is limited to (`partitions=0,3`). */
export function partitionsParam(query: URLSearchParams): number[] | undefined {
  const raw = query.get('partitions');
  if (raw === null) return undefined;
  const partitions = raw.split(',').map(Number);
  if (raw === '' || partitions.some((p) => !Number.isInteger(p) || p < 0))
    throw badRequest(`partitions must list partition numbers such as 0,3, got "${raw}"`);
  return partitions;
}

/** Refuses parameters the endpoint does not know, so a typo is not silently ignored. */
export function onlyParams(query: URLSearchParams, allowed: readonly string[], where: string): void {
  for (const name of query.keys()) {
    if (!allowed.includes(name))
      throw badRequest(`unknown parameter "${name}" for ${where}; known: ${allowed.join(', ')}`);
  }
}
