import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TributaryError, errorMessage } from '../../errors.ts';
import type { AdminPort, EventLogPort, GroupConsumerPort, ProducerPort } from '../../kafka/port.ts';
import { RetryCancelledError, retryPolicy, sleep, type RetryPolicy } from '../../kafka/retry.ts';
import { retryingAdmin } from '../../kafka/retrying-admin.ts';
import type { StateStore } from '../../state/api.ts';
import { RecordCache } from '../../state/cache/record-cache.ts';
import type { ManagedStore } from '../../state/managed-store.ts';
import type { SchemaRegistryClient } from '../../serde/registry.ts';
import { withSchemaRegistry } from './registry-topology.ts';
import type { Topology } from '../../topology/topology.ts';
import { TaskAssignor, type AssignmentInfo } from '../assignment/group-protocol.ts';
import { deadLetterTopic, usesDeadLetters } from '../error-handling.ts';
import { systemClock, type Clock } from '../../common/clock.ts';
import { warnOnFailure, withBindings, type Logger } from '../../common/logger.ts';
import type { ActiveTask } from './active-task.ts';
import { ApplicationTopics } from './application-topics.ts';
import { atLeastOnce } from './at-least-once-commits.ts';
import type { CommitPathFactory } from './commit-path.ts';
import { CommitProtocol } from './commit-protocol.ts';
import type { WorkerConfig } from './config.ts';
import { commitBeforeLeaving } from './final-commit.ts';
import { FetchIntake } from './fetch-intake.ts';
import { Lifecycle, type AppRunnerState } from './lifecycle.ts';
import { ProcessingLoop } from './processing-loop.ts';
import { Reconciler } from './reconciler.ts';
import { RecordPreparer } from './record-preparer.ts';
import { Restorer, type RestoreProgress } from './restorer.ts';
import { consumerLag, droppedRecords, newRunnerMetrics } from './runner-metrics.ts';
import { TaskFactory, type StandbyTask } from './task-factory.ts';
import { TaskRegistry } from './task-registry.ts';
import { taskTransactions } from './task-transaction-commits.ts';
import { threadTransactions } from './thread-transaction-commits.ts';
import { setUpTopics } from './topics.ts';

/** What `start` opens before joining the group, for the parts that run the application. */
interface OpenedResources {
  readonly topics: ApplicationTopics;
  readonly preparer: RecordPreparer | undefined;
  readonly admin: AdminPort;
  readonly factory: TaskFactory;
}

/** How long a failed application takes at most to close what it opened (it does not wait on Kafka). */
const FAILED_CLOSE_MS = 5_000;

export type { AppRunnerState } from './lifecycle.ts';

export interface AppRunnerOptions {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly port: EventLogPort;
  readonly config: WorkerConfig;
  readonly logger: Logger;
  /** Identifies this worker process across rejoins (for standby placement). */
  readonly processId: string;
  /** When set, Avro topics use the registry's wire format; schemas are registered at start. */
  readonly schemaRegistry?: SchemaRegistryClient;
  /** Where the application reads wall-clock time (tests drive it); the system clock by default. */
  readonly clock?: Clock;
}

/**
 * One application on this worker: a member of the application's consumer group that runs the tasks
 * assigned to it. It wires the parts together and owns the application's lifecycle (start, stop,
 * failure) and the resources it opens:
 *
 * - `FetchIntake` queues fetched records for their tasks (with back-pressure);
 * - `ProcessingLoop` processes them, Kafka Streams' stream thread;
 * - `CommitProtocol` hands output to the producers and commits, along the `CommitPath` of the
 *   application's guarantee (chosen at start: `commitPath`);
 * - `Reconciler` applies each assignment to the `TaskRegistry`: tasks and standbys come and go;
 * - the getters below are what interactive queries and metrics read.
 *
 * Kafka refusing for a while (a broker restarting, a coordinator moving) is ridden out by the parts
 * themselves, for at most `taskTimeoutMs` (see ErrorKind and src/kafka/retry.ts). When the
 * application fails for good, every resource it opened is closed within `FAILED_CLOSE_MS`,
 * without waiting on a cluster that may be gone, so the process can exit at once.
 */
