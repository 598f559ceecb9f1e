import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TributaryError } from '../../errors.ts';
import type { AdminPort, EventLogPort, GroupConsumerPort, ProducerPort } from '../../kafka/port.ts';
import type { StateStore } from '../../state/api.ts';
import type { ManagedStore } from '../../state/managed-store.ts';
import type { SchemaRegistryClient } from '../../serde/registry.ts';
import { withSchemaRegistry } from '../../serde/registry-topology.ts';
import type { Topology } from '../../topology/topology.ts';
import { TaskAssignor, type AssignmentInfo } from '../assignment/group-protocol.ts';
import { deadLetterTopic } from '../error-handling.ts';
import { withBindings, type Logger } from '../logger.ts';
import type { ActiveTask } from './active-task.ts';
import { ApplicationTopics } from './application-topics.ts';
import { CommitProtocol } from './commit-protocol.ts';
import type { WorkerConfig } from './config.ts';
import { commitBeforeLeaving } from './final-commit.ts';
import { FetchIntake } from './fetch-intake.ts';
import { ProcessingLoop } from './processing-loop.ts';
import { Reconciler } from './reconciler.ts';
import { RecordPreparer } from './record-preparer.ts';
import { Restorer } from './restorer.ts';
import { consumerLag, droppedRecords, newRunnerMetrics } from './runner-metrics.ts';
import { TaskFactory, type StandbyTask } from './task-factory.ts';
import { TaskRegistry } from './task-registry.ts';
import { setUpTopics } from './topics.ts';

export type AppRunnerState =
  'created' | 'starting' | 'rebalancing' | 'running' | 'stopping' | 'stopped' | 'failed';

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
}

/**
 * One application on this worker: a member of the application's consumer group that runs the tasks
 * assigned to it. It wires the parts together and owns the application's lifecycle (start, stop,
 * failure) and the resources it opens:
 *
 * - `FetchIntake` queues fetched records for their tasks (with back-pressure);
 * - `ProcessingLoop` processes them, Kafka Streams' stream thread;
 * - `CommitProtocol` hands output to the producers and commits, at-least-once or exactly-once;
 * - `Reconciler` applies each assignment to the `TaskRegistry`: tasks and standbys come and go;
 * - the getters below are what interactive queries and metrics read.
 */
export class AppRunner {
  readonly applicationId: string;
  readonly metrics = newRunnerMetrics();
  /** The topology as it runs (with registry-framed serdes at its edges when a registry is used). */
  private topologyValue: Topology;
  private readonly options: AppRunnerOptions;
  private readonly logger: Logger;
  private stateValue: AppRunnerState = 'created';
  private readonly registry = new TaskRegistry(this.metrics.droppedInClosedTasks);
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

