import { errorKind, errorMessage } from '../../errors.ts';
import type { OutgoingRecord, TransactionalProducerPort } from '../../kafka/port.ts';
import type { CommitOutcome, CommitPath, CommitPathContext, CommitPathFactory } from './commit-path.ts';
import { ThreadProducer } from './thread-producer.ts';
import { TransactionFailures } from './transaction-failures.ts';
import { settleAll } from '../../common/settle-all.ts';

/** The key of the member's one transaction among the failing ones. */
const THREAD = '';

/**
 * Exactly-once with one transactional producer for the member, where the event log fences offsets by
 * the group generation (Kafka Streams' `exactly_once_v2`): one transaction holds every task's output
 * and changelog records; at the commit the offsets of all of them join it, with the generation their
 * tasks were assigned in, and it commits (step 2); only then do the stores persist what it covered (3).
 */
export function threadTransactions(create: () => Promise<TransactionalProducerPort>): CommitPathFactory {
  return (context) => new ThreadTransactionCommits(context, create);
}

class ThreadTransactionCommits implements CommitPath {
  private readonly context: CommitPathContext;
  /** The transaction every task's work goes into. */
  private readonly thread: ThreadProducer;
  private readonly failures: TransactionFailures;

  constructor(context: CommitPathContext, create: () => Promise<TransactionalProducerPort>) {
    this.context = context;
    this.failures = new TransactionFailures(context.retry, context.clock);
    this.thread = new ThreadProducer({
      create,
      logger: context.logger,
      onWritten: (written) => {
        for (const task of context.registry.active.values()) task.active.acknowledge(written);
      },
    });
  }

  handOver(_task: unknown, records: readonly OutgoingRecord[]): void {
    this.thread.enqueue(records);
  }

  room(): Promise<void> {
    return this.thread.room();
  }

  async commit(): Promise<CommitOutcome> {
    const { registry, applicationId } = this.context;
    const tasks = [...registry.active.values()];
    const generation = registry.generation;
    try {
      // 2. The output and changelog records are in the transaction; the offsets join it, and it commits.
      await this.thread.commit(
        applicationId,
        tasks.flatMap((task) => task.active.offsetsToCommit()),
        generation,
      );
      // 3. Stores persist what the committed transaction covered.
      await settleAll(tasks.map((task) => task.active.commitStores()));
      for (const task of tasks) task.active.markCommitted();
      this.failures.succeeded(THREAD);
    } catch (error) {
      await this.transactionFailed(error, generation?.generationId);
    }
    return 'committed';
  }

  /** Closes the member's transactional producer, aborting a transaction left open. */
  close(): Promise<void> {
    return this.thread.close();
  }

  /**
   * The member's transaction failed: it is aborted with the producer, and every task closes without
   * committing (each had its work in it), as Kafka Streams closes all tasks dirty on TaskMigrated.
   * Refused by the group (or the producer fenced) while the generation it was sent with is still
   * this member's latest, the member is a zombie: it rejoins the group. Refused because the member has
   * moved on to a newer assignment, or broken off: each task starts again from its last commit if the
   * assignment still gives it here (the reconcile of a newer assignment creates those it gives).
   */
  private async transactionFailed(error: unknown, generationId: number | undefined): Promise<void> {
    const { registry, logger } = this.context;
    await this.thread.reset();
    const kind = errorKind(error);
    if (kind === 'fatal') throw error;
    const latest = registry.latestAssignment;
    const movedOn =
      latest !== undefined &&
      (generationId === undefined || latest.generationId > generationId || latest.superseded());
    const migrated = kind === 'task-migrated' && !movedOn;
    if (kind !== 'task-migrated') this.failures.failed(THREAD, 'the transactions of this member', error);
    const tasks = [...registry.active];
    logger.warn(
      { tasks: tasks.map(([id]) => id), generation: generationId, err: error },
      migrated
        ? 'the group refused this member (fenced); closing its tasks and rejoining the group'
        : `the transaction of this member could not complete; starting its tasks again from their last commit: ${errorMessage(error)}`,
    );
    for (const [id, task] of tasks) await registry.closeActive(id, task, { commitStores: false });
    for (const [id] of tasks) this.context.taskClosed(id, { migrated });
  }
}
