/**
 * How a worker retries what the event log refuses for a while, independent of any Kafka client: the
 * adapters classify their errors (TributaryError kinds), and the runtime and the adapters retry the
 * `retriable` ones here, with exponential backoff, for at most the policy's timeout — Kafka Streams'
 * `task.timeout.ms`. Past it the error becomes fatal and the application stops.
 */
import { TributaryError, errorKind, errorMessage } from '../errors.ts';

export interface RetryPolicy {
  /** How long an operation may keep failing before the worker gives up (0: at the first failure). */
  readonly timeoutMs: number;
  /** The first wait between attempts; each next one doubles, up to `maxBackoffMs`. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** Kafka Streams' `task.timeout.ms` default: five minutes. */
export const DEFAULT_TASK_TIMEOUT_MS = 300_000;

/** Backoff as the Java clients' `retry.backoff.ms` (100 ms) growing to `retry.backoff.max.ms` (1 s). */
export function retryPolicy(timeoutMs: number = DEFAULT_TASK_TIMEOUT_MS): RetryPolicy {
  return { timeoutMs, initialBackoffMs: 100, maxBackoffMs: 1_000 };
}

/** The wait before attempt `attempt + 1`: exponential, with ±20% jitter so that workers spread out. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const exponential = policy.initialBackoffMs * 2 ** Math.min(Math.max(attempt - 1, 0), 20);
  const capped = Math.min(exponential, policy.maxBackoffMs);
  return Math.round(capped * (0.8 + Math.random() * 0.4));
}

/** Thrown when a retried operation is given up because the application is stopping. */
export class RetryCancelledError extends TributaryError {
  constructor(what: string, options: { cause?: unknown } = {}) {
    super('TRIB_CANCELLED', `${what} was given up: the application is stopping`, options);
  }
}

/** A retriable error that lasted longer than the policy allows: now fatal, naming what failed and for how long. */
export class RetriesExhaustedError extends TributaryError {
  constructor(what: string, failingMs: number, policy: RetryPolicy, cause: unknown) {
    super(
      'TRIB_RETRIES_EXHAUSTED',
      `${what} kept failing for ${failingMs} ms, longer than the task timeout (${policy.timeoutMs} ms): ${errorMessage(cause)}`,
      { cause },
    );
  }
}

export interface RetryOptions {
  /** What is being done, for messages: "committing offsets of application x". */
  readonly what: string;
  readonly policy: RetryPolicy;
  /** Aborted when the application stops or fails: a wait between attempts ends at once. */
  readonly signal?: AbortSignal;
  /** Which errors are worth another attempt (default: the `retriable` kind). */
  readonly retriable?: (error: unknown) => boolean;
  /** Told before each wait: for a log line. */
  readonly onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
}

/**
 * Runs `operation` until it succeeds, retrying retriable failures after a backoff. Non-retriable
 * errors are thrown as they are; a retriable one that outlasts the policy's timeout is thrown as a
 * fatal `RetriesExhaustedError`; an abort ends the wait with a `RetryCancelledError`.
 */
export async function retrying<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal } = options;
  const retriable = options.retriable ?? ((error: unknown) => errorKind(error) === 'retriable');
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new RetryCancelledError(options.what);
    try {
      return await operation();
    } catch (error) {
      if (!retriable(error)) throw error;
      const failingMs = Date.now() - started;
      if (failingMs >= policy.timeoutMs)
        throw new RetriesExhaustedError(options.what, failingMs, policy, error);
      if (signal?.aborted) throw new RetryCancelledError(options.what, { cause: error });
      const wait = Math.min(backoffMs(attempt, policy), policy.timeoutMs - failingMs);
      options.onRetry?.(error, attempt, wait);
      await sleep(wait, signal);
    }
  }
}

/** Resolves after `ms`, or at once when the signal aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Tracks a run of failures of something that recovers by itself in between (a consumer restarting,
 * a task started again): `failed` says whether the run is still within the policy's timeout, and a
 * success ends the run.
 */
export class FailureWindow {
  private readonly timeoutMs: number;
  private since: number | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Notes a failure; true while failures have lasted no longer than the timeout. */
  failed(now = Date.now()): boolean {
    this.since ??= now;
    return now - this.since <= this.timeoutMs;
  }

  /** How long the current run of failures has lasted (0 when none). */
  failingMs(now = Date.now()): number {
    return this.since === undefined ? 0 : now - this.since;
  }

  succeeded(): void {
    this.since = undefined;
  }
}
