import { createRequire } from 'node:module';

/** What the correction below relies on in kafkajs' RequestQueue (kafkajs 2.2.4, its last release). */
interface RequestQueue {
  pending?: unknown;
  throttledUntil?: unknown;
  scheduleCheckPendingRequests(): void;
}

let corrected = false;

/**
 * Stops kafkajs' idle request queues from polling. After each response, kafkajs 2.2.4 schedules a check
 * of its queue of requests waiting to be sent at "the end of the broker's throttling" minus now; when
 * nothing waits and nothing is throttled that is a negative delay, which Node runs after 1 ms (and, from
 * Node 24, reports as a TimeoutNegativeWarning), and the check schedules the next one: every connection
 * polls its empty queue every millisecond for as long as it is open (kafkajs issues #1704 and #1751).
 *
 * The check is useless then: a request that cannot be sent at once schedules a check itself when it
 * is queued, and every response checks the queue. So the scheduling is skipped when the queue is empty
 * and not throttled, and left as it is otherwise. Applied once, to kafkajs' class, before any client
 * connects; a kafkajs whose internals differ is left alone.
 */
export function stopIdleRequestQueuePolling(): void {
  if (corrected) return;
  corrected = true;
  let queueClass: { prototype?: RequestQueue } | undefined;
  try {
    queueClass = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as {
      prototype?: RequestQueue;
    };
  } catch {
    return;
  }
  const prototype = queueClass?.prototype;
  const schedule = prototype?.scheduleCheckPendingRequests;
  if (!prototype || typeof schedule !== 'function') return;
  prototype.scheduleCheckPendingRequests = function (this: RequestQueue) {
    const idle =
      Array.isArray(this.pending) &&
      this.pending.length === 0 &&
      typeof this.throttledUntil === 'number' &&
      this.throttledUntil <= Date.now();
    if (!idle) schedule.call(this);
  };
}
