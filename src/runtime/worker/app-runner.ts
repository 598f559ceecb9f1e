import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, TopologyError, TributaryError } from '../../errors.ts';
import {
  isFencedError,
  type AdminPort,
  type EventLogPort,
  type GroupAssignment,
  type GroupConsumerPort,
  type ProducerPort,
  type RecordBatch,
  type TopicPartition,
  type TransactionalProducerPort,
} from '../../kafka/port.ts';
import type { StateStore } from '../../state/api.ts';
import type { ManagedStore } from '../../state/managed-store.ts';
import type { SchemaRegistryClient } from '../../serde/registry.ts';
import { withSchemaRegistry } from '../../serde/registry-topology.ts';
import { Topology } from '../../topology/topology.ts';
import {
  decodeAssignmentInfo,
  parseTaskId,
  TaskAssignor,
  type AssignmentInfo,
} from '../assignment/group-protocol.ts';
import { deadLetterTopic } from '../error-handling.ts';
import { Histogram, LATENCY_BUCKETS_SECONDS } from '../histogram.ts';
import type { Logger } from '../logger.ts';
import type { StreamTask } from '../stream-task.ts';
import type { ActiveTask } from './active-task.ts';
import type { WorkerConfig } from './config.ts';
import { awaitRelease, release, startPositions, type HandoffContext, type ReleasedTask } from './handoff.ts';
import { RecordPreparer } from './record-preparer.ts';
import { Restorer } from './restorer.ts';
import { TaskFactory, type StandbyTask } from './task-factory.ts';
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

interface RunningTask {
  readonly active: ActiveTask;
  readonly producer: TransactionalProducerPort | undefined;
  /** Sends of this task's transaction, in order. */
  sending: Promise<void>;
  transactionOpen: boolean;
}

/** Records processed per task before the loop looks at the others, flushes output and yields. */
const SLICE_RECORDS = 500;
/** How long the loop sleeps when there is nothing to do (it wakes at once when records arrive). */
const IDLE_WAIT_MS = 50;

/**
 * One application on this worker: a member of the application's consumer group that runs the tasks
 * assigned to it. The loop is Kafka Streams' stream thread: process a bounded slice of buffered
 * records, punctuate, commit on the interval, and yield to the event loop in between so fetching,
 * heartbeats and sends go on. Fetched records wait in per-partition queues; a full queue pauses its
 * partition (back-pressure).
 */
export class AppRunner {
  readonly applicationId: string;
  /** The topology as it runs (with registry-framed serdes at its edges when a registry is used). */
  private topologyValue: Topology;
  private readonly options: AppRunnerOptions;
  private preparer: RecordPreparer | undefined;
  /** Batches waiting for their records' serdes to be prepared, per partition, in fetch order. */
  private readonly preparing = new Map<string, Promise<void>>();
  private readonly logger: Logger;
  private stateValue: AppRunnerState = 'created';
  private admin: AdminPort | undefined;
  private consumer: GroupConsumerPort | undefined;
  private producer: ProducerPort | undefined;
  private restorer: Restorer | undefined;
  private factory: TaskFactory | undefined;
  private topicCounts = new Map<string, number>();
  private globalStores = new Map<string, ManagedStore>();
  private readonly tasks = new Map<string, RunningTask>();
  private readonly standbys = new Map<string, StandbyTask>();
  private readonly owners = new Map<string, RunningTask>();
  private assignmentInfo: AssignmentInfo = {
    active: [],
    standby: [],
    rebalance: '',
    handoffs: [],
    releases: [],
    endpoints: {},
  };
  private reconciling: Promise<void> = Promise.resolve();
  private alosSending: Promise<void> = Promise.resolve();
  /** Commits run one at a time: the loop and a rebalance may both ask for one. */
  private committing: Promise<void> = Promise.resolve();
  private lastCommitMs = Date.now();
  private commitRequested = false;
  private wakeUp: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;
  private rejectFailed!: (error: Error) => void;
  readonly metrics = {
    processed: 0,
    commits: 0,
    commitMs: 0,
    restoreMs: 0,
    /** Records dropped (per reason) by tasks closed since the start. */
    droppedInClosedTasks: new Map<string, number>(),
    commitSeconds: new Histogram(LATENCY_BUCKETS_SECONDS),
    /** Wall clock at processing minus the record's timestamp. */
    recordLatencySeconds: new Histogram(LATENCY_BUCKETS_SECONDS),
  };
  /** What the last fetch of each input partition said: for consumer lag. */
  private readonly fetched = new Map<
    string,
    { topic: string; partition: number; next: bigint; end: bigint }
  >();
  private readonly assignmentListeners = new Set<() => void>();