  constructor(options: AppRunnerOptions) {
    this.options = options;
    this.applicationId = options.applicationId;
    this.topologyValue = options.topology;
    this.logger = withBindings(options.logger, { app: options.applicationId });
    this.failed = new Promise<never>((_resolve, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => undefined);
  }

  get topology(): Topology {
    return this.topologyValue;
  }

  get state(): AppRunnerState {
    return this.stateValue;
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

  /** A store of an active task on this worker, or a global store. */
  store(name: string, partition: number): StateStore | undefined {
    const global = this.globalStores.get(name);
    if (global) return global.store;
    for (const { active } of this.registry.active.values()) {
      if (active.partition === partition && active.stores.has(name)) return active.stores.get(name)!.store;
    }
    return undefined;
  }

  async start(): Promise<void> {
    const { port, config } = this.options;
    this.stateValue = 'starting';
    this.logger.info(
      { log: port.description, guarantee: config.processingGuarantee, stateDir: config.stateDir },
      'starting application',
    );
    try {
      const { topics, preparer } = await this.openResources();
      await this.joinGroup(topics, preparer);
    } catch (error) {
      this.stateValue = 'failed';
      await this.shutDown().catch(() => undefined);
      throw error;
    }
  }

  /** Stops gracefully: finishes the records in hand, commits, closes stores, leaves the group. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped' || this.stateValue === 'stopping') return;
    const wasFailed = this.stateValue === 'failed';
    this.stateValue = 'stopping';
    this.loop?.wake();
    await this.loopDone?.catch(() => undefined);
    if (!wasFailed && this.commits && this.reconciler) {
      try {
        await commitBeforeLeaving({
          commits: this.commits,
          reconciler: this.reconciler,
          timeoutMs: this.options.config.sessionTimeoutMs,
          logger: this.logger,
        });
      } catch (error) {
        this.logger.error({ err: error }, 'final commit failed');
      }
    }
    await this.reconciler?.settled();
    await this.shutDown();
    this.stateValue = 'stopped';
    this.logger.info({ processed: this.metrics.processed }, 'application stopped');
  }

  requestCommit(): void {
    this.commits?.request();
    this.loop?.wake();
  }

  /**
   * Topics (checked, internal ones created), the changelog reader, the task factory, global stores
   * (loaded) and, under at-least-once, the application's producer.
   */
  private async openResources(): Promise<{
    topics: ApplicationTopics;
    preparer: RecordPreparer | undefined;
  }> {
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
    this.admin = port.admin();
    const usesDeadLetters =
      config.errorHandling.deserialization === 'dead-letter' ||
      config.errorHandling.processing === 'dead-letter';
    const counts = await setUpTopics({
      admin: this.admin,
      topology,
      applicationId,
      deadLetterTopic: usesDeadLetters ? deadLetterTopic(config.errorHandling, applicationId) : undefined,
      logger: this.logger,
    });
    const topics = new ApplicationTopics(topology, applicationId, counts);
    this.topics = topics;
    this.restorer = new Restorer(
      port.partitionReader({
        readCommitted: exactlyOnce,
        topics: topics.restoreTopics(),
        clientId,
        groupIdPrefix: applicationId,
      }),
      this.logger,
    );
    await this.restorer.start();
    const globalTyped = new Map<string, StateStore>();
    this.factory = new TaskFactory({
      applicationId,
      topology,
      config,
      port,
      admin: this.admin,
      restorer: this.restorer,
      logger: this.logger,
      partitionCount: (topic) => topics.partitionCount(topic),
      globalStores: globalTyped,
      requestCommit: () => this.requestCommit(),
    });
    this.globalStores = await this.factory.openGlobalStores();
    for (const [name, store] of this.globalStores) globalTyped.set(name, store.store);
    if (!exactlyOnce) this.producer = port.producer({ clientId });
    return { topics, preparer: preparer.isEmpty ? undefined : preparer };
  }

  /** Joins the application's group with the parts that then run it; processing starts with the first assignment. */
  private async joinGroup(topics: ApplicationTopics, preparer: RecordPreparer | undefined): Promise<void> {
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
    });
    this.consumer = consumer;
    const fail = (error: Error) => this.fail(error);
    const commits = new CommitProtocol({
      applicationId,
      registry: this.registry,
      consumer,
      producer: this.producer,
      factory: this.factory!,
      metrics: this.metrics,
      logger: this.logger,
      fail,
    });
    const reconciler = new Reconciler({
      topics,
      registry: this.registry,
      factory: this.factory!,
      consumer,
      admin: this.admin!,
      commits,
      metrics: this.metrics,
      logger: this.logger,
      exactlyOnce,
      handoverTimeoutMs: config.sessionTimeoutMs,
      windingDown: () => this.stateValue === 'stopping' || this.stateValue === 'failed',
      assignmentQueued: () => {
        // Queries answer 503 until the tasks match; a stopping or failed application stays so.
        if (this.stateValue === 'running') this.stateValue = 'rebalancing';
      },
      assignmentApplied: () => {
        if (this.stateValue === 'rebalancing') this.stateValue = 'running';
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
      reconciled: () => reconciler.settled(),
      running: () =>
        this.stateValue !== 'stopping' && this.stateValue !== 'stopped' && this.stateValue !== 'failed',
      fail,
    });
    this.commits = commits;
    this.reconciler = reconciler;
    this.loop = loop;
    this.stateValue = 'rebalancing';
    await consumer.start({
      onRevoking: () => {
        // Queries see the rebalance from its start: the tasks here may be about to move.
        if (this.stateValue === 'running') this.stateValue = 'rebalancing';
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

  private async shutDown(): Promise<void> {
    await this.consumer
      ?.stop()
      .catch((error) => this.logger.warn({ err: error }, 'leaving the group failed'));
    for (const [id, task] of this.registry.active)
      await this.registry.closeActive(id, task, { commitStores: false });
    for (const standby of this.registry.standbys.values()) await this.factory?.closeStandby(standby);
    this.registry.standbys.clear();
    await this.restorer?.stop().catch(() => undefined);
    await Promise.allSettled([...this.globalStores.values()].map((s) => s.close()));
    await this.producer?.close().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.logger.error({ err: error }, `application failed: ${error.message}`);
    this.stateValue = 'failed';
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
