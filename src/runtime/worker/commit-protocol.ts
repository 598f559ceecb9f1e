import { errorKind, errorMessage } from '../../errors.ts';
import {
  RebalanceInProgressError,
  type GroupConsumerPort,
  type ProducerPort,
  type TransactionalProducerPort,
} from '../../kafka/port.ts';
import { FailureWindow, RetriesExhaustedError, retrying, type RetryPolicy } from '../../kafka/retry.ts';
import type { Logger } from '../../common/logger.ts';
import { RecordSender } from './record-sender.ts';
import type { RunnerMetrics } from './runner-metrics.ts';
import type { TaskFactory } from './task-factory.ts';
import type { RunningTask, TaskRegistry } from './task-registry.ts';
import { ThreadProducer } from './thread-producer.ts';

/**
 * What a commit achieved: `refused` when the group would not take the consumed offsets because it is
 * rebalancing (at-least-once only; they stay pending for the next commit), else `committed`.
 */
export type CommitOutcome = 'committed' | 'refused';

/** The key of the member's one transaction among the failing ones. */
const THREAD = '';

export interface CommitProtocolOptions {
  readonly applicationId: string;
  readonly registry: TaskRegistry;
  readonly consumer: GroupConsumerPort;
  /** The application's producer under at-least-once; undefined under exactly-once. */
  readonly producer: ProducerPort | undefined;
  /**
   * Exactly-once where the event log fences offsets by the group generation: makes this member's one
   * transactional producer (see ThreadProducer). Undefined otherwise: each task has its own.
   */
  readonly threadProducer?: () => Promise<TransactionalProducerPort>;
  readonly factory: TaskFactory;
  readonly metrics: RunnerMetrics;
  readonly logger: Logger;
  /** How long passing failures (a broker restarting) are retried before they are fatal. */
  readonly retry: RetryPolicy;
  /** Aborted when the application stops for good: retries give up. */
  readonly signal: AbortSignal;
  /** An at-least-once send failed for good: the application cannot go on. */
  readonly fail: (error: Error) => void;
  /**
   * Exactly-once: a task was closed because its transaction could not complete (a broker restart
   * broke it off, or it was fenced). `migrated` (fenced) calls for a rejoin of the group; otherwise
   * the task is started again from its last commit if it is still this worker's.
   */
  readonly taskClosed: (id: string, reason: { migrated: boolean }) => void;
}

/**
 * How an application's work becomes durable.
 *
 * Sending is continuous. After every processing slice (`flushOutputs`) what the tasks produced, and
 * the changelog records of every store whose changes since the last commit outgrew its bound (see
 * `ActiveTask.drainChangelogs`), go to a `RecordSender`: the application's under at-least-once, the
 * task's under exactly-once (the member's, in its one transaction, where the event log fences offsets
 * by the group generation: see ThreadProducer). A sender sends one request batch at a time, in
 * order, in requests the broker accepts; while it holds more than its bounds the loop waits (`room`),
 * so memory and the work left for a commit stay bounded however long the commit interval is.
 *
 * A commit (`commitAll`: every commit interval, on request, before tasks move in a rebalance, and on
 * stopping) then makes everything processed so far durable, in order:
 *
 *  1. every store's remaining changes since the last commit go to its changelog;
 *  2. all sends are acknowledged (at-least-once), or the task's transaction gets the consumed
 *     offsets and commits (exactly-once) — then the output, changelog records and offsets are durable together;
 *  3. stores write their data with the changelog offset it corresponds to, in one LevelDB batch
 *     (a table read from a source topic: with the next offset of that topic the task has processed);
 *  4. at-least-once only: the consumed offsets are committed to the group.
 *
 * What keeps this correct:
 *  - A store's changelog records reach its sender in the order of the changes: a drain takes every
 *    pending change of the store, so a key's later change is drained after its earlier one, and one
 *    sender carries a changelog partition in order.
 *  - The checkpoint saved in step 3 is the changelog's end after the last acknowledged send, and step 2
 *    waits for every send, including the early ones: the data written is exactly what the changelog
 *    holds up to the checkpoint.
 *  - Under exactly-once, early changelog records belong to the open transaction: a crash aborts them
 *    with it, and the store (written only after the commit) matches the last committed transaction.
 *    Under at-least-once they are in the log before the store's data and the consumed offsets: a crash
 *    restores them from the last checkpoint and reprocesses from the committed offsets, as Kafka
 *    Streams does.
 *
 * A crash anywhere leaves the stores at or behind what the changelog holds, so a restart restores the
 * tail. Standby replicas save how far they followed their changelogs at every commit too, so a
 * takeover (or a restart) restores only the rest.
 *
 * When Kafka refuses for a while (see ErrorKind): under at-least-once a send and the offset commit
 * are retried in place, in order, for at most the retry policy's timeout. Under exactly-once a task
 * whose transaction failed is closed without committing (its stores keep the last committed
 * transaction's state) and its transaction is left to be aborted — as Kafka Streams closes a task
 * dirty and revives it: the task is created again, which fences the broken producer, and goes on
 * from the last commit (`taskClosed`). A task that keeps failing for longer than the timeout fails
 * the application.
 */
