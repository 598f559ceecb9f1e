import { errorMessage, TributaryError } from '../../errors.ts';
import { isFencedError, type GroupConsumerPort, type ProducerPort } from '../../kafka/port.ts';
import type { Logger } from '../logger.ts';
import type { RunnerMetrics } from './runner-metrics.ts';
import type { TaskFactory } from './task-factory.ts';
import type { RunningTask, TaskRegistry } from './task-registry.ts';

/**
 * What a commit achieved: `refused` when the group would not take the consumed offsets because it is
 * rebalancing (at-least-once only; they stay pending for the next commit), else `committed`.
 */
export type CommitOutcome = 'committed' | 'refused';

export interface CommitProtocolOptions {
  readonly applicationId: string;
  readonly registry: TaskRegistry;
  readonly consumer: GroupConsumerPort;
  /** The application's producer under at-least-once; undefined under exactly-once, where each task has its own. */
  readonly producer: ProducerPort | undefined;
  readonly factory: TaskFactory;
  readonly metrics: RunnerMetrics;
  readonly logger: Logger;
  /** An at-least-once send failed for good: the application cannot go on. */
  readonly fail: (error: Error) => void;
}

/**
 * How an application's work becomes durable. What tasks produce is handed to the producers after every
 * processing slice (`flushOutputs`); a commit (`commitAll`: every commit interval, on request, before
 * tasks move in a rebalance, and on stopping) then makes it durable, in order:
 *
 *  1. every store's changes since the last commit go to its changelog;
 *  2. all sends are acknowledged (at-least-once), or the task's transaction gets the consumed
 *     offsets and commits (exactly-once) — then the output, changelog records and offsets are durable together;
 *  3. stores write their data with the changelog offset it corresponds to, in one LevelDB batch;
 *  4. at-least-once only: the consumed offsets are committed to the group.
 *
 * A crash anywhere leaves the stores at or behind what the changelog holds, so a restart restores the
 * tail. Standby replicas save how far they followed their changelogs at every commit too, so a
 * takeover (or a restart) restores only the rest.
 */
export class CommitProtocol {
  private readonly options: CommitProtocolOptions;
  /** Commits run one at a time: the loop and a rebalance may both ask for one. */
  private committing: Promise<void> = Promise.resolve();
  /** At-least-once sends, in order: a commit waits for all of them (step 2). */
  private atLeastOnceSends: Promise<void> = Promise.resolve();
  private requested = false;
  private lastCommitMs = Date.now();

  constructor(options: CommitProtocolOptions) {
    this.options = options;
  }

  /** Asks for a commit at the loop's next turn (a processor's `context.commit()`, a rebalance starting). */
  request(): void {
    this.requested = true;
  }

  /** True when a commit was asked for, or the commit interval has passed since the last one. */
  isDue(intervalMs: number): boolean {
    return this.requested || Date.now() - this.lastCommitMs >= intervalMs;
  }

  /** Hands what the tasks produced to the producers; sends stay in order per producer. */
  flushOutputs(): void {
    const { producer } = this.options;
    if (producer) this.flushAtLeastOnce(producer);
    else this.flushExactlyOnce();
  }

