import type { Clock } from '../../common/clock.ts';
import { FailureWindow, RetriesExhaustedError, type RetryPolicy } from '../../kafka/retry.ts';

/**
 * Exactly-once: since when each transaction (a task's, or the member's one) has kept failing. A
 * failed transaction closes its tasks, which start again from their last commit; one that keeps
 * failing for longer than the retry policy's timeout fails the application.
 */
export class TransactionFailures {
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private readonly failing = new Map<string, FailureWindow>();

  constructor(retry: RetryPolicy, clock: Clock) {
    this.retry = retry;
    this.clock = clock;
  }

  /**
   * Notes a failure of the transaction `key` (described as `what`) and returns how long it has been
   * failing; throws RetriesExhaustedError once that is longer than the timeout.
   */
  failed(key: string, what: string, error: unknown): number {
    let window = this.failing.get(key);
    if (!window) this.failing.set(key, (window = new FailureWindow(this.retry.timeoutMs)));
    const now = this.clock.now();
    if (!window.failed(now)) throw new RetriesExhaustedError(what, window.failingMs(now), this.retry, error);
    return window.failingMs(now);
  }

  succeeded(key: string): void {
    this.failing.delete(key);
  }
}
