import { errorKind } from '../../errors.ts';
import type { AdminPort, GroupAssignment, GroupConsumerPort, TopicPartition } from '../../kafka/port.ts';
import { retrying, type RetryPolicy } from '../../kafka/retry.ts';
import { decodeAssignmentInfo, type AssignmentInfo } from '../assignment/group-protocol.ts';
import type { Clock } from '../../common/clock.ts';
import { warnOnFailure, type Logger } from '../../common/logger.ts';
import type { ApplicationTopics } from './application-topics.ts';
import type { CommitProtocol } from './commit-protocol.ts';
import { awaitRelease, release, startPositions, type HandoffContext, type ReleasedTask } from './handoff.ts';
import type { RunnerMetrics } from './runner-metrics.ts';
import type { TaskFactory } from './task-factory.ts';
import type { TaskRegistry } from './task-registry.ts';
import { toError } from '../../common/to-error.ts';

export interface ReconcilerOptions {
  readonly topics: ApplicationTopics;
  readonly registry: TaskRegistry;
  readonly factory: TaskFactory;
  readonly consumer: GroupConsumerPort;
  readonly admin: AdminPort;
  readonly commits: CommitProtocol;
  readonly metrics: RunnerMetrics;
  readonly logger: Logger;
  /** Hand-over deadlines and reconcile durations are measured on it. */
  readonly clock: Clock;
  readonly exactlyOnce: boolean;
  /** How long a new owner waits for the previous one to hand a task over (at-least-once). */
  readonly handoverTimeoutMs: number;
  /** How long creating a task is retried while Kafka refuses for a while (a broker restarting). */
  readonly retry: RetryPolicy;
  /** Aborted when the application stops or fails: retries give up. */
  readonly signal: AbortSignal;
  /** The application is stopping or has failed: a wait for a hand-over gives up. */
  readonly windingDown: () => boolean;
  /** An assignment arrived and is queued to be applied. */
  readonly assignmentQueued: () => void;
  /** The tasks match the assignment: processing may go on. */
  readonly assignmentApplied: () => void;
  readonly fail: (error: Error) => void;
}

/**
 * Brings this worker's tasks in line with each assignment the group gives it, one assignment at a
 * time and in order: tasks that left are committed, closed and handed over (see handoff.ts), tasks
 * that stayed keep their positions, and tasks that came are created, restored and started where
 * their previous owner stopped. Standby replicas follow the same way.
 *
 * Nothing is created for an assignment that is superseded (the member rejoined, or learned that the
 * group rebalances): such an assignment may give this worker tasks the group has given to others
 * meanwhile, and under exactly-once creating a task's producer would fence its real owner. So the
 * assignment is checked after every wait, and right before a task's producer and stores are made;
 * the newer assignment then decides. A task closed because its transaction failed is started again
 * the same way (`restart`), if the assignment it runs under is still current.
 */
export class Reconciler {
  private readonly options: ReconcilerOptions;
  private reconciling: Promise<void> = Promise.resolve();
  /** Assignments received so far, and who waits for the next one. */
  private received = 0;
  private readonly waiting = new Set<() => void>();
  /** The last assignment applied (or being applied). */
  private latest: GroupAssignment | undefined;

  constructor(options: ReconcilerOptions) {
    this.options = options;
  }

  /** The reconcile in progress or last queued (resolved when none is). */
  get current(): Promise<void> {
    return this.reconciling;
  }

  /** How many assignments this member has received: see `assignmentAfter`. */
  get assignmentsReceived(): number {
    return this.received;
  }