  constructor(options: AppRunnerOptions) {
    this.options = options;
    this.applicationId = options.applicationId;
    this.topologyValue = options.topology;
    this.logger = options.logger.child?.({ app: options.applicationId }) ?? options.logger;
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
    return this.assignmentInfo;
  }

  /** This worker's active tasks by id (for queries and metrics; do not modify them). */
  get activeTasks(): ReadonlyMap<string, ActiveTask> {
    return new Map([...this.tasks].map(([id, task]) => [id, task.active]));
  }

  get standbyTasks(): ReadonlyMap<string, StandbyTask> {
    return this.standbys;
  }

  /** How many tasks (partitions) a sub-topology has, once the topics are known. */
  taskCount(subtopology: number): number | undefined {
    const sub = this.topology.subtopologies[subtopology];
    if (!sub || this.topicCounts.size === 0) return undefined;
    const counts = sub.sourceTopics.map((t) =>
      this.topicCounts.get(Topology.topicName(t, this.applicationId)),
    );
    return counts.some((c) => c === undefined) ? undefined : Math.max(...(counts as number[]));
  }

  /** Calls the listener after each rebalance, once the tasks match the new assignment; returns an unsubscribe. */
  onAssignment(listener: () => void): () => void {
    this.assignmentListeners.add(listener);
    return () => this.assignmentListeners.delete(listener);
  }

  /** Records the log holds beyond what this worker has processed, per input partition it runs. */
  consumerLag(): { topic: string; partition: number; lag: number }[] {
    const lags = [];
    for (const { active } of this.tasks.values()) {
      for (const input of active.inputs) {
        const fetched = this.fetched.get(partitionKey(input));
        if (!fetched) continue;
        const behind = fetched.end - fetched.next + BigInt(active.queues.size(input));
        lags.push({ topic: input.topic, partition: input.partition, lag: Number(behind > 0n ? behind : 0n) });
      }
    }
    return lags;
  }

  /**
   * Records dropped since the start, per reason: by built-in operators (null keys, expired windows) and
   * by the error handlers ('error-handler': skipped or sent to the dead-letter topic).
   */
  droppedRecords(): Map<string, number> {
    const dropped = new Map(this.metrics.droppedInClosedTasks);
    for (const { active } of this.tasks.values()) addDropped(dropped, active.task);
    return dropped;
  }

  /** A store of an active task on this worker, or a global store. */
  store(name: string, partition: number): StateStore | undefined {
    const global = this.globalStores.get(name);
    if (global) return global.store;
    for (const { active } of this.tasks.values()) {
      if (active.partition === partition && active.stores.has(name)) return active.stores.get(name)!.store;
    }
    return undefined;
  }