export class AppRunner {
  readonly applicationId: string;
  readonly metrics = newRunnerMetrics();
  /** The topology as it runs (with registry-framed serdes at its edges when a registry is used). */
  private topologyValue: Topology;
  private readonly options: AppRunnerOptions;
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** Changed only along the transition table (lifecycle.ts). */
  private readonly lifecycle: Lifecycle;
  private readonly registry: TaskRegistry;
  private readonly assignmentListeners = new Set<() => void>();
  // Opened by `start`, closed by `shutDown`.
  private admin: AdminPort | undefined;
  private consumer: GroupConsumerPort | undefined;
  private producer: ProducerPort | undefined;
  private restorer: Restorer | undefined;
  private factory: TaskFactory | undefined;
  private globalStores = new Map<string, ManagedStore>();
  // The parts that run once the topics are known.
  private topics: ApplicationTopics | undefined;
  private commits: CommitProtocol | undefined;
  private reconciler: Reconciler | undefined;
  private loop: ProcessingLoop | undefined;
  private loopDone: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;
  private rejectFailed!: (error: Error) => void;
  private readonly retry: RetryPolicy;
  /** Aborted when the application fails or has stopped: retries give up at once. */
  private readonly cancel = new AbortController();

  constructor(options: AppRunnerOptions) {
    this.options = options;
    this.retry = retryPolicy(options.config.taskTimeoutMs);
    this.applicationId = options.applicationId;
    this.lifecycle = new Lifecycle(options.applicationId);
    this.topologyValue = options.topology;
    this.logger = withBindings(options.logger, { app: options.applicationId });
    this.registry = new TaskRegistry(this.metrics.droppedInClosedTasks, this.logger);
    this.clock = options.clock ?? systemClock;
    this.failed = new Promise<never>((_resolve, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => undefined);
  }

  get topology(): Topology {
    return this.topologyValue;
  }

  get state(): AppRunnerState {
    return this.lifecycle.state;
  }

  /** Rejects when the application fails for good. */
  get failure$(): Promise<never> {
    return this.failed;
  }

  /** Who runs which task, as the last assignment said (for routing queries). */
  get assignment(): AssignmentInfo {
    return this.registry.assignment;
  }

  /** This worker's active tasks by id (for queries and metrics; do not modify them). */
  get activeTasks(): ReadonlyMap<string, ActiveTask> {
    return new Map([...this.registry.active].map(([id, task]) => [id, task.active]));
  }

  get standbyTasks(): ReadonlyMap<string, StandbyTask> {
    return this.registry.standbys;
  }

  /** How many tasks (partitions) a sub-topology has, once the topics are known. */
  taskCount(subtopology: number): number | undefined {
    return this.topics?.taskCount(subtopology);
  }

  /** Calls the listener after each rebalance, once the tasks match the new assignment; returns an unsubscribe. */
  onAssignment(listener: () => void): () => void {
    this.assignmentListeners.add(listener);
    return () => this.assignmentListeners.delete(listener);
  }

  /** Records the log holds beyond what this worker has processed, per input partition it runs. */
  consumerLag(): { topic: string; partition: number; lag: number }[] {
    return consumerLag(this.registry);
  }

  /**
   * Records dropped since the start, per reason: by built-in operators (null keys, expired windows) and
   * by the error handlers ('error-handler': skipped or sent to the dead-letter topic).
   */
  droppedRecords(): Map<string, number> {
    return droppedRecords(this.metrics, this.registry);
  }

  /** Where the error handlers send records they give up on, when an error handler dead-letters. */
  get deadLetterTopic(): string | undefined {
    const { errorHandling } = this.options.config;
    return usesDeadLetters(errorHandling) ? deadLetterTopic(errorHandling, this.applicationId) : undefined;
  }

  /** The restores under way on this worker: per changelog partition, records applied and still to apply. */
  restoreProgress(): RestoreProgress[] {
    return this.restorer?.progress() ?? [];
  }

  /** A store of an active task on this worker, or a global store. */
  store(name: string, partition: number): StateStore | undefined {
    const global = this.globalStores.get(name);
    if (global) return global.store;
    for (const { active } of this.registry.active.values()) {
      if (active.partition === partition && active.stores.has(name)) return active.task.store(name);
    }
    return undefined;
  }

  async start(): Promise<void> {
    const { port, config } = this.options;
    this.lifecycle.to('starting');
    this.logger.info(
      { log: port.description, guarantee: config.processingGuarantee, stateDir: config.stateDir },
      'starting application',
    );
    try {
      await this.joinGroup(await this.openResources());
    } catch (error) {
      // A stop that already finished meanwhile stays stopped; a failure reported meanwhile stays one.
      this.lifecycle.toIf(['starting', 'rebalancing', 'running', 'stopping'], 'failed');
      this.cancel.abort();
      await this.closeWithin(FAILED_CLOSE_MS, 'closing what the application opened', () =>
        this.shutDown(true),
      );
      throw error;
    }
  }

  /**
   * Stops gracefully: finishes the records in hand, commits, closes stores, leaves the group. A
   * failed application only closes what it opened, within `FAILED_CLOSE_MS`.
   */
  async stop(): Promise<void> {
    if (this.lifecycle.is('stopped', 'stopping')) return;
    const wasFailed = this.lifecycle.is('failed');
    this.lifecycle.to('stopping');
    this.loop?.wake();
    if (wasFailed) {
      // What is under way gives up at its next retry (the failure aborted them); what still waits
      // on the cluster is left behind.
      await this.closeWithin(
        FAILED_CLOSE_MS / 2,
        'finishing what the failed application was doing',
        async () => {
          await this.loopDone?.catch(() => undefined);
          await this.reconciler?.settled();
        },
      );
      await this.closeWithin(FAILED_CLOSE_MS / 2, 'closing the failed application', () =>
        this.shutDown(true),
      );
    } else {
      // A stop waits for Kafka no longer than a crashed member's tasks wait for the group to move them.
      const giveUp = setTimeout(() => this.cancel.abort(), this.options.config.sessionTimeoutMs);
      await this.loopDone?.catch(() => undefined);
      if (this.commits && this.reconciler) {
        try {
          await commitBeforeLeaving({
            commits: this.commits,
            reconciler: this.reconciler,
            timeoutMs: this.options.config.sessionTimeoutMs,
            logger: this.logger,
            clock: this.clock,
          });
        } catch (error) {
          this.logger.error({ err: error }, 'final commit failed');
        }
      }
      await this.reconciler?.settled();
      clearTimeout(giveUp);
      this.cancel.abort();
      await this.shutDown(false);
    }
    this.lifecycle.to('stopped');
    this.logger.info({ processed: this.metrics.processed }, 'application stopped');
  }

  requestCommit(): void {
    this.commits?.request();
    this.loop?.wake();
  }

  /**
   * Topics (checked, internal ones created), the changelog reader, the task factory and global stores
   * (loaded).
   */
  private async openResources(): Promise<OpenedResources> {
    const { port, config, applicationId } = this.options;
    const exactlyOnce = config.processingGuarantee === 'exactly-once';
    const clientId = `${config.clientId}-${applicationId}`;
    if (this.options.schemaRegistry)
      this.topologyValue = await withSchemaRegistry(
        this.topologyValue,
        applicationId,
        this.options.schemaRegistry,
        this.logger,
      );
    const topology = this.topologyValue;
    const preparer = RecordPreparer.forTopology(topology, applicationId, this.logger);
    const admin = retryingAdmin(port.admin(), {
      policy: this.retry,
      signal: this.cancel.signal,
      logger: this.logger,
    });
    this.admin = admin;
    const counts = await setUpTopics({
      admin,
      topology,
      applicationId,
      deadLetterTopic: this.deadLetterTopic,
      logger: this.logger,
    });
    const topics = new ApplicationTopics(topology, applicationId, counts);
    this.topics = topics;
    this.restorer = new Restorer(
      port.partitionReader({
        readCommitted: exactlyOnce,
        topics: topics.restoreTopics(),
        clientId,
        retryTimeoutMs: config.taskTimeoutMs,
        groupIdPrefix: applicationId,
      }),
      this.logger,
    );
    await this.restorer.start((error) =>
      this.fail(
        new TributaryError(
          'TRIB_RESTORE',
          `the changelog reader of application "${applicationId}" stopped: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    const globalTyped = new Map<string, StateStore>();
    const factory = new TaskFactory({
      applicationId,
      topology,
      config,
      port,
      admin,
      restorer: this.restorer,
      logger: this.logger,
      clock: this.clock,
      partitionCount: (topic) => topics.partitionCount(topic),
      globalStores: globalTyped,
      requestCommit: () => this.requestCommit(),
      // Every application of a worker has its own record cache, as every Kafka Streams instance has.
      recordCache: new RecordCache(config.recordCacheMaxBytes),
    });
    this.factory = factory;
    this.globalStores = await factory.openGlobalStores();
    for (const [name, store] of this.globalStores) globalTyped.set(name, store.store);
    return { topics, preparer: preparer.isEmpty ? undefined : preparer, admin, factory };
  }

  /** Joins the application's group with the parts that then run it; processing starts with the first assignment. */
  private async joinGroup({ topics, preparer, admin, factory }: OpenedResources): Promise<void> {
    const { port, config, applicationId } = this.options;
    const exactlyOnce = config.processingGuarantee === 'exactly-once';
    const tasksWithState = await this.tasksWithState();
    const consumer = port.groupConsumer({
      groupId: applicationId,
      topics: topics.sourceTopics(),
      assignor: new TaskAssignor({
        topology: topics.topology,
        applicationId,
        numStandbyReplicas: config.numStandbyReplicas,
        subscription: () => ({
          processId: this.options.processId,
          endpoint: config.http?.advertised,
          previousActive: [...this.registry.active.keys()],
          previousStandby: [...this.registry.standbys.keys()],
          tasksWithState,
        }),
      }),
      readCommitted: exactlyOnce,
      sessionTimeoutMs: config.sessionTimeoutMs,
      clientId: `${config.clientId}-${applicationId}`,
      retryTimeoutMs: config.taskTimeoutMs,
      maxPartitionFetchBytes: config.maxPartitionFetchBytes,
    });
    this.consumer = consumer;
    const fail = (error: Error) => this.fail(error);
    const commits = new CommitProtocol({
      applicationId,
      registry: this.registry,
      consumer,
      path: this.commitPath(),
      factory,
      metrics: this.metrics,
      logger: this.logger,
      clock: this.clock,
      retry: this.retry,
      signal: this.cancel.signal,
      fail,
      taskClosed: (id, { migrated }) => {
        if (this.lifecycle.is('stopping', 'failed')) return;
        if (migrated) this.rejoinGroup();
        else reconciler.restart(id);
      },
    });
    const reconciler = new Reconciler({
      topics,
      registry: this.registry,
      factory,
      consumer,
      admin,
      commits,
      metrics: this.metrics,
      logger: this.logger,
      clock: this.clock,
      exactlyOnce,
      handoverTimeoutMs: config.sessionTimeoutMs,
      retry: this.retry,
      signal: this.cancel.signal,
      windingDown: () => this.lifecycle.is('stopping', 'failed'),
      assignmentQueued: () => {
        // Queries answer 503 until the tasks match; a stopping or failed application stays so.
        this.lifecycle.toIf(['running'], 'rebalancing');
      },
      assignmentApplied: () => {
        this.lifecycle.toIf(['rebalancing'], 'running');
        for (const listener of this.assignmentListeners) listener();
        this.loop?.wake();
      },
      fail,
    });
    const intake = new FetchIntake({
      registry: this.registry,
      consumer,
      preparer,
      maxBufferedRecordsPerPartition: config.maxBufferedRecordsPerPartition,
      wake: () => this.loop?.wake(),
    });
    const loop = new ProcessingLoop({
      registry: this.registry,
      intake,
      commits,
      commitIntervalMs: config.commitIntervalMs,
      metrics: this.metrics,
      clock: this.clock,
      reconciled: () => reconciler.settled(),
      running: () => !this.lifecycle.is('stopping', 'stopped', 'failed'),
      fail,
    });
    this.commits = commits;
    this.reconciler = reconciler;
    this.loop = loop;
    // Unless a stop or a failure came while starting: that state stands.
    this.lifecycle.toIf(['starting'], 'rebalancing');
    await consumer.start({
      onRevoking: () => {
        // Queries see the rebalance from its start: the tasks here may be about to move.
        this.lifecycle.toIf(['running'], 'rebalancing');
        this.requestCommit();
      },
      onAssigned: (assignment) => reconciler.enqueue(assignment),
      onBatch: (batch) => intake.onBatch(batch),
      onCrash: (error) =>
        this.fail(
          new TributaryError(
            'TRIB_CONSUMER',
            `the consumer of application "${applicationId}" stopped: ${error.message}`,
            { cause: error },
          ),
        ),
    });
    this.loopDone = loop.run();
  }

  /**
   * How the application's output is sent and its commits made, chosen once from its guarantee: the
   * application's producer under at-least-once; under exactly-once one transactional producer for the
   * member where the event log fences offsets by the group generation (Kafka Streams'
   * exactly_once_v2), else one per task (made by the TaskFactory with the task).
   */
  private commitPath(): CommitPathFactory {
    const { port, config, applicationId } = this.options;
    if (config.processingGuarantee !== 'exactly-once') {
      this.producer = port.producer({ clientId: `${config.clientId}-${applicationId}` });
      return atLeastOnce(this.producer);
    }
    if (!port.groupFencedOffsets) return taskTransactions;
    // Named like Kafka Streams' thread producer: <application id>-<process id>-<thread>.
    return threadTransactions(() =>
      port.transactionalProducer({
        transactionalId: `${applicationId}-${this.options.processId}-1`,
        clientId: `${config.clientId}-${applicationId}-producer`,
      }),
    );
  }

  /**
   * A task was taken over by a worker acting on another assignment: the group rebalances so that
   * every member gets a fresh one (as Kafka Streams rejoins on TaskMigratedException).
   */
  private rejoinGroup(): void {
    this.logger.info({}, 'rejoining the group for a fresh assignment');
    this.consumer
      ?.rejoin()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'rejoining the group failed'));
  }

  /** Runs a closing step for at most `ms`; what does not finish by then is left behind, with a warning. */
  private async closeWithin(ms: number, what: string, close: () => Promise<void>): Promise<void> {
    const bound = new AbortController();
    const done = await Promise.race([
      close().then(
        () => true,
        (error: unknown) => {
          this.logger.warn({ err: error }, `${what} failed: ${errorMessage(error)}`);
          return true;
        },
      ),
      sleep(ms, bound.signal).then(() => false),
    ]);
    bound.abort();
    if (!done) this.logger.warn({ waitedMs: ms }, `${what} did not finish in time; going on`);
  }

  /**
   * Closes everything the application opened: the consumer (leaving the group), the tasks and
   * standbys with their stores and producers, the changelog reader, global stores, the producer and
   * the admin. One after the other when stopping, so the group is left first; all at once after a
   * failure, so that none waits on another that waits on an unreachable cluster.
   */
  private async shutDown(failed: boolean): Promise<void> {
    const steps: (() => Promise<unknown>)[] = [
      async () =>
        this.consumer?.stop().catch((error) => this.logger.warn({ err: error }, 'leaving the group failed')),
      () =>
        Promise.allSettled(
          [...this.registry.active].map(([id, task]) =>
            this.registry.closeActive(id, task, { commitStores: false }),
          ),
        ),
      async () => {
        const standbys = [...this.registry.standbys.values()];
        this.registry.standbys.clear();
        await Promise.allSettled(standbys.map((standby) => this.factory?.closeStandby(standby)));
      },
      async () => this.restorer?.stop().catch(warnOnFailure(this.logger, 'stopping the restorer')),
      () => Promise.allSettled([...this.globalStores.values()].map((store) => store.close())),
      async () => this.producer?.close().catch(warnOnFailure(this.logger, 'closing the producer')),
      async () => this.commits?.close().catch(warnOnFailure(this.logger, 'closing the commit protocol')),
      async () => this.admin?.close().catch(warnOnFailure(this.logger, 'closing the admin client')),
    ];
    if (failed) await Promise.allSettled(steps.map((step) => step()));
    else for (const step of steps) await step();
  }

  private fail(error: Error): void {
    if (this.failure || this.lifecycle.is('stopped')) return;
    // What the stop itself gave up (a commit a rebalance interrupted while the group's other members
    // stop too, as the stream threads of one process do) ends with the stop; it is no failure.
    if (this.lifecycle.is('stopping') && error instanceof RetryCancelledError) {
      this.logger.warn({ err: error }, error.message);
      return;
    }
    this.failure = error;
    this.logger.error({ err: error }, `application failed: ${error.message}`);
    if (!this.lifecycle.is('failed')) this.lifecycle.to('failed');
    this.cancel.abort();
    this.loop?.wake();
    this.rejectFailed(error);
  }

  /** Tasks whose state directories exist here: the assignor prefers them for this member. */
  private async tasksWithState(): Promise<string[]> {
    try {
      const entries = await readdir(join(this.options.config.stateDir, this.applicationId), {
        withFileTypes: true,
      });
      return entries.filter((e) => e.isDirectory() && /^\d+_\d+$/.test(e.name)).map((e) => e.name);
    } catch {
      return [];
    }
  }
}