  /**
   * Resolves true once an assignment beyond the first `seen` has been received (the member has
   * rejoined the group), or false after `timeoutMs`.
   */
  assignmentAfter(seen: number, timeoutMs: number): Promise<boolean> {
    if (this.received > seen) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (received: boolean) => {
        clearTimeout(timer);
        this.waiting.delete(arrived);
        resolve(received);
      };
      const arrived = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiting.add(arrived);
    });
  }

  /** Queues an assignment; resolves once it is applied (a failure fails the application instead). */
  enqueue(assignment: GroupAssignment): Promise<void> {
    this.received++;
    for (const arrived of [...this.waiting]) arrived();
    this.options.assignmentQueued();
    this.reconciling = this.reconciling
      .then(() => this.reconcile(assignment))
      .catch((error: unknown) => this.options.fail(toError(error)));
    return this.reconciling;
  }

  /**
   * Creates a task again that was closed outside a rebalance (its transaction failed), once what is
   * queued before is done — if the current assignment still gives it to this worker.
   */
  restart(id: string): void {
    this.reconciling = this.reconciling
      .then(() => this.restartNow(id))
      .catch((error: unknown) => this.options.fail(toError(error)));
  }

  /** Resolves once no reconcile runs, including one queued while this waited for the previous. */
  async settled(): Promise<void> {
    for (let current = this.reconciling; ; current = this.reconciling) {
      await current;
      if (current === this.reconciling) return;
    }
  }

  private async reconcile(assignment: GroupAssignment): Promise<void> {
    const { registry, consumer, commits, logger } = this.options;
    const started = this.options.clock.now();
    const info = decodeAssignmentInfo(assignment.userData);
    registry.assignment = info;
    registry.latestAssignment = assignment;
    this.latest = assignment;
    const handoff = this.handoffContext();
    // Stopping (or failed), this worker only lets go: a task started now would be closed at once,
    // and restoring it would delay the stop. Superseded, it starts nothing: see the class comment.
    const stale = () => assignment.superseded() || this.options.windingDown();

    // Whatever was processed goes out before tasks move: fewer duplicates for the next owner.
    await commits.commitAll().catch((error) => logger.warn({ err: error }, 'commit before rebalance failed'));
    await this.letGo(info, handoff);
    if (stale()) return this.skipped(assignment);
    // What the tasks process from here on belongs to this generation (the commit above closed the last).
    registry.generation = {
      generationId: assignment.generationId,
      memberId: assignment.memberId,
      groupInstanceId: null,
    };

    const byTask = this.options.topics.partitionsByTask(assignment.partitions, info.active);
    const incoming = info.active.filter((id) => !registry.active.has(id));
    const handedOver = incoming.filter((id) => info.handoffs.includes(id));
    if (!this.options.exactlyOnce && handedOver.length > 0) {
      const outcome = await awaitRelease(
        handoff,
        handedOver.flatMap((id) => byTask.get(id) ?? []),
        info.rebalance,
        {
          timeoutMs: this.options.handoverTimeoutMs,
          cancelled: () => assignment.superseded() || this.options.windingDown(),
        },
      );
      // A newer assignment is coming: it will say again what to create.
      if (outcome === 'superseded') return this.skipped(assignment);
      if (outcome === 'timed out')
        logger.warn(
          { tasks: handedOver },
          'the previous owner did not hand these tasks over in time; starting them from the last commit',
        );
    }
    for (const id of info.active) {
      // Kept across the rebalance: the client rewinds to the committed offset; continue from our own position.
      for (const position of registry.active.get(id)?.active.fetchPositions() ?? []) consumer.seek(position);
    }
    // One after another: restoring is CPU-bound in this one thread. Side by side was measured (docs/
    // benchmarks.md, "Restoring a changelog in bulk"): no less CPU per record, and three times the
    // longest event-loop burst, as kafkajs decodes one fetch of every restoring partition at once.
    for (const id of incoming) {
      if (!(await this.startTask(id, byTask.get(id) ?? [], handoff, stale))) return this.skipped(assignment);
    }
    for (const id of info.standby) {
      if (stale()) return this.skipped(assignment);
      if (!registry.standbys.has(id)) registry.standbys.set(id, await this.options.factory.createStandby(id));
    }
    if (stale()) return this.skipped(assignment);
    consumer.resume(assignment.partitions);
    this.options.assignmentApplied();
    logger.info(
      {
        generation: assignment.generationId,
        active: info.active,
        standby: info.standby,
        ms: this.options.clock.now() - started,
      },
      'tasks assigned',
    );
  }

  /**
   * Closes the tasks and standbys the assignment no longer gives this worker. The tasks the leader
   * expects this member to hand over are released exactly: their new owners wait for that.
   */
  private async letGo(info: AssignmentInfo, handoff: HandoffContext): Promise<void> {
    const { registry, factory } = this.options;
    const wantedActive = new Set(info.active);
    const releases = new Set(info.releases);
    const released: ReleasedTask[] = [];
    for (const [id, task] of [...registry.active]) {
      if (wantedActive.has(id)) continue;
      if (releases.delete(id))
        released.push({ id, inputs: task.active.inputs, positions: task.active.positions() });
      await registry.closeActive(id, task, { commitStores: true });
    }
    // Tasks the leader believes ran here but do not (any more): their committed offsets are final.
    for (const id of releases) released.push({ id, inputs: this.options.topics.inputsOf(id), positions: [] });
    if (!this.options.exactlyOnce)
      await release(handoff, this.options.consumer, released, info.rebalance).catch((error: unknown) =>
        this.options.logger.warn(
          { err: error, tasks: released.map((t) => t.id) },
          'could not mark tasks released',
        ),
      );
    const wantedStandby = new Set(info.standby);
    for (const [id, standby] of [...registry.standbys]) {
      if (!wantedStandby.has(id)) {
        await factory.closeStandby(standby);
        registry.standbys.delete(id);
      }
    }
  }

  /** A task closed outside a rebalance is created again if the assignment still gives it here. */
  private async restartNow(id: string): Promise<void> {
    const assignment = this.latest;
    const { registry, consumer, logger } = this.options;
    if (!assignment) return;
    const stale = () => assignment.superseded() || this.options.windingDown();
    if (stale() || registry.active.has(id) || !registry.assignment.active.includes(id)) return;
    const inputs = this.options.topics.partitionsByTask(assignment.partitions, [id]).get(id) ?? [];
    if (!(await this.startTask(id, inputs, this.handoffContext(), stale))) return;
    consumer.resume(inputs);
    logger.info({ task: id }, 'task started again from its last commit');
  }

  /** An assignment left unfinished because a newer one is on its way, which will apply itself. */
  private skipped(assignment: GroupAssignment): void {
    this.options.logger.debug(
      { generation: assignment.generationId },
      'assignment superseded before it was applied; waiting for the next one',
    );
  }

  private handoffContext(): HandoffContext {
    return {
      admin: this.options.admin,
      groupId: this.options.topics.applicationId,
      logger: this.options.logger,
      clock: this.options.clock,
    };
  }

  /**
   * Creates and restores a task that is new to this worker, and sets where it starts reading; false
   * (nothing created) when the assignment became stale first. Creating is retried while Kafka
   * refuses for a while, for at most the retry policy's timeout.
   */
  private async startTask(
    id: string,
    inputs: readonly TopicPartition[],
    handoff: HandoffContext,
    stale: () => boolean,
  ): Promise<boolean> {
    const { registry, factory, metrics, consumer, retry, signal, clock } = this.options;
    const standby = registry.standbys.get(id);
    if (standby) {
      registry.standbys.delete(id);
      await factory.closeStandby(standby);
    }
    const restoreStarted = clock.now();
    let created;
    try {
      created = await retrying(() => factory.createActive(id, inputs, stale), {
        what: `creating task ${id}`,
        policy: retry,
        signal,
        retriable: (error) => errorKind(error) === 'retriable' && !stale(),
        onRetry: (error, attempt, waitMs) =>
          this.options.logger.warn(
            { task: id, err: error, attempt, waitMs },
            'creating a task failed; retrying',
          ),
      });
    } catch (error) {
      // Given up because the assignment went stale: the next one says what to create.
      if (stale() && errorKind(error) !== 'fatal') return false;
      throw error;
    }
    if (!created) return false;
    metrics.restoreMs += clock.now() - restoreStarted;
    created.task.recordLatency = metrics.recordLatencySeconds;
    // Read now, after the restore (and under exactly-once after fencing the previous owner): the
    // client's own view dates from the end of the rebalance, before the previous owner finished.
    let positions;
    try {
      positions = await startPositions(handoff, created.task.inputs);
    } catch (error) {
      await created.task.close();
      await created.producer?.close().catch(
        warnOnFailure(this.options.logger, 'closing the producer of a task that could not start', {
          task: id,
        }),
      );
      throw error;
    }
    // Registered only now, together with the seek: a batch fetched from an older position before
    // this point finds no owner and is dropped, so none can get ahead of the start position.
    created.task.startAt(positions);
    registry.add(id, created);
    for (const { topic, partition, offset } of positions) consumer.seek({ topic, partition, offset });
    return true;
  }
}