  async start(): Promise<void> {
    const { port, config, applicationId } = this.options;
    this.stateValue = 'starting';
    const eos = config.processingGuarantee === 'exactly-once';
    this.logger.info(
      { log: port.description, guarantee: config.processingGuarantee, stateDir: config.stateDir },
      'starting application',
    );
    try {
      if (this.options.schemaRegistry)
        this.topologyValue = await withSchemaRegistry(
          this.topologyValue,
          applicationId,
          this.options.schemaRegistry,
          this.logger,
        );
      const topology = this.topologyValue;
      const preparer = RecordPreparer.forTopology(topology, applicationId, this.logger);
      this.preparer = preparer.isEmpty ? undefined : preparer;
      this.admin = port.admin();
      this.topicCounts = await setUpTopics({
        admin: this.admin,
        topology,
        applicationId,
        deadLetterTopic: usesDeadLetters(config)
          ? deadLetterTopic(config.errorHandling, applicationId)
          : undefined,
        logger: this.logger,
      });
      this.restorer = new Restorer(
        port.partitionReader({
          readCommitted: eos,
          topics: changelogTopics(topology, applicationId),
          clientId: `${config.clientId}-${applicationId}`,
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
        partitionCount: (topic) => this.partitionCount(topic),
        globalStores: globalTyped,
        requestCommit: () => this.requestCommit(),
      });
      this.globalStores = await this.factory.openGlobalStores();
      for (const [name, store] of this.globalStores) globalTyped.set(name, store.store);
      if (!eos) this.producer = port.producer({ clientId: `${config.clientId}-${applicationId}` });
      const tasksWithState = await this.tasksWithState();
      const assignor = new TaskAssignor({
        topology,
        applicationId,
        numStandbyReplicas: config.numStandbyReplicas,
        subscription: () => ({
          processId: this.options.processId,
          endpoint: config.http?.advertised,
          previousActive: [...this.tasks.keys()],
          previousStandby: [...this.standbys.keys()],
          tasksWithState,
        }),
      });
      const sourceTopics = [
        ...new Set(
          topology.subtopologies.flatMap((s) =>
            s.sourceTopics.map((t) => Topology.topicName(t, applicationId)),
          ),
        ),
      ];
      this.consumer = port.groupConsumer({
        groupId: applicationId,
        topics: sourceTopics,
        assignor,
        readCommitted: eos,
        sessionTimeoutMs: config.sessionTimeoutMs,
        clientId: `${config.clientId}-${applicationId}`,
      });
      this.stateValue = 'rebalancing';
      await this.consumer.start({
        onRevoking: () => {
          // Queries see the rebalance from its start: the tasks here may be about to move.
          if (this.stateValue === 'running') this.stateValue = 'rebalancing';
          this.requestCommit();
        },
        onAssigned: (assignment) => this.enqueueReconcile(assignment),
        onBatch: (batch) => this.onBatch(batch),
        onCrash: (error) =>
          this.fail(
            new TributaryError(
              'TRIB_CONSUMER',
              `the consumer of application "${applicationId}" stopped: ${error.message}`,
              { cause: error },
            ),
          ),
      });
      this.loopDone = this.loop();
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
    this.wakeUp?.();
    await this.loopDone?.catch(() => undefined);
    await this.reconciling.catch(() => undefined);
    if (!wasFailed) {
      try {
        await this.commitAll();
      } catch (error) {
        this.logger.error({ err: error }, 'final commit failed');
      }
    }
    await this.shutDown();
    this.stateValue = 'stopped';
    this.logger.info({ processed: this.metrics.processed }, 'application stopped');
  }

  requestCommit(): void {
    this.commitRequested = true;
    this.wakeUp?.();
  }

  private async shutDown(): Promise<void> {
    await this.consumer
      ?.stop()
      .catch((error) => this.logger.warn({ err: error }, 'leaving the group failed'));
    for (const [id, task] of this.tasks) await this.closeTask(id, task, false);
    for (const standby of this.standbys.values()) await this.factory?.closeStandby(standby);
    this.standbys.clear();
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
    this.wakeUp?.();
    this.rejectFailed(error);
  }

  private onBatch(batch: RecordBatch): void {
    const key = partitionKey(batch);
    const owner = this.owners.get(key);
    if (!owner) return; // a partition we gave up in a rebalance: its new owner reads it from the committed offset
    this.fetched.set(key, {
      topic: batch.topic,
      partition: batch.partition,
      next: BigInt(batch.nextOffset),
      end: BigInt(batch.highWatermark),
    });
    const waiting = this.preparing.get(key);
    const preparing = this.preparer?.prepare(batch);
    if (!waiting && !preparing) return this.enqueue(owner, batch);
    // Records wait until their serdes can decode them synchronously; later batches queue behind.
    // Meanwhile the task knows more is coming for this partition, so it does not run ahead of it.
    owner.active.queues.add(batch, [], 0n, BigInt(batch.highWatermark));
    const done = (waiting ?? Promise.resolve())
      .then(() => preparing)
      .then(() => {
        if (this.owners.get(key) === owner) this.enqueue(owner, batch);
      });
    this.preparing.set(key, done);
    void done.finally(() => {
      if (this.preparing.get(key) === done) this.preparing.delete(key);
    });
  }

  private enqueue(owner: RunningTask, batch: RecordBatch): void {
    const size = owner.active.queues.add(
      batch,
      batch.records,
      BigInt(batch.nextOffset),
      BigInt(batch.highWatermark),
    );
    if (size >= this.options.config.maxBufferedRecordsPerPartition) this.consumer!.pause([batch]);
    this.wakeUp?.();
  }

  private enqueueReconcile(assignment: GroupAssignment): Promise<void> {
    this.stateValue = this.stateValue === 'stopping' ? 'stopping' : 'rebalancing';
    this.reconciling = this.reconciling
      .then(() => this.reconcile(assignment))
      .catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
    return this.reconciling;
  }

  /**
   * Brings the tasks in line with a new assignment: close what left (handing it over, see
   * handoff.ts), keep what stayed, create and restore what came.
   */
  private async reconcile(assignment: GroupAssignment): Promise<void> {
    const started = Date.now();
    const eos = this.options.config.processingGuarantee === 'exactly-once';
    const info = decodeAssignmentInfo(assignment.userData);
    this.assignmentInfo = info;
    const wantedActive = new Set(info.active);
    const wantedStandby = new Set(info.standby);
    const byTask = groupPartitionsByTask(
      this.topology,
      this.applicationId,
      assignment.partitions,
      info.active,
    );
    const handoff = { admin: this.admin!, groupId: this.applicationId, logger: this.logger };

    // Whatever was processed goes out before tasks move: fewer duplicates for the next owner.
    await this.commitAll().catch((error) =>
      this.logger.warn({ err: error }, 'commit before rebalance failed'),
    );
    // Let go exactly of the tasks the leader expects this member to hand over: the new owners wait for them.
    const releases = new Set(info.releases);
    const released: ReleasedTask[] = [];
    for (const [id, task] of [...this.tasks]) {
      if (wantedActive.has(id)) continue;
      if (releases.delete(id))
        released.push({ id, inputs: task.active.inputs, positions: task.active.positions() });
      await this.closeTask(id, task, true);
    }
    for (const id of releases) released.push({ id, inputs: this.inputsOf(id), positions: [] });
    if (!eos)
      await release(handoff, this.consumer!, released, info.rebalance).catch((error: unknown) =>
        this.logger.warn({ err: error, tasks: released.map((t) => t.id) }, 'could not mark tasks released'),
      );
    for (const [id, standby] of [...this.standbys]) {
      if (!wantedStandby.has(id)) {
        await this.factory!.closeStandby(standby);
        this.standbys.delete(id);
      }
    }

    const incoming = info.active.filter((id) => !this.tasks.has(id));
    const handedOver = incoming.filter((id) => info.handoffs.includes(id));
    if (!eos && handedOver.length > 0) {
      const outcome = await awaitRelease(
        handoff,
        handedOver.flatMap((id) => byTask.get(id) ?? []),
        info.rebalance,
        {
          timeoutMs: this.options.config.sessionTimeoutMs,
          cancelled: () =>
            assignment.superseded() || this.stateValue === 'stopping' || this.stateValue === 'failed',
        },
      );
      // A newer assignment is coming: it will say again what to create.
      if (outcome === 'superseded') return;
      if (outcome === 'timed out')
        this.logger.warn(
          { tasks: handedOver },
          'the previous owner did not hand these tasks over in time; starting them from the last commit',
        );
    }
    for (const id of info.active) {
      // Kept across the rebalance: the client rewinds to the committed offset; continue from our own position.
      for (const position of this.tasks.get(id)?.active.fetchPositions() ?? []) this.consumer!.seek(position);
    }
    // One after another: restoring is CPU-bound in this one thread, so side by side gains nothing.
    for (const id of incoming) await this.startTask(id, byTask.get(id) ?? [], handoff);
    for (const id of info.standby)
      if (!this.standbys.has(id)) this.standbys.set(id, await this.factory!.createStandby(id));
    this.consumer!.resume(assignment.partitions);
    if (this.stateValue === 'rebalancing') this.stateValue = 'running';
    for (const listener of this.assignmentListeners) listener();
    this.logger.info(
      {
        generation: assignment.generationId,
        active: info.active,
        standby: info.standby,
        ms: Date.now() - started,
      },
      'tasks assigned',
    );
    this.wakeUp?.();
  }

  /** Creates and restores a task that is new to this worker, and sets where it starts reading. */
  private async startTask(
    id: string,
    inputs: readonly TopicPartition[],
    handoff: HandoffContext,
  ): Promise<void> {
    const standby = this.standbys.get(id);
    if (standby) {
      this.standbys.delete(id);
      await this.factory!.closeStandby(standby);
    }
    const restoreStarted = Date.now();
    const created = await this.factory!.createActive(id, inputs);
    this.metrics.restoreMs += Date.now() - restoreStarted;
    created.task.recordLatency = this.metrics.recordLatencySeconds;
    const running: RunningTask = {
      active: created.task,
      producer: created.producer,
      sending: Promise.resolve(),
      transactionOpen: false,
    };
    this.tasks.set(id, running);
    for (const partition of created.task.inputs) this.owners.set(partitionKey(partition), running);
    // Read now, after the restore (and under exactly-once after fencing the previous owner): the
    // client's own view dates from the end of the rebalance, before the previous owner finished.
    const positions = await startPositions(handoff, created.task.inputs);
    created.task.startAt(positions);
    for (const position of positions) this.consumer!.seek(position);
  }

  private async loop(): Promise<void> {
    const { config } = this.options;
    while (this.stateValue !== 'stopping' && this.stateValue !== 'stopped' && this.stateValue !== 'failed') {
      // No processing while tasks are being reconciled: a record processed between the reconcile's
      // commit and a task's close would have its offset handed over without its changelog write.
      // A reconcile may begin while this loop waits for the previous one: wait until none is new.
      for (let current = this.reconciling; ; current = this.reconciling) {
        await current;
        if (current === this.reconciling) break;
      }
      let processed = 0;
      try {
        const now = Date.now();
        for (const task of this.tasks.values()) {
          const count = task.active.process(SLICE_RECORDS, now);
          processed += count;
          if (count > 0) this.resumeDrained(task.active);
          task.active.task.punctuateWallClock();
        }
        this.metrics.processed += processed;
        this.flushOutputs();
        if (this.commitRequested || Date.now() - this.lastCommitMs >= config.commitIntervalMs)
          await this.commitAll();
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (processed === 0) await this.sleep(IDLE_WAIT_MS);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private resumeDrained(active: ActiveTask): void {
    const threshold = this.options.config.maxBufferedRecordsPerPartition / 2;
    const drained = active.inputs.filter((p) => active.queues.size(p) < threshold);
    if (drained.length > 0) this.consumer!.resume(drained);
  }

  /** Hands what the tasks produced to the producers; sends stay in order per producer. */
  private flushOutputs(): void {
    if (this.producer) {
      const batches = [...this.tasks.values()]
        .map((t) => ({ task: t, records: t.active.takeOutput() }))
        .filter((b) => b.records.length > 0);
      if (batches.length === 0) return;
      const producer = this.producer;
      this.alosSending = this.alosSending.then(async () => {
        const written = await producer.send(batches.flatMap((b) => b.records));
        for (const { task } of batches) task.active.acknowledge(written);
      });
      this.alosSending.catch((error: unknown) => this.fail(asError(error)));
      return;
    }
    for (const task of this.tasks.values()) {
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

  /**
   * The commit, in order:
   *  1. every store's changes since the last commit go to its changelog;
   *  2. all sends are acknowledged (at-least-once), or the task's transaction gets the consumed
   *     offsets and commits (exactly-once) — then the output, changelog records and offsets are durable together;
   *  3. stores write their data with the changelog offset it corresponds to, in one LevelDB batch;
   *  4. at-least-once only: the consumed offsets are committed to the group.
   * A crash anywhere leaves the stores at or behind what the changelog holds, so a restart restores the tail.
   */
  private commitAll(): Promise<void> {
    const next = this.committing.then(() => this.commitNow());
    this.committing = next.catch(() => undefined);
    return next;
  }

  private async commitNow(): Promise<void> {
    this.commitRequested = false;
    this.lastCommitMs = Date.now();
    // Standbys persist how far they followed, so a takeover (or a restart) restores only the rest.
    await Promise.all([...this.standbys.values()].map((s) => this.factory!.commitStandby(s)));
    if (this.tasks.size === 0) return;
    const started = Date.now();
    for (const task of this.tasks.values()) task.active.drainChangelogs();
    this.flushOutputs();
    if (this.producer) {
      await this.alosSending;
      await Promise.all([...this.tasks.values()].map((t) => t.active.commitStores()));
      const offsets = [...this.tasks.values()].flatMap((t) => t.active.offsetsToCommit());
      try {
        if (offsets.length > 0) await this.consumer!.commit(offsets);
        for (const task of this.tasks.values()) task.active.markCommitted();
      } catch (error) {
        // A rebalance refused the commit: harmless under at-least-once (the next owner reprocesses a little).
        if (!(error instanceof TributaryError && error.retriable)) throw error;
        this.logger.warn({ err: error }, 'offsets not committed: the group is rebalancing');
      }
    } else {
      await Promise.all([...this.tasks].map(([id, task]) => this.commitTransaction(id, task)));
    }
    this.metrics.commits++;
    this.metrics.commitMs += Date.now() - started;
    this.metrics.commitSeconds.observe((Date.now() - started) / 1000);
  }

  private async commitTransaction(id: string, task: RunningTask): Promise<void> {
    try {
      await task.sending;
      const offsets = task.active.offsetsToCommit();
      if (offsets.length > 0 || task.transactionOpen) {
        if (!task.transactionOpen) {
          await task.producer!.begin();
          task.transactionOpen = true;
        }
        if (offsets.length > 0) await task.producer!.sendOffsets(this.applicationId, offsets);
        await task.producer!.commit();
        task.transactionOpen = false;
      }
      await task.active.commitStores();
      task.active.markCommitted();
    } catch (error) {
      if (!isFencedError(error)) throw error;
      // Another worker runs this task now (we were too slow and got fenced): drop it without committing.
      this.logger.warn({ task: id }, 'task migrated to another worker (producer fenced); closing it');
      await this.closeTask(id, task, false);
    }
  }

  private async closeTask(id: string, task: RunningTask, committed: boolean): Promise<void> {
    this.tasks.delete(id);
    addDropped(this.metrics.droppedInClosedTasks, task.active.task);
    for (const partition of task.active.inputs) {
      if (this.owners.get(partitionKey(partition)) === task) this.owners.delete(partitionKey(partition));
      this.fetched.delete(partitionKey(partition));
    }
    if (task.transactionOpen) await task.producer?.abort().catch(() => undefined);
    if (committed) await task.active.commitStores().catch(() => undefined);
    await task.active.close();
    await task.producer?.close().catch(() => undefined);
  }

  /** The input partitions of a task, from the topology and the partition counts. */
  private inputsOf(taskId: string): TopicPartition[] {
    const { subtopology, partition } = parseTaskId(taskId);
    return (this.topology.subtopologies[subtopology]?.sourceTopics ?? [])
      .map((ref) => Topology.topicName(ref, this.applicationId))
      .filter((topic) => partition < (this.topicCounts.get(topic) ?? 0))
      .map((topic) => ({ topic, partition }));
  }

  private partitionCount(topic: string): number {
    const count = this.topicCounts.get(topic);
    if (count === undefined)
      throw new TopologyError(
        `topic "${topic}" is not known to application "${this.applicationId}"; does it exist?`,
      );
    return count;
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}

function groupPartitionsByTask(
  topology: Topology,
  applicationId: string,
  partitions: readonly TopicPartition[],
  tasks: readonly string[],
): Map<string, TopicPartition[]> {
  const byTask = new Map<string, TopicPartition[]>(tasks.map((t) => [t, []]));
  for (const sub of topology.subtopologies) {
    const topics = new Set(sub.sourceTopics.map((t) => Topology.topicName(t, applicationId)));
    for (const partition of partitions) {
      if (!topics.has(partition.topic)) continue;
      byTask.get(`${sub.id}_${partition.partition}`)?.push(partition);
    }
  }
  return byTask;
}

/** Every topic a store may be restored from: changelogs, tables' source topics, global topics. */
function changelogTopics(topology: Topology, applicationId: string): string[] {
  const topics = new Set<string>();
  for (const name of topology.stores.keys()) {
    const topic = topology.changelogTopic(name, applicationId);
    if (topic) topics.add(topic);
  }
  for (const global of topology.globalStores.values())
    topics.add(Topology.topicName(global.source.topics[0]!, applicationId));
  return [...topics];
}

function addDropped(counts: Map<string, number>, task: StreamTask): void {
  for (const [reason, count] of task.droppedRecords) counts.set(reason, (counts.get(reason) ?? 0) + count);
  if (task.skippedByHandlers > 0)
    counts.set('error-handler', (counts.get('error-handler') ?? 0) + task.skippedByHandlers);
}

function partitionKey(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}

function usesDeadLetters(config: WorkerConfig): boolean {
  return (
    config.errorHandling.deserialization === 'dead-letter' ||
    config.errorHandling.processing === 'dead-letter'
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(errorMessage(error));
}
