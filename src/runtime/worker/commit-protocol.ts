import type { CommitOutcome, CommitPath, CommitPathContext, CommitPathFactory } from './commit-path.ts';
import type { RunnerMetrics } from './runner-metrics.ts';
import type { TaskFactory } from './task-factory.ts';
import type { RunningTask } from './task-registry.ts';
import { settleAll } from '../../common/settle-all.ts';

export type { CommitOutcome } from './commit-path.ts';

/**
 * How long a store's changes wait for its changelog at most, whatever the commit interval: every
 * store's changes since the last drain go out this often. A 30 s at-least-once commit would otherwise
 * gather tens of thousands of changelog records (up to the bounds of `CHANGELOG_FLUSH_RECORDS` per
 * store) and send them all at the commit, which holds processing until they are acknowledged: seconds
 * of latency for the records that arrive meanwhile. A key changed again and again within a second still
 * costs one record; Kafka Streams sends every change, lingering 100 ms.
 */
export const CHANGELOG_DRAIN_INTERVAL_MS = 1_000;

/**
 * How many records a commit hands to the senders before it lets the event loop turn. A turn per task
 * cost a 100 ms exactly-once commit 40 to 60 ms of waiting for turns when seven applications shared
 * the loop; a task's few records do not need one, tens of thousands (a 30 s at-least-once commit's
 * cache flush) do.
 */
const COMMIT_TURN_RECORDS = 2_000;

export interface CommitProtocolOptions extends CommitPathContext {
  /** The path the application's guarantee takes: `atLeastOnce`, `taskTransactions` or `threadTransactions`. */
  readonly path: CommitPathFactory;
  readonly factory: TaskFactory;
  readonly metrics: RunnerMetrics;
}

/**
 * How an application's work becomes durable.
 *
 * Sending is continuous. After every processing slice (`flushOutputs`) what the tasks produced, and
 * the changelog records of every store whose changes since the last commit outgrew its bound (see
 * `ActiveTask.drainChangelogs`; of every store, every `CHANGELOG_DRAIN_INTERVAL_MS`), go to a `RecordSender`: the application's under at-least-once, the
 * task's under exactly-once (the member's, in its one transaction, where the event log fences offsets
 * by the group generation: see ThreadProducer), as the commit path decides. A sender sends one
 * request batch at a time, in order, in requests the broker accepts; while it holds more than its
 * bounds the loop waits (`room`), so memory and the work left for a commit stay bounded however long
 * the commit interval is.
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
 * The guarantee decides the path (`CommitPath`, chosen when the application starts): `atLeastOnce`
 * (at-least-once-commits.ts), `taskTransactions` (exactly-once, a producer per task) or
 * `threadTransactions` (exactly-once, one producer for the member). Each says what it does when Kafka
 * refuses for a while.
 */
export class CommitProtocol {
  private readonly options: CommitProtocolOptions;
  private readonly path: CommitPath;
  /** Commits run one at a time: the loop and a rebalance may both ask for one. */
  private committing: Promise<void> = Promise.resolve();
  private requested = false;
  private lastCommitMs: number;
  /** When every store's changes last went to the changelogs (a commit, or a periodic drain). */
  private lastDrainMs: number;

  constructor(options: CommitProtocolOptions) {
    this.options = options;
    this.path = options.path(options);
    this.lastCommitMs = options.clock.now();
    this.lastDrainMs = this.lastCommitMs;
  }

  /** Asks for a commit at the loop's next turn (a processor's `context.commit()`, a rebalance starting). */
  request(): void {
    this.requested = true;
  }

  /** True when a commit was asked for, or the commit interval has passed since the last one. */
  isDue(intervalMs: number): boolean {
    return this.requested || this.options.clock.now() - this.lastCommitMs >= intervalMs;
  }

  /**
   * Hands what the tasks produced, and the changelog records of stores over their bound (of every
   * store, once `CHANGELOG_DRAIN_INTERVAL_MS` has passed since the last drain), to the senders; sends
   * stay in order per sender.
   */
  flushOutputs(): void {
    const now = this.options.clock.now();
    const which = now - this.lastDrainMs >= CHANGELOG_DRAIN_INTERVAL_MS ? 'all' : 'over-bound';
    if (which === 'all') this.lastDrainMs = now;
    for (const task of this.options.registry.active.values()) {
      task.active.drainChangelogs(which);
      this.handOver(task);
    }
  }

  /** Resolves once every sender is within its bounds: the loop waits here rather than pile up output. */
  room(): Promise<void> {
    return this.path.room();
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

  /** Closes the path's producers, aborting a transaction left open. */
  close(): Promise<void> {
    return this.path.close();
  }

  private async commitNow(): Promise<CommitOutcome> {
    const { registry, factory, metrics, clock } = this.options;
    this.requested = false;
    this.lastCommitMs = this.lastDrainMs = clock.now();
    await settleAll([...registry.standbys.values()].map((s) => factory.commitStandby(s)));
    if (registry.active.size === 0) return 'committed';
    const started = clock.now();
    // 1. Changelog records join the tasks' output, and everything goes to the senders: a task at a
    //    time, letting the event loop turn once a turn has handed over COMMIT_TURN_RECORDS (the senders
    //    start on the first tasks' records). Each task's record cache is flushed first: what it
    //    forwards joins this commit's output (and, under exactly-once, its transaction), and the
    //    stores' changes include its writes.
    let handedOver = 0;
    for (const task of [...registry.active.values()]) {
      task.active.task.flushCache();
      task.active.drainChangelogs('all');
      handedOver += this.handOver(task);
      if (handedOver >= COMMIT_TURN_RECORDS) {
        handedOver = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    // 2.–4. as the path does them.
    const outcome = await this.path.commit();
    metrics.commits++;
    const tookMs = clock.now() - started;
    metrics.commitMs += tookMs;
    metrics.commitSeconds.observe(tookMs / 1000);
    return outcome;
  }

  /** Hands the task's output to its sender; returns how many records that was. */
  private handOver(task: RunningTask): number {
    const records = task.active.takeOutput();
    if (records.length > 0) this.path.handOver(task, records);
    return records.length;
  }
}
