import { errorKind, errorMessage } from '../../errors.ts';
import { RebalanceInProgressError, type OutgoingRecord, type ProducerPort } from '../../kafka/port.ts';
import { retrying } from '../../kafka/retry.ts';
import type { CommitOutcome, CommitPath, CommitPathContext, CommitPathFactory } from './commit-path.ts';
import { RecordSender } from './record-sender.ts';
import { settleAll } from '../../common/settle-all.ts';

/**
 * At-least-once: every task's output goes through the application's one producer, in order; a
 * commit waits until all of it is acknowledged (step 2), persists the stores (3) and only then
 * commits the consumed offsets to the group (4). A send and the offset commit refused for a while
 * are retried in place, in order, for at most the retry policy's timeout.
 */
export function atLeastOnce(producer: ProducerPort): CommitPathFactory {
  return (context) => new AtLeastOnceCommits(context, producer);
}

class AtLeastOnceCommits implements CommitPath {
  private readonly context: CommitPathContext;
  /** The application's sends, in order; a commit waits for all of them (step 2). */
  private readonly sender: RecordSender;

  constructor(context: CommitPathContext, producer: ProducerPort) {
    this.context = context;
    const { registry, retry, signal, logger, applicationId } = context;
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
      // A send failed for good: the application cannot go on.
      onFailed: (error) => context.fail(error),
    });
  }

  handOver(_task: unknown, records: readonly OutgoingRecord[]): void {
    this.sender.enqueue(records);
  }

  room(): Promise<void> {
    return this.sender.room();
  }

  async commit(): Promise<CommitOutcome> {
    const { registry, consumer, logger, applicationId, retry, signal } = this.context;
    // 2. Every send so far is acknowledged: output and changelog records are in the log.
    await this.sender.flushed();
    // 3. Stores persist their data with the changelog offsets the acknowledgements reported.
    await settleAll([...registry.active.values()].map((t) => t.active.commitStores()));
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

  async close(): Promise<void> {}
}
