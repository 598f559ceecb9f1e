import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdminPort, EventLogPort, TopicPartition, TransactionalProducerPort } from '../../kafka/port.ts';
import type { StateStore } from '../../state/api.ts';
import type { RecordCache } from '../../state/cache/record-cache.ts';
import { openStore, type ManagedStore } from '../../state/managed-store.ts';
import { Topology, type Subtopology } from '../../topology/topology.ts';
import type { Clock } from '../../common/clock.ts';
import { toOffset } from '../../common/offset.ts';
import { warnOnFailure, type Logger } from '../../common/logger.ts';
import { StreamTask } from '../stream-task.ts';
import { TaskState, type ChangelogReader } from '../task-state.ts';
import { openTaskStores, taskDirectory } from '../task-stores.ts';
import { parseTaskId } from '../assignment/assignor.ts';
import { ActiveTask } from './active-task.ts';
import type { WorkerConfig } from './config.ts';
import type { Restorer } from './restorer.ts';
import { storeTarget } from '../changelog-target.ts';
import { sourceTopicTarget } from '../source-topic-target.ts';
import { TopologyError } from '../../errors.ts';

export interface TaskFactoryOptions {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly config: WorkerConfig;
  readonly port: EventLogPort;
  readonly admin: AdminPort;
  readonly restorer: Restorer;
  readonly logger: Logger;
  /** The tasks' wall clock (wall-clock punctuation) and restore durations. */
  readonly clock: Clock;
  readonly partitionCount: (topic: string) => number;
  readonly globalStores: ReadonlyMap<string, StateStore>;
  readonly requestCommit: () => void;
  /** The record cache the application's tasks share. */
  readonly recordCache: RecordCache;
}

/** A task created for this worker, with its own transactional producer under exactly-once without `groupFencedOffsets`. */
export interface CreatedTask {
  readonly task: ActiveTask;
  readonly producer: TransactionalProducerPort | undefined;
}

/** A standby replica: the task's stores, kept up to date from their changelogs. */
export interface StandbyTask {
  readonly id: string;
  readonly stores: ReadonlyMap<string, ManagedStore>;
  readonly changelogs: readonly { store: ManagedStore; partition: TopicPartition }[];
}

/**
 * Creates and restores tasks. Under exactly-once with a producer per task, the task's transactional
 * producer is created first: that fences any zombie with the same transactional id and aborts its
 * open transaction, so the changelog's end is final before the restore reads up to it. With one
 * producer per member (`groupFencedOffsets`) the previous owner is fenced by the group generation
 * instead: its open transaction can no longer commit, and the restore, reading committed records only,
 * waits until it is aborted (by the previous owner, or by the coordinator at its timeout).
 */
export class TaskFactory {
  private readonly options: TaskFactoryOptions;

  /** Where active tasks restore from: changelogs to their end, a source topic to the group's committed offset. */
  private readonly changelogs: ChangelogReader;

  constructor(options: TaskFactoryOptions) {
    this.options = options;
    const { admin, applicationId, restorer } = options;
    this.changelogs = {
      restoreEnd: async ({ topic, partition }, sourceTopic) =>
        sourceTopic
          ? ((await admin.committedOffsets(applicationId, topic)).get(partition)?.offset ?? toOffset(0n))
          : ((await admin.offsets(topic)).get(partition)?.high ?? toOffset(0n)),
      restore: (partition, from, to, target) => restorer.restore(partition, from, to, target),
    };
  }

  /**
   * Creates a task and restores its stores; undefined, with nothing left open, when `stale` says the
   * assignment it was asked for is outdated before the producer or the stores are made (see
   * Reconciler).
   */
  async createActive(
    taskId: string,
    inputs: readonly TopicPartition[],
    stale: () => boolean = () => false,
  ): Promise<CreatedTask | undefined> {
    const { applicationId, topology, config, port, logger } = this.options;
    const { sub, partition } = this.subtopologyOf(taskId);
    if (stale()) return undefined;
    // Where the event log fences offsets by the group generation, the member's one producer serves
    // every task (see ThreadProducer); else each task has its own, fencing its previous owner's.
    const producer =
      config.processingGuarantee === 'exactly-once' && !port.groupFencedOffsets
        ? await port.transactionalProducer({
            transactionalId: `${applicationId}-${taskId}`,
            clientId: `${config.clientId}-${applicationId}-${taskId}`,
          })
        : undefined;
    if (stale()) {
      await producer
        ?.close()
        .catch(warnOnFailure(logger, 'closing the producer of a task no longer assigned', { task: taskId }));
      return undefined;
    }
    const current: { task?: StreamTask } = {};
    let state: TaskState;
    try {
      state = await TaskState.open({
        applicationId,
        topology,
        subtopology: sub,
        partition,
        stateDir: config.stateDir,
        now: () => current.task?.currentTimestamp ?? -1,
      });
    } catch (error) {
      await producer?.close();
      throw error;
    }
    try {
      await state.restore(
        this.changelogs,
        {
          sources: sub.sources,
          onDeserializationError: config.errorHandling.deserialization,
          logger,
          clock: this.options.clock,
        },
        taskId,
      );
    } catch (error) {
      await state.close();
      await producer?.close();
      throw error;
    }
    // The task sends through the active task's collector; the two reference each other.
    const holder: { active?: ActiveTask } = {};
    const task = new StreamTask({
      applicationId,
      topology,
      subtopology: sub,
      partition,
      stores: new Map([...state.typedStores(), ...this.options.globalStores]),
      collector: { send: (record) => holder.active!.collect(record) },
      partitionCount: this.options.partitionCount,
      wallClock: () => this.options.clock.now(),
      errorHandling: config.errorHandling,
      logger,
      requestCommit: this.options.requestCommit,
      recordCache: this.options.recordCache,
      stateDir: state.directory,
    });
    current.task = task;
    const active = new ActiveTask({ task, state, inputs, maxTaskIdleMs: config.maxTaskIdleMs });
    holder.active = active;
    task.init();
    return { task: active, producer };
  }

