import type { Clock } from '../../common/clock.ts';
import type { CommitProtocol } from './commit-protocol.ts';
import type { FetchIntake } from './fetch-intake.ts';
import type { RunnerMetrics } from './runner-metrics.ts';
import type { TaskRegistry } from './task-registry.ts';
import { toError } from '../../common/to-error.ts';

/** Records processed per task before the loop looks at the others, flushes output and yields. */
const SLICE_RECORDS = 500;
/**
 * How long one turn of the loop processes before it hands output over and lets the event loop turn
 * (fetches, heartbeats, acknowledgements): a turn over many busy tasks would otherwise hold it for
 * tens of milliseconds. Tasks take turns, so the ones after the deadline go first next time.
 */
const SLICE_MS = 5;
/** How long the loop sleeps when there is nothing to do (it wakes at once when records arrive). */
const IDLE_WAIT_MS = 50;

export interface ProcessingLoopOptions {
  readonly registry: TaskRegistry;
  readonly intake: FetchIntake;
  readonly commits: CommitProtocol;
  readonly commitIntervalMs: number;
  readonly metrics: RunnerMetrics;
  /** The processing time records are processed at (stream time comes from the records). */
  readonly clock: Clock;
  /** Resolves once no rebalance is reconciling the tasks. */
  readonly reconciled: () => Promise<void>;
  /** False once the application stops or fails: the loop ends. */
  readonly running: () => boolean;
  readonly fail: (error: Error) => void;
}

/**
 * The stream thread of one application: process a bounded slice of each task's buffered records,
 * punctuate, hand the output to the producers, commit when due, and yield to the event loop in
 * between so that fetching, heartbeats and sends go on.
 */
export class ProcessingLoop {
  private readonly options: ProcessingLoopOptions;
  private wakeUp: (() => void) | undefined;
  /** Where the next turn starts in the task list. */
  private nextTask = 0;

  constructor(options: ProcessingLoopOptions) {
    this.options = options;
  }

  /** Ends the idle wait at once: records arrived, a commit was asked for, or the loop should stop. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Runs until the application stops or fails (a processing or commit error fails it). */
  async run(): Promise<void> {
    const { registry, intake, commits, metrics } = this.options;
    while (this.options.running()) {
      // No processing while tasks are being reconciled: a record processed between the reconcile's
      // commit and a task's close would have its offset handed over without its changelog write.
      await this.options.reconciled();
      let processed = 0;
      try {
        const now = this.options.clock.now();
        const deadline = performance.now() + SLICE_MS;
        const tasks = [...registry.active.values()];
        for (let i = 0; i < tasks.length; i++) {
          const task = tasks[(this.nextTask + i) % tasks.length]!;
          const count = task.active.process(SLICE_RECORDS, now, deadline);
          processed += count;
          if (count > 0) intake.resumeDrained(task.active);
          task.active.task.punctuateWallClock();
          if (performance.now() >= deadline) {
            this.nextTask = (this.nextTask + i + 1) % tasks.length;
            break;
          }
        }
        metrics.processed += processed;
        commits.flushOutputs();
        // Back-pressure: no more processing while the senders hold more than their bounds.
        await commits.room();
        if (commits.isDue(this.options.commitIntervalMs)) await commits.commitAll();
      } catch (error) {
        this.options.fail(toError(error));
        return;
      }
      if (processed === 0) await this.sleep(IDLE_WAIT_MS);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
