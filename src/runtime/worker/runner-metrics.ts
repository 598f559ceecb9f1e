import { Histogram, LATENCY_BUCKETS_SECONDS } from '../histogram.ts';
import type { StreamTask } from '../stream-task.ts';
import type { TaskRegistry } from './task-registry.ts';

/** What an application runner counts, for the worker's Prometheus metrics and its stop log line. */
export interface RunnerMetrics {
  processed: number;
  commits: number;
  commitMs: number;
  restoreMs: number;
  /** Records dropped (per reason) by tasks closed since the start. */
  readonly droppedInClosedTasks: Map<string, number>;
  readonly commitSeconds: Histogram;
  /** Wall clock at processing minus the record's timestamp. */
  readonly recordLatencySeconds: Histogram;
}

export function newRunnerMetrics(): RunnerMetrics {
  return {
    processed: 0,
    commits: 0,
    commitMs: 0,
    restoreMs: 0,
    droppedInClosedTasks: new Map(),
    commitSeconds: new Histogram(LATENCY_BUCKETS_SECONDS),
    recordLatencySeconds: new Histogram(LATENCY_BUCKETS_SECONDS),
  };
}

/** Adds a task's dropped records (built-in drops by reason, and records its error handlers skipped). */
export function addDropped(counts: Map<string, number>, task: StreamTask): void {
  for (const [reason, count] of task.droppedRecords) counts.set(reason, (counts.get(reason) ?? 0) + count);
  if (task.skippedByHandlers > 0)
    counts.set('error-handler', (counts.get('error-handler') ?? 0) + task.skippedByHandlers);
}

/**
 * Records dropped since the start, per reason: by built-in operators (null keys, expired windows) and
 * by the error handlers ('error-handler': skipped or sent to the dead-letter topic).
 */
export function droppedRecords(metrics: RunnerMetrics, registry: TaskRegistry): Map<string, number> {
  const dropped = new Map(metrics.droppedInClosedTasks);
  for (const { active } of registry.active.values()) addDropped(dropped, active.task);
  return dropped;
}

/** Records the log holds beyond what this worker has processed, per input partition it runs. */
export function consumerLag(registry: TaskRegistry): { topic: string; partition: number; lag: number }[] {
  return [...registry.active.values()].flatMap(({ active }) => active.consumerLag());
}
