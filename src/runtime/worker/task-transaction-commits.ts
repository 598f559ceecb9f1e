import { TributaryError, errorKind, errorMessage } from '../../errors.ts';
import type { OutgoingRecord, TransactionalProducerPort } from '../../kafka/port.ts';
import type { CommitOutcome, CommitPath, CommitPathContext, CommitPathFactory } from './commit-path.ts';
import { RecordSender } from './record-sender.ts';
import type { RunningTask } from './task-registry.ts';
import { TransactionFailures } from './transaction-failures.ts';
import { settleAll } from '../../common/settle-all.ts';

/**
 * Exactly-once with a transactional producer per task (event logs that fence offsets by
 * transactional id only): a task's output and changelog records go into its own transaction, opened
 * with its first send; at the commit the task's consumed offsets join it and it commits (step 2),
 * and only then do the task's stores persist what it covered (3).
 *
 * A task whose transaction failed is closed without committing (its stores keep the last committed
 * transaction's state) and its transaction is left to be aborted — as Kafka Streams closes a task
 * dirty and revives it. Fenced, another worker runs it now: the member rejoins the group. Broken off
 * (a broker restart, a coordinator moving), it is created again, which fences the broken producer,
 * and goes on from its last commit. A task that keeps failing for longer than the timeout fails the
 * application.
 */
export const taskTransactions: CommitPathFactory = (context) => new TaskTransactionCommits(context);

class TaskTransactionCommits implements CommitPath {
  private readonly context: CommitPathContext;
  private readonly failures: TransactionFailures;

  constructor(context: CommitPathContext) {
    this.context = context;
    this.failures = new TransactionFailures(context.retry, context.clock);
  }

  handOver(task: RunningTask, records: readonly OutgoingRecord[]): void {
    (task.sender ??= this.transactionSender(task)).enqueue(records);
  }

  async room(): Promise<void> {
    for (const task of this.context.registry.active.values()) {
      // A failed transactional send surfaces at the task's commit (see commitTask).
      if (task.sender?.full) await task.sender.room().catch(() => undefined);
    }
  }

  async commit(): Promise<CommitOutcome> {
    // Every task's commit settles before a failure of one is reported: the application closes the
    // tasks' producers on a failure, and must not close them under commits still in flight.
    await settleAll([...this.context.registry.active].map(([id, task]) => this.commitTask(id, task)));
    return 'committed';
  }

  async close(): Promise<void> {}

  private async commitTask(id: string, task: RunningTask): Promise<void> {
    const { applicationId } = this.context;
    try {
      // 2. The transaction holds the task's output and changelog records; the offsets join it, and it commits.
      await task.sender?.flushed();
      const offsets = task.active.offsetsToCommit();
      if (offsets.length > 0 || task.transactionOpen) {
        const producer = producerOf(id, task);
        if (!task.transactionOpen) {
          await producer.begin();
          task.transactionOpen = true;
        }
        if (offsets.length > 0) await producer.sendOffsets(applicationId, offsets);
        await producer.commit();
        task.transactionOpen = false;
      }
      // 3. Stores persist what the committed transaction covered.
      await task.active.commitStores();
      task.active.markCommitted();
      this.failures.succeeded(id);
    } catch (error) {
      await this.transactionFailed(id, task, error);
    }
  }

  /**
   * A task's transaction failed. Fenced: another worker runs the task now (it acted on a newer
   * assignment, or this one on an outdated one): close it without committing and rejoin the group
   * so that every member gets a fresh assignment. Broken off (a broker restart, a coordinator
   * moving): close it without committing and start it again from its last commit. Fatal: fail.
   */
  private async transactionFailed(id: string, task: RunningTask, error: unknown): Promise<void> {
    const { registry, logger } = this.context;
    const kind = errorKind(error);
    if (kind === 'fatal') throw error;
    if (kind === 'task-migrated') {
      logger.warn(
        { task: id, err: error },
        'task migrated to another worker (producer fenced); closing it and rejoining the group',
      );
      await registry.closeActive(id, task, { commitStores: false });
      this.context.taskClosed(id, { migrated: true });
      return;
    }
    const failingMs = this.failures.failed(id, `the transactions of task ${id}`, error);
    logger.warn(
      { task: id, err: error, failingMs },
      `the transaction of task ${id} could not complete; starting the task again from its last commit: ${errorMessage(error)}`,
    );
    await registry.closeActive(id, task, { commitStores: false });
    this.context.taskClosed(id, { migrated: false });
  }

  /** A task sends inside its own transaction, opened with its first send. */
  private transactionSender(task: RunningTask): RecordSender {
    const producer = producerOf(task.active.id, task);
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

/** The task's own transactional producer, which TaskFactory makes for every task on this path. */
function producerOf(id: string, task: RunningTask): TransactionalProducerPort {
  if (!task.producer)
    throw new TributaryError(
      'TRIB_TRANSACTION',
      `task ${id} runs under exactly-once without a transactional producer`,
    );
  return task.producer;
}