export class CommitProtocol {
  private readonly options: CommitProtocolOptions;
  /** Commits run one at a time: the loop and a rebalance may both ask for one. */
  private committing: Promise<void> = Promise.resolve();
  /** At-least-once: the application's sends, in order; a commit waits for all of them (step 2). */
  private readonly sender: RecordSender | undefined;
  private requested = false;
  private lastCommitMs = Date.now();
  /** Exactly-once with one producer for the member: the transaction every task's work goes into. */
  private readonly thread: ThreadProducer | undefined;
  /** Exactly-once: tasks (or the member's one transaction, under THREAD) failing, since when. */
  private readonly failing = new Map<string, FailureWindow>();

  constructor(options: CommitProtocolOptions) {
    this.options = options;
    const { producer, registry, retry, signal, logger, applicationId } = options;
    if (producer)
      this.sender = new RecordSender({
        // Retried in place: the sender sends one batch at a time, so order is kept.
        send: (records) =>
          retrying(() => producer.send(records), {
            what: `sending the output of application "${applicationId}"`,
            policy: retry,
            signal,
            onRetry: (error, attempt, waitMs) =>
              logger.warn(
                { err: error, attempt, waitMs },
                `sending output failed; retrying: ${errorMessage(error)}`,
              ),
          }),
        // A changelog partition belongs to one task: each task picks its own from what was written.
        onWritten: (written) => {
          for (const task of registry.active.values()) task.active.acknowledge(written);
        },
        // An at-least-once send failed for good: the application cannot go on.
        onFailed: (error) => options.fail(error),
      });
    else if (options.threadProducer)
      this.thread = new ThreadProducer({
        create: options.threadProducer,
        logger,
        onWritten: (written) => {
          for (const task of registry.active.values()) task.active.acknowledge(written);
        },
      });
  }

  /** Asks for a commit at the loop's next turn (a processor's `context.commit()`, a rebalance starting). */
  request(): void {
    this.requested = true;
  }

  /** True when a commit was asked for, or the commit interval has passed since the last one. */
  isDue(intervalMs: number): boolean {
    return this.requested || Date.now() - this.lastCommitMs >= intervalMs;
  }

  /**
   * Hands what the tasks produced, and the changelog records of stores over their bound, to the
   * senders; sends stay in order per sender.
   */
  flushOutputs(): void {
    for (const task of this.options.registry.active.values()) {
      task.active.drainChangelogs('over-bound');
      this.handOver(task);
    }
  }

