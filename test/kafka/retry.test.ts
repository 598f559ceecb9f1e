import { describe, expect, it } from 'vitest';
import { TributaryError, errorKind } from '../../src/errors.ts';
import {
  FailureWindow,
  RetriesExhaustedError,
  RetryCancelledError,
  backoffMs,
  retryPolicy,
  retrying,
} from '../../src/kafka/retry.ts';

const passing = () => new TributaryError('TRIB_KAFKA', 'the coordinator is loading', { retriable: true });
const fast = { timeoutMs: 1_000, initialBackoffMs: 1, maxBackoffMs: 4 };

describe('retrying', () => {
  it('tries a retriable failure again until it succeeds, telling each retry', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await retrying(
      async () => {
        if (++calls < 4) throw passing();
        return 'done';
      },
      { what: 'committing', policy: fast, onRetry: (_error, attempt) => retries.push(attempt) },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
  });

  it('throws a fatal error at once', async () => {
    let calls = 0;
    const fatal = new TributaryError('TRIB_KAFKA_AUTHORIZATION', 'not authorized');
    await expect(
      retrying(
        async () => {
          calls++;
          throw fatal;
        },
        { what: 'sending', policy: fast },
      ),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('gives up after the timeout with a fatal error naming what failed, for how long, and why', async () => {
    const error = await retrying(
      async () => {
        throw passing();
      },
      { what: 'committing offsets of application "a"', policy: { ...fast, timeoutMs: 50 } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(errorKind(error)).toBe('fatal');
    expect((error as Error).message).toMatch(
      /^committing offsets of application "a" kept failing for \d+ ms, longer than the task timeout \(50 ms\): the coordinator is loading$/,
    );
  });

  it('stops waiting as soon as the application stops', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const retried = retrying(
      async () => {
        throw passing();
      },
      {
        what: 'creating task 0_1',
        policy: { timeoutMs: 60_000, initialBackoffMs: 30_000, maxBackoffMs: 30_000 },
        signal: stop.signal,
      },
    );
    setTimeout(() => stop.abort(), 20);
    await expect(retried).rejects.toBeInstanceOf(RetryCancelledError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('backoff', () => {
  it('doubles from 100 ms up to 1 s, spread by at most 20%', () => {
    const policy = retryPolicy();
    for (const [attempt, base] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
      [5, 1_000],
      [30, 1_000],
    ] as const) {
      for (let i = 0; i < 20; i++) {
        const wait = backoffMs(attempt, policy);
        expect(wait).toBeGreaterThanOrEqual(base * 0.8);
        expect(wait).toBeLessThanOrEqual(base * 1.2);
      }
    }
  });
});

describe('a window of failures', () => {
  it('allows failures for the timeout from the first one, and starts over after a success', () => {
    const window = new FailureWindow(1_000);
    expect(window.failed(10_000)).toBe(true);
    expect(window.failed(10_900)).toBe(true);
    expect(window.failingMs(10_900)).toBe(900);
    expect(window.failed(11_001)).toBe(false);
    window.succeeded();
    expect(window.failingMs()).toBe(0);
    expect(window.failed(20_000)).toBe(true);
  });
});