  /** Commits everything processed so far (after any commit already running); the steps are above. */
  commitAll(): Promise<CommitOutcome> {
    const next = this.committing.then(() => this.commitNow());
    this.committing = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async commitNow(): Promise<CommitOutcome> {
    const { registry, factory, metrics } = this.options;
    this.requested = false;
    this.lastCommitMs = Date.now();
    await Promise.all([...registry.standbys.values()].map((s) => factory.commitStandby(s)));
    if (registry.active.size === 0) return 'committed';
    const started = Date.now();
    // 1. Changelog records join the tasks' output, and everything goes to the producers.
    for (const task of registry.active.values()) task.active.drainChangelogs();
    this.flushOutputs();
    let outcome: CommitOutcome = 'committed';
    if (this.options.producer) outcome = await this.commitAtLeastOnce();
    else await Promise.all([...registry.active].map(([id, task]) => this.commitTransaction(id, task)));
    metrics.commits++;
    metrics.commitMs += Date.now() - started;
    metrics.commitSeconds.observe((Date.now() - started) / 1000);
    return outcome;
  }

  private async commitAtLeastOnce(): Promise<CommitOutcome> {
    const { registry, consumer, logger } = this.options;
    // 2. Every send so far is acknowledged: output and changelog records are in the log.
    await this.atLeastOnceSends;
    // 3. Stores persist their data with the changelog offsets the acknowledgements reported.
    await Promise.all([...registry.active.values()].map((t) => t.active.commitStores()));
    // 4. Only then do the consumed offsets move on.
    const offsets = [...registry.active.values()].flatMap((t) => t.active.offsetsToCommit());
    try {
      if (offsets.length > 0) await consumer.commit(offsets);
      for (const task of registry.active.values()) task.active.markCommitted();
      return 'committed';
    } catch (error) {
      // A rebalance refused the commit. While running that is harmless: the offsets stay pending, and
      // the rebalance's own commit (see Reconciler) carries them once this member has rejoined. A
      // stopping worker must wait for that before it leaves (see AppRunner.stop).
      if (!(error instanceof TributaryError && error.retriable)) throw error;
      logger.warn({ err: error }, 'offsets not committed: the group is rebalancing');
      return 'refused';
    }
  }

  private async commitTransaction(id: string, task: RunningTask): Promise<void> {
    const { applicationId, registry, logger } = this.options;
    try {
      // 2. The transaction holds the task's output and changelog records; the offsets join it, and it commits.
      await task.sending;
      const offsets = task.active.offsetsToCommit();
      if (offsets.length > 0 || task.transactionOpen) {
        if (!task.transactionOpen) {
          await task.producer!.begin();
          task.transactionOpen = true;
        }
        if (offsets.length > 0) await task.producer!.sendOffsets(applicationId, offsets);
        await task.producer!.commit();
        task.transactionOpen = false;
      }
      // 3. Stores persist what the committed transaction covered.
      await task.active.commitStores();
      task.active.markCommitted();
    } catch (error) {
      if (!isFencedError(error)) throw error;
      // Another worker runs this task now (we were too slow and got fenced): drop it without committing.
      logger.warn({ task: id }, 'task migrated to another worker (producer fenced); closing it');
      await registry.closeActive(id, task, { commitStores: false });
    }
  }

  /** At-least-once: one producer for the application; output is visible as soon as it is written. */
  private flushAtLeastOnce(producer: ProducerPort): void {
    const batches = [...this.options.registry.active.values()]
      .map((t) => ({ task: t, records: t.active.takeOutput() }))
      .filter((b) => b.records.length > 0);
    if (batches.length === 0) return;
    this.atLeastOnceSends = this.atLeastOnceSends.then(async () => {
      const written = await producer.send(batches.flatMap((b) => b.records));
      for (const { task } of batches) task.active.acknowledge(written);
    });
    this.atLeastOnceSends.catch((error: unknown) => this.options.fail(asError(error)));
  }

  /** Exactly-once: each task sends inside its own transaction, opened with its first send. */
  private flushExactlyOnce(): void {
    for (const task of this.options.registry.active.values()) {
      const records = task.active.takeOutput();
      if (records.length === 0) continue;
      task.sending = task.sending.then(async () => {
        if (!task.transactionOpen) {
          await task.producer!.begin();
          task.transactionOpen = true;
        }
        task.active.acknowledge(await task.producer!.send(records));
      });
      // A failed send (a fenced producer) surfaces at the task's commit, which awaits the chain;
      // until then it must not count as an unhandled rejection, which would end the process.
      task.sending.catch(() => undefined);
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(errorMessage(error));
}
