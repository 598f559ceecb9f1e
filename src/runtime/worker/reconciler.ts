import type { AdminPort, GroupAssignment, GroupConsumerPort, TopicPartition } from '../../kafka/port.ts';
import { decodeAssignmentInfo, type AssignmentInfo } from '../assignment/group-protocol.ts';
import type { Logger } from '../logger.ts';
import type { ApplicationTopics } from './application-topics.ts';
import type { CommitProtocol } from './commit-protocol.ts';
import { awaitRelease, release, startPositions, type HandoffContext, type ReleasedTask } from './handoff.ts';
import type { RunnerMetrics } from './runner-metrics.ts';
import type { TaskFactory } from './task-factory.ts';
import type { TaskRegistry } from './task-registry.ts';

export interface ReconcilerOptions {
  readonly topics: ApplicationTopics;
  readonly registry: TaskRegistry;
  readonly factory: TaskFactory;
  readonly consumer: GroupConsumerPort;
  readonly admin: AdminPort;
  readonly commits: CommitProtocol;
  readonly metrics: RunnerMetrics;
  readonly logger: Logger;
  readonly exactlyOnce: boolean;
  /** How long a new owner waits for the previous one to hand a task over (at-least-once). */
  readonly handoverTimeoutMs: number;
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
 */
export class Reconciler {
  private readonly options: ReconcilerOptions;
  private reconciling: Promise<void> = Promise.resolve();
  /** Assignments received so far, and who waits for the next one. */
  private received = 0;
  private readonly waiting = new Set<() => void>();

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
      .catch((error: unknown) =>
        this.options.fail(error instanceof Error ? error : new Error(String(error))),
      );
    return this.reconciling;
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
    const started = Date.now();
    const info = decodeAssignmentInfo(assignment.userData);
    registry.assignment = info;
    const handoff: HandoffContext = {
      admin: this.options.admin,
      groupId: this.options.topics.applicationId,
      logger,
    };

    // Whatever was processed goes out before tasks move: fewer duplicates for the next owner.
    await commits.commitAll().catch((error) => logger.warn({ err: error }, 'commit before rebalance failed'));
    await this.letGo(info, handoff);
    // Stopping (or failed), this worker only lets go: a task started now would be closed at once,
    // and restoring it would delay the stop.
    if (this.options.windingDown()) return;

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
      if (outcome === 'superseded') return;
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
    // One after another: restoring is CPU-bound in this one thread, so side by side gains nothing.
    for (const id of incoming) await this.startTask(id, byTask.get(id) ?? [], handoff);
    for (const id of info.standby)
      if (!registry.standbys.has(id)) registry.standbys.set(id, await this.options.factory.createStandby(id));
    consumer.resume(assignment.partitions);
    this.options.assignmentApplied();
    logger.info(
      {
        generation: assignment.generationId,
        active: info.active,
        standby: info.standby,
        ms: Date.now() - started,
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

  /** Creates and restores a task that is new to this worker, and sets where it starts reading. */
  private async startTask(
    id: string,
    inputs: readonly TopicPartition[],
    handoff: HandoffContext,
  ): Promise<void> {
    const { registry, factory, metrics, consumer } = this.options;
    const standby = registry.standbys.get(id);
    if (standby) {
      registry.standbys.delete(id);
      await factory.closeStandby(standby);
    }
    const restoreStarted = Date.now();
    const created = await factory.createActive(id, inputs);
    metrics.restoreMs += Date.now() - restoreStarted;
    created.task.recordLatency = metrics.recordLatencySeconds;
    registry.add(id, created);
    // Read now, after the restore (and under exactly-once after fencing the previous owner): the
    // client's own view dates from the end of the rebalance, before the previous owner finished.
    const positions = await startPositions(handoff, created.task.inputs);
    created.task.startAt(positions);
    for (const position of positions) consumer.seek(position);
  }
}
