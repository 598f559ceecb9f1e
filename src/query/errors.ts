import { HttpError } from '../http/types.ts';

/** Seconds a client should wait before asking again while a rebalance or a restore is under way. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * The store cannot answer right now: the application is starting or rebalancing, the partition is
 * being restored, or its owner cannot be reached. Never answered with stale data instead (503).
 */
export class QueryUnavailableError extends HttpError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(503, message, {
      ...options,
      code: 'TRIB_QUERY_UNAVAILABLE',
      retriable: true,
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    });
  }
}

/** A long poll ended without the value it waited for (504). */
export class QueryTimeoutError extends HttpError {
  constructor(message: string) {
    super(504, message, { code: 'TRIB_QUERY_TIMEOUT' });
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, message, { code: 'TRIB_QUERY_BAD_REQUEST' });
}