  /** Resolves once every sender is within its bounds: the loop waits here rather than pile up output. */
  async room(): Promise<void> {
    if (this.sender) return this.sender.room();
    if (this.thread) return this.thread.room();
    for (const task of this.options.registry.active.values()) {
      // A failed transactional send surfaces at the task's commit (see commitTransaction).
      if (task.sender?.full) await task.sender.room().catch(() => undefined);
    }
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
    // 1. Changelog records join the tasks' output, and everything goes to the senders: a task at a
    //    time, letting the event loop turn in between (the senders start on the first tasks' records).
    //    Each task's record cache is flushed first: what it forwards joins this commit's output (and,
    //    under exactly-once, its transaction), and the stores' changes include its writes.
    for (const task of [...registry.active.values()]) {
      task.active.task.flushCache();
      task.active.drainChangelogs('all');
      this.handOver(task);
      await new Promise((resolve) => setImmediate(resolve));
    }
    let outcome: CommitOutcome = 'committed';
    if (this.options.producer) outcome = await this.commitAtLeastOnce();
    else if (this.thread) await this.commitThreadTransaction(this.thread);
    else await Promise.all([...registry.active].map(([id, task]) => this.commitTransaction(id, task)));
    metrics.commits++;
    metrics.commitMs += Date.now() - started;
    metrics.commitSeconds.observe((Date.now() - started) / 1000);
    return outcome;
  }

  private async commitAtLeastOnce(): Promise<CommitOutcome> {
    const { registry, consumer, logger, applicationId, retry, signal } = this.options;
    // 2. Every send so far is acknowledged: output and changelog records are in the log.
    await this.sender!.flushed();
    // 3. Stores persist their data with the changelog offsets the acknowledgements reported.
    await Promise.all([...registry.active.values()].map((t) => t.active.commitStores()));
    // 4. Only then do the consumed offsets move on.
    const offsets = [...registry.active.values()].flatMap((t) => t.active.offsetsToCommit());
    try {
      if (offsets.length > 0)
        await retrying(() => consumer.commit(offsets), {
          what: `committing the offsets of application "${applicationId}"`,
          policy: retry,
          signal,
          retriable: (error) =>
            errorKind(error) === 'retriable' && !(error instanceof RebalanceInProgressError),
          onRetry: (error, attempt, waitMs) =>
            logger.warn(
              { err: error, attempt, waitMs },
              `committing offsets failed; retrying: ${errorMessage(error)}`,
            ),
        });
      for (const task of registry.active.values()) task.active.markCommitted();
      return 'committed';
    } catch (error) {
      // A rebalance refused the commit. While running that is harmless: the offsets stay pending, and
      // the rebalance's own commit (see Reconciler) carries them once this member has rejoined. A
      // stopping worker must wait for that before it leaves (see AppRunner.stop).
      if (!(error instanceof RebalanceInProgressError)) throw error;
      logger.warn({ err: error }, 'offsets not committed: the group is rebalancing');
      return 'refused';
    }
  }

  private async commitTransaction(id: string, task: RunningTask): Promise<void> {
    const { applicationId } = this.options;
    try {
      // 2. The transaction holds the task's output and changelog records; the offsets join it, and it commits.
      await task.sender?.flushed();
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
      this.failing.delete(id);
    } catch (error) {
      await this.transactionFailed(id, task, error);
    }
  }

  /**
   * Exactly-once with one producer for the member: one transaction holds every task's output and
   * changelog records; the offsets of all of them join it, with the generation their tasks were
   * assigned in, and it commits; only then do the stores persist what it covered.
   */
  private async commitThreadTransaction(thread: ThreadProducer): Promise<void> {
    const { registry, applicationId } = this.options;
    const tasks = [...registry.active.values()];
    const generation = registry.generation;
    try {
      // 2. The output and changelog records are in the transaction; the offsets join it, and it commits.
      await thread.commit(
        applicationId,
        tasks.flatMap((task) => task.active.offsetsToCommit()),
        generation,
      );
      // 3. Stores persist what the committed transaction covered.
      await Promise.all(tasks.map((task) => task.active.commitStores()));
      for (const task of tasks) task.active.markCommitted();
      this.failing.delete(THREAD);
    } catch (error) {
      await this.threadTransactionFailed(thread, error, generation?.generationId);
    }
  }

