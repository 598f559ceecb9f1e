import type { Logger } from '../../common/logger.ts';
import { LOG_PROGRESS_INTERVAL_MS, ProgressMeter, describeProgress, progressInterval } from '../progress.ts';

export interface RestoreProgressOptions {
  /** How often a running restore logs its progress (default: every 2 s on a terminal, else 10 s). */
  readonly progressIntervalMs?: number;
  readonly now?: () => number;
}

/** Changelog offsets the restores under way still have to apply, and over how many partitions. */
export interface RestoresUnderWay {
  readonly remaining: bigint;
  readonly partitions: number;
}

/** On a terminal the worker's log is what its user watches: restore progress shows there more often. */
const TERMINAL_RESTORE_INTERVAL_MS = 2_000;

/**
 * Logs the progress of the restores under way every interval, once they have run that long (short
 * restores log only their start and end, in the task factory): changelog offsets applied and left,
 * the rate and the time left. Log lines only, never a redrawn line: a worker's output is its log.
 */
export class RestoreProgressLog {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly state: () => RestoresUnderWay;
  private meter: ProgressMeter | undefined;
  private applied = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(logger: Logger, state: () => RestoresUnderWay, options: RestoreProgressOptions = {}) {
    this.logger = logger;
    this.state = state;
    this.intervalMs =
      options.progressIntervalMs ??
      progressInterval(process.stdout.isTTY ? TERMINAL_RESTORE_INTERVAL_MS : LOG_PROGRESS_INTERVAL_MS);
    this.now = options.now ?? Date.now;
  }

  /** A restore began: measure from now (or keep measuring, when others run). */
  restoring(): void {
    if (this.timer) return;
    this.applied = 0;
    this.meter = new ProgressMeter(0, this.now);
    this.timer = setInterval(() => this.report(), this.intervalMs);
    this.timer.unref?.();
  }

  advanced(offsets: bigint): void {
    this.applied += Number(offsets);
    this.meter?.update(this.applied, this.applied + Number(this.state().remaining));
  }

  /** A restore ended; when none is left, stop reporting. */
  settled(): void {
    if (this.state().partitions === 0) this.stop();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.meter = undefined;
  }

  private report(): void {
    const { remaining, partitions } = this.state();
    if (!this.meter || partitions === 0) return;
    this.meter.update(this.applied, this.applied + Number(remaining));
    const snapshot = this.meter.snapshot();
    this.logger.info(
      {
        partitions,
        restored: snapshot.done,
        remaining: Number(remaining),
        recordsPerSecond: Math.round(snapshot.ratePerSecond),
        ...(snapshot.etaMs !== undefined ? { etaSeconds: Math.ceil(snapshot.etaMs / 1000) } : {}),
      },
      `restoring stores from ${partitions} changelog partition${partitions === 1 ? '' : 's'}: ${describeProgress(snapshot, 'changelog records')}`,
    );
  }
}