  async createStandby(taskId: string): Promise<StandbyTask> {
    const { applicationId, topology, config, restorer } = this.options;
    const { sub, subtopology, partition } = this.subtopologyOf(taskId);
    const stores = await openTaskStores(
      sub,
      taskDirectory(config.stateDir, applicationId, subtopology, partition),
      () => -1,
    );
    const changelogs: { store: ManagedStore; partition: TopicPartition }[] = [];
    for (const store of stores.values()) {
      const topic = topology.changelogTopic(store.spec.name, applicationId);
      // Stores restored from a source topic are caught up by the active task itself; standbys follow changelogs only.
      if (!topic || store.spec.logging.sourceTopic) continue;
      const changelog = { topic, partition };
      changelogs.push({ store, partition: changelog });
      await restorer.follow(changelog, store.checkpoint ?? toOffset(0n), storeTarget(store));
    }
    return { id: taskId, stores, changelogs };
  }

  /** Persists a standby's stores at the position its followers reached, so a takeover restores only the rest. */
  async commitStandby(standby: StandbyTask): Promise<void> {
    await Promise.all(
      standby.changelogs.map(({ store, partition }) => {
        const position = this.options.restorer.position(partition);
        return store.commit(position ?? store.checkpoint);
      }),
    );
  }

  async closeStandby(standby: StandbyTask): Promise<void> {
    // Persist the followers' positions while they still exist: unfollowing forgets them.
    await this.commitStandby(standby).catch((error: unknown) =>
      this.options.logger.warn({ err: error, task: standby.id }, 'could not save a standby replica'),
    );
    for (const { partition } of standby.changelogs) await this.options.restorer.unfollow(partition);
    await Promise.allSettled([...standby.stores.values()].map((s) => s.close()));
  }

  /** Opens the global stores afresh and loads their topics in full. */
  async openGlobalStores(): Promise<Map<string, ManagedStore>> {
    const { applicationId, topology, config, admin, restorer, logger, clock } = this.options;
    const stores = new Map<string, ManagedStore>();
    for (const global of topology.globalStores.values()) {
      // A global store has no single changelog position to check: it is rebuilt from its topic at start.
      const directory = join(config.stateDir, applicationId, 'global');
      await rm(join(directory, global.store.name), { recursive: true, force: true });
      const store = await openStore(global.store, { directory, now: () => -1 });
      stores.set(global.store.name, store);
      const topic = Topology.topicName(global.source.topics[0]!, applicationId);
      const target = sourceTopicTarget(
        store,
        global.source,
        topic,
        config.errorHandling.deserialization,
        logger,
      );
      const started = clock.now();
      let restored = 0;
      for (const [partition, range] of await admin.offsets(topic)) {
        restored += await restorer.restore({ topic, partition }, range.low, range.high, target);
        await restorer.follow({ topic, partition }, range.high, target);
      }
      logger.info(
        { store: global.store.name, topic, records: restored, ms: clock.now() - started },
        'global store loaded',
      );
    }
    return stores;
  }

  /** The sub-topology a task runs, and its partition. */
  private subtopologyOf(taskId: string): { sub: Subtopology; subtopology: number; partition: number } {
    const { subtopology, partition } = parseTaskId(taskId);
    const sub = this.options.topology.subtopologies[subtopology];
    if (!sub)
      throw new TopologyError(
        `task ${taskId} names sub-topology ${subtopology}, which this topology does not have`,
      );
    return { sub, subtopology, partition };
  }
}
