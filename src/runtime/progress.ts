/**
 * Progress of long work (a replay, a store restore): how much is done of how much, the recent rate,
 * and the time left at that rate. Only the arithmetic and the wording; where it is shown — a line
 * redrawn on a terminal, or a log line now and then — is up to the caller.
 */

export interface ProgressSnapshot {
  readonly done: number;
  readonly total: number;
  /** Items per second over the last few seconds (over everything so far at the start). */
  readonly ratePerSecond: number;
  /** Time left at the current rate; undefined while there is no rate yet. */
  readonly etaMs: number | undefined;
  readonly elapsedMs: number;
}

/** The rate is measured over this much recent time, so it follows changes in speed. */
const RATE_WINDOW_MS = 10_000;

/** How often to report progress where nobody watches a terminal: log lines, not a redrawn line. */
export const LOG_PROGRESS_INTERVAL_MS = 10_000;
/** How often to redraw progress on a terminal. */
export const TERMINAL_PROGRESS_INTERVAL_MS = 250;

/**
 * The interval for progress reports: `TRIBUTARY_PROGRESS_INTERVAL_MS` when set (a positive number of
 * milliseconds), otherwise the given default.
 */
export function progressInterval(fallbackMs: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.TRIBUTARY_PROGRESS_INTERVAL_MS);
  return Number.isFinite(value) && value > 0 ? value : fallbackMs;
}

export class ProgressMeter {
  private readonly started: number;
  private readonly now: () => number;
  private total: number;
  private done = 0;
  /** Recent (time, done) samples, oldest first, spanning about RATE_WINDOW_MS. */
  private readonly samples: { at: number; done: number }[] = [];

  constructor(total: number, now: () => number = Date.now) {
    this.now = now;
    this.total = total;
    this.started = now();
    this.samples.push({ at: this.started, done: 0 });
  }

  update(done: number, total = this.total): void {
    const at = this.now();
    this.done = done;
    this.total = total;
    this.samples.push({ at, done });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= RATE_WINDOW_MS) this.samples.shift();
  }

  snapshot(): ProgressSnapshot {
    const at = this.now();
    const oldest = this.samples[0]!;
    const span = at - oldest.at;
    const ratePerSecond = span > 0 ? ((this.done - oldest.done) * 1000) / span : 0;
    const left = Math.max(0, this.total - this.done);
    return {
      done: this.done,
      total: this.total,
      ratePerSecond,
      etaMs: ratePerSecond > 0 ? (left / ratePerSecond) * 1000 : left === 0 ? 0 : undefined,
      elapsedMs: at - this.started,
    };
  }
}

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** "120,000 of 1,000,000 records (12%), 40,000/s, about 22 s left" */
export function describeProgress(snapshot: ProgressSnapshot, unit = 'records'): string {
  const { done, total, ratePerSecond, etaMs } = snapshot;
  const percent = total > 0 ? Math.floor((done * 100) / total) : 100;
  const eta = etaMs === undefined ? 'time left unknown' : `about ${formatDuration(etaMs)} left`;
  return `${count.format(done)} of ${count.format(total)} ${unit} (${percent}%), ${count.format(ratePerSecond)}/s, ${eta}`;
}

/** "1,000,000 records in 25 s (40,000/s)" */
export function describeCompletion(snapshot: ProgressSnapshot, unit = 'records'): string {
  const seconds = snapshot.elapsedMs / 1000;
  const rate = seconds > 0 ? snapshot.done / seconds : snapshot.done;
  return `${count.format(snapshot.done)} ${unit} in ${formatDuration(snapshot.elapsedMs)} (${count.format(rate)}/s)`;
}

/** "850 ms", "22 s", "3 min 5 s", "2 h 10 min" */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
