/**
 * The console's memory of the last minutes: every few seconds it reads the counters of each
 * application on this worker (records processed, commits and their time, record latency, lag, drops)
 * and keeps the differences as a time series, so the page draws charts and rates the moment it opens.
 * Samples are taken at wall-clock multiples of the interval, so the series of several workers line up.
 */
import type { AppRunner } from '../runtime/worker/app-runner.ts';
import type { SampleStatus as Sample } from './api-types.ts';

export const SAMPLE_INTERVAL_MS = 2_000;
/** Five minutes of samples. */
export const SAMPLES_KEPT = 150;

interface Counters {
  readonly at: number;
  readonly processed: number;
  readonly commits: number;
  readonly commitSeconds: number;
  readonly latencyCount: number;
  readonly latencySeconds: number;
  readonly dropped: number;
  /** Next offset processed per `task/topic/partition`, for per-partition rates. */
  readonly positions: ReadonlyMap<string, bigint>;
  /** Changelog records applied per restoring `topic/partition`. */
  readonly restored: ReadonlyMap<string, number>;
}

interface AppSeries {
  readonly runner: AppRunner;
  last: Counters | undefined;
  readonly samples: Sample[];
  /** Per `task/topic/partition`: records per second over the last interval. */
  partitionRates: Map<string, number>;
  /** Per restoring `topic/partition`: changelog records applied per second over the last interval. */
  restoreRates: Map<string, number>;
}

export class ConsoleSampler {
  private readonly series = new Map<string, AppSeries>();
  private readonly now: () => number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(runners: readonly AppRunner[], now: () => number = Date.now) {
    this.now = now;
    for (const runner of runners)
      this.series.set(runner.applicationId, {
        runner,
        last: undefined,
        samples: [],
        partitionRates: new Map(),
        restoreRates: new Map(),
      });
  }

  start(): void {
    if (this.timer) return;
    this.sample();
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads every application's counters now and records the interval since the last reading. */
  sample(): void {
    for (const series of this.series.values()) {
      const { runner } = series;
      const current = readCounters(runner, this.now());
      const last = series.last;
      series.last = current;
      if (!last || current.at <= last.at) continue;
      const seconds = (current.at - last.at) / 1000;
      const commits = current.commits - last.commits;
      const latencyCount = current.latencyCount - last.latencyCount;
      series.samples.push({
        time: Math.round(current.at / SAMPLE_INTERVAL_MS) * SAMPLE_INTERVAL_MS,
        recordsPerSecond: nonNegative(current.processed - last.processed) / seconds,
        commitsPerSecond: nonNegative(commits) / seconds,
        commitMs: commits > 0 ? ((current.commitSeconds - last.commitSeconds) * 1000) / commits : null,
        latencyMs:
          latencyCount > 0 ? ((current.latencySeconds - last.latencySeconds) * 1000) / latencyCount : null,
        lag: totalLag(runner),
        droppedPerSecond: nonNegative(current.dropped - last.dropped) / seconds,
      });
      if (series.samples.length > SAMPLES_KEPT)
        series.samples.splice(0, series.samples.length - SAMPLES_KEPT);
      series.partitionRates = rates(last.positions, current.positions, seconds, (a, b) => Number(b - a));
      series.restoreRates = rates(last.restored, current.restored, seconds, (a, b) => b - a);
    }
  }

  samples(applicationId: string): readonly Sample[] {
    return this.series.get(applicationId)?.samples ?? [];
  }

  /** Records per second of an input partition of a task over the last interval (0 before two samples). */
  partitionRate(applicationId: string, task: string, topic: string, partition: number): number {
    return this.series.get(applicationId)?.partitionRates.get(positionKey(task, topic, partition)) ?? 0;
  }

  restoreRate(applicationId: string, topic: string, partition: number): number {
    return this.series.get(applicationId)?.restoreRates.get(`${topic}/${partition}`) ?? 0;
  }

  private schedule(): void {
    const now = this.now();
    const next = (Math.floor(now / SAMPLE_INTERVAL_MS) + 1) * SAMPLE_INTERVAL_MS;
    this.timer = setTimeout(() => {
      this.sample();
      this.schedule();
    }, next - now);
    this.timer.unref?.();
  }
}

function readCounters(runner: AppRunner, at: number): Counters {
  const { metrics } = runner;
  const positions = new Map<string, bigint>();
  for (const [id, task] of runner.activeTasks)
    for (const position of task.positions())
      positions.set(positionKey(id, position.topic, position.partition), position.offset);
  const restored = new Map<string, number>();
  for (const restore of runner.restoreProgress())
    restored.set(`${restore.topic}/${restore.partition}`, restore.restored);
  let dropped = 0;
  for (const count of runner.droppedRecords().values()) dropped += count;
  return {
    at,
    processed: metrics.processed,
    commits: metrics.commits,
    commitSeconds: metrics.commitSeconds.sum,
    latencyCount: metrics.recordLatencySeconds.count,
    latencySeconds: metrics.recordLatencySeconds.sum,
    dropped,
    positions,
    restored,
  };
}

export function totalLag(runner: AppRunner): number {
  let lag = 0;
  for (const partition of runner.consumerLag()) lag += partition.lag;
  return lag;
}

function positionKey(task: string, topic: string, partition: number): string {
  return `${task}/${topic}/${partition}`;
}

/** Per key present in both readings: the change per second (keys that came or went have no rate yet). */
function rates<T>(
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
  seconds: number,
  difference: (a: T, b: T) => number,
): Map<string, number> {
  const result = new Map<string, number>();
  for (const [key, value] of after) {
    const previous = before.get(key);
    if (previous !== undefined) result.set(key, nonNegative(difference(previous, value)) / seconds);
  }
  return result;
}

/** Counters restart when a task moves; a negative difference is no activity, not negative activity. */
function nonNegative(value: number): number {
  return value > 0 ? value : 0;
}
