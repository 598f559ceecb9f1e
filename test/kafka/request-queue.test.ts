import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { stopIdleRequestQueuePolling } from '../../src/kafka/kafkajs/request-queue.ts';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}

// kafkajs' own request queue, the class every broker connection uses.
const RequestQueueClass = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (
  options: Record<string, unknown>,
) => RequestQueue;

const logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe("kafkajs' request queue", () => {
  const queues: RequestQueue[] = [];
  afterEach(() => queues.splice(0).forEach((q) => q.destroy()));

  function queue(): RequestQueue {
    stopIdleRequestQueuePolling();
    const q = new RequestQueueClass({
      maxInFlightRequests: 1,
      requestTimeout: 30_000,
      enforceRequestTimeout: true,
      clientId: 'test',
      broker: 'localhost:9092',
      logger,
    });
    queues.push(q);
    return q;
  }

  it('schedules no check of an empty queue that is not throttled (kafkajs would poll every millisecond)', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const q = queue();
      // What every response runs: send what waits, then schedule the next check.
      q.checkPendingRequests();
      expect(q.throttleCheckTimeoutId).toBeFalsy();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(warnings.map((w) => w.name)).not.toContain('TimeoutNegativeWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('still schedules a check when requests wait, or when the broker throttles the client', () => {
    const waiting = queue();
    waiting.throttledUntil = Date.now() + 60_000;
    waiting.pending.push({});
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).toBeTruthy();

    const throttled = queue();
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).toBeTruthy();
  });
});