  /**
   * The member's transaction failed: it is aborted with the producer, and every task closes without
   * committing (each had its work in it), as Kafka Streams closes all tasks dirty on TaskMigrated.
   * Refused by the group (or the producer fenced) while the generation it was sent with is still
   * this member's latest, the member is a zombie: it rejoins the group. Refused because the member has
   * moved on to a newer assignment, or broken off: each task starts again from its last commit if the
   * assignment still gives it here (the reconcile of a newer assignment creates those it gives).
   */
  private async threadTransactionFailed(
    thread: ThreadProducer,
    error: unknown,
    generationId: number | undefined,
  ): Promise<void> {
    const { registry, logger, retry } = this.options;
    await thread.reset();
    const kind = errorKind(error);
    if (kind === 'fatal') throw error;
    const latest = registry.latestAssignment;
    const movedOn =
      latest !== undefined &&
      (generationId === undefined || latest.generationId > generationId || latest.superseded());
    const migrated = kind === 'task-migrated' && !movedOn;
    if (kind !== 'task-migrated') {
      let window = this.failing.get(THREAD);
      if (!window) this.failing.set(THREAD, (window = new FailureWindow(retry.timeoutMs)));
      if (!window.failed())
        throw new RetriesExhaustedError('the transactions of this member', window.failingMs(), retry, error);
    }
    const tasks = [...registry.active];
    logger.warn(
      { tasks: tasks.map(([id]) => id), generation: generationId, err: error },
      migrated
        ? 'the group refused this member (fenced); closing its tasks and rejoining the group'
        : `the transaction of this member could not complete; starting its tasks again from their last commit: ${errorMessage(error)}`,
    );
    for (const [id, task] of tasks) await registry.closeActive(id, task, { commitStores: false });
    for (const [id] of tasks) this.options.taskClosed(id, { migrated });
  }

  /** Closes the member's transactional producer, aborting a transaction left open. */
  async close(): Promise<void> {
    await this.thread?.close();
  }

  /**
   * A task's transaction failed. Fenced: another worker runs the task now (it acted on a newer
   * assignment, or this one on an outdated one): close it without committing and rejoin the group
   * so that every member gets a fresh assignment. Broken off (a broker restart, a coordinator
   * moving): close it without committing and start it again from its last commit. Fatal: fail.
   */
  private async transactionFailed(id: string, task: RunningTask, error: unknown): Promise<void> {
    const { registry, logger, retry } = this.options;
    const kind = errorKind(error);
    if (kind === 'fatal') throw error;
    if (kind === 'task-migrated') {
      logger.warn(
        { task: id, err: error },
        'task migrated to another worker (producer fenced); closing it and rejoining the group',
      );
      await registry.closeActive(id, task, { commitStores: false });
      this.options.taskClosed(id, { migrated: true });
      return;
    }
    let window = this.failing.get(id);
    if (!window) this.failing.set(id, (window = new FailureWindow(retry.timeoutMs)));
    if (!window.failed())
      throw new RetriesExhaustedError(`the transactions of task ${id}`, window.failingMs(), retry, error);
    logger.warn(
      { task: id, err: error, failingMs: window.failingMs() },
      `the transaction of task ${id} could not complete; starting the task again from its last commit: ${errorMessage(error)}`,
    );
    await registry.closeActive(id, task, { commitStores: false });
    this.options.taskClosed(id, { migrated: false });
  }

  private handOver(task: RunningTask): void {
    const records = task.active.takeOutput();
    if (records.length === 0) return;
    if (this.sender) this.sender.enqueue(records);
    else if (this.thread) this.thread.enqueue(records);
    else (task.sender ??= this.transactionSender(task)).enqueue(records);
  }

  /** Exactly-once: a task sends inside its own transaction, opened with its first send. */
  private transactionSender(task: RunningTask): RecordSender {
    const producer = task.producer!;
    return new RecordSender({
      send: async (records) => {
        if (!task.transactionOpen) {
          await producer.begin();
          task.transactionOpen = true;
        }
        return producer.send(records);
      },
      onWritten: (written) => task.active.acknowledge(written),
    });
  }
}
