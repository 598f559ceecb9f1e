import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TopologyError } from '../errors.ts';
import { systemClock } from '../common/clock.ts';
import type { StateStore } from '../state/api.ts';
import type { ChangelogRecord } from '../state/bytes.ts';
import { DEFAULT_RECORD_CACHE_MAX_BYTES, RecordCache } from '../state/cache/record-cache.ts';
import type { ManagedStore } from '../state/managed-store.ts';
import { openStore } from '../state/managed-store.ts';
import { CoalescedRuns } from '../runtime/coalesced-runs.ts';
import type { ErrorHandling } from '../runtime/error-handling.ts';
import type { Logger } from '../common/logger.ts';
import type { ConsumedRecord, RecordCollector } from '../runtime/records.ts';
import { sourceTopicTarget } from '../runtime/source-topic-target.ts';
import { StreamTask } from '../runtime/stream-task.ts';
import { TaskState, type ChangelogReader, type ProcessedOffset } from '../runtime/task-state.ts';
import { resolvePartitions, type PartitionLayout } from '../topology/partitions.ts';
import { Topology, type Subtopology } from '../topology/topology.ts';
import type { InMemoryBroker, StoredRecord } from './in-memory-broker.ts';
import { nextOffset, toOffset, type Offset } from '../common/offset.ts';

export interface AppInstanceOptions {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly broker: InMemoryBroker;
  /** Base directory of the LevelDB stores. */
  readonly stateDir: string;
  readonly wallClock: () => number;
  readonly errorHandling: ErrorHandling;
  readonly logger: Logger;
  /** The size of the application's record cache (default 10 MiB, as Kafka Streams'); 0 turns it off. */
  readonly recordCacheMaxBytes?: number;
  /**
   * Whether the record cache is flushed after each record and each wall-clock punctuation, as Kafka
   * Streams' `TopologyTestDriver` commits after each (default); otherwise only by `flushCaches` or
   * when full, as between a worker's commits.
   */
  readonly commitEachRecord?: boolean;
}

interface TaskEntry {
  readonly task: StreamTask;
  readonly state: TaskState;
  /** The next offset to process of each source topic the task's tables are restored from. */
  readonly processed: Map<string, Offset>;
  readonly processedOffset: ProcessedOffset;
  /** The latest persist of the task's stores (each covers the ones before). */
  persisted: Promise<void>;
}

/**
 * One application running all of its tasks on the in-memory broker: the engine of the test driver and
 * of replay. Records are delivered one at a time; what the tasks produce is appended to the broker.
 * Each task's state (stores, changelogs, checkpoints, restore, commit) is a `TaskState`, as on a
 * worker; the in-memory broker acknowledges an append at once, so a commit needs no waiting until
 * the stores persist, which runs in the background (`flush` waits for it).
 */
export class AppInstance {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly layout: PartitionLayout;
  private readonly options: AppInstanceOptions;
  private readonly tasks = new Map<string, TaskEntry>();
  private readonly tasksByTopic = new Map<string, Map<number, TaskEntry>>();
  private readonly globalStores = new Map<string, ManagedStore>();
  private readonly globalTasksByTopic = new Map<string, StreamTask>();
  /** Persists of the global stores (no changelog of their own: rebuilt from their topics at start). */
  private readonly globalPersists = new CoalescedRuns();
  private globalPersisted: Promise<void> | undefined;
  /** Whether a record was delivered or a punctuation fired since the last commit (true at start). */
  private activeSinceCommit = true;
  private persistError: unknown;
  private readonly recordCache: RecordCache;
  private readonly commitEachRecord: boolean;

  private constructor(options: AppInstanceOptions, layout: PartitionLayout) {
    this.options = options;
    this.applicationId = options.applicationId;
    this.topology = options.topology;
    this.layout = layout;
    this.recordCache = new RecordCache(options.recordCacheMaxBytes ?? DEFAULT_RECORD_CACHE_MAX_BYTES);
    this.commitEachRecord = options.commitEachRecord ?? true;
  }

  static async start(options: AppInstanceOptions): Promise<AppInstance> {
    const { topology, applicationId, broker } = options;
    const layout = resolvePartitions(topology, applicationId, (topic) => broker.partitionCount(topic));
    for (const [topic, partitions] of layout.topics) broker.createTopic(topic, partitions);
    const instance = new AppInstance(options, layout);
    try {
      await instance.openGlobalStores();
      for (const sub of topology.subtopologies) {
        const tasks = layout.tasksPerSubtopology.get(sub.id)!;
        for (let partition = 0; partition < tasks; partition++) await instance.createTask(sub, partition);
      }
    } catch (error) {
      await instance.close();
      throw error;
    }
    return instance;
  }

  /** Whether this application reads the topic. */
  reads(topic: string): boolean {
    return this.tasksByTopic.has(topic) || this.globalTasksByTopic.has(topic);
  }

  deliver(record: StoredRecord): void {
    const consumed: ConsumedRecord = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: record.key,
      value: record.value,
      timestamp: record.timestamp,
      headers: record.headers,
    };
    this.activeSinceCommit = true;
    this.globalTasksByTopic.get(record.topic)?.process(consumed);
    const entry = this.tasksByTopic.get(record.topic)?.get(record.partition);
    if (!entry) return;
    const { task } = entry;
    task.process(consumed);
    if (entry.state.readsSourceTopics) entry.processed.set(record.topic, nextOffset(record.offset));
    if (this.commitEachRecord) task.flushCache();
  }

  /** Fires the wall-clock punctuation that is due; true when any fired. */
  punctuateWallClock(): boolean {
    let fired = false;
    for (const { task } of this.tasks.values()) {
      if (!task.punctuateWallClock()) continue;
      fired = true;
      if (this.commitEachRecord) task.flushCache();
    }
    if (fired) this.activeSinceCommit = true;
    return fired;
  }

  /** Flushes every task's record cache: what a commit does first. */
  flushCaches(): void {
    for (const { task } of this.tasks.values()) {
      if (!task.caches) continue;
      task.flushCache();
      this.activeSinceCommit = true;
    }
  }

  /**
   * Commits every task: each store's changes go to its changelog topic, acknowledged at once by the
   * broker, then the stores persist with the changelog position in the background. Commits come after
   * every input record, far faster than LevelDB writes: those made while a persist waits to start
   * join it (see `TaskState.commit`), and `flush` waits for them.
   */
  commit(): void {
    this.rethrowPersistError();
    // Nothing delivered or punctuated since the last commit: no store changed, nothing to log or write.
    if (!this.activeSinceCommit) return;
    this.activeSinceCommit = false;
    const { broker } = this.options;
    for (const entry of this.tasks.values()) {
      let written: Map<string, Map<number, Offset>> | undefined;
      entry.state.drainChangelogs('all', (record) => {
        const { topic, partition, offset } = broker.append(record);
        written ??= new Map();
        let partitions = written.get(topic);
        if (!partitions) written.set(topic, (partitions = new Map()));
        partitions.set(partition, offset);
      });
      if (written) entry.state.acknowledge(written);
      // A commit made while a persist waits to start joins it: the same promise, already watched.
      const persisted = entry.state.commit(entry.processedOffset);
      if (persisted !== entry.persisted) {
        entry.persisted = persisted;
        persisted.catch(this.notePersistError);
      }
    }
    if (this.globalStores.size > 0) {
      const persisted = this.globalPersists.run(this.persistGlobalStores);
      if (persisted !== this.globalPersisted) {
        this.globalPersisted = persisted;
        persisted.catch(this.notePersistError);
      }
    }
  }

  private readonly notePersistError = (error: unknown): void => {
    this.persistError ??= error;
  };

  private readonly persistGlobalStores = async (): Promise<void> => {
    await Promise.all([...this.globalStores.values()].map((store) => store.commit(undefined)));
  };

  /** Waits until every commit so far is on disk. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.tasks.values()].map((entry) => entry.persisted));
    await this.globalPersists.settled();
    this.rethrowPersistError();
  }

  /** The store of one task (or the global store), for tests to read. */
  store(name: string, partition?: number): StateStore | undefined {
    const global = this.globalStores.get(name);
    if (global) return global.store;
    for (const entry of this.tasks.values()) {
      if (partition !== undefined && entry.task.id.partition !== partition) continue;
      // As processors see it: through the record cache of a caching store.
      if (entry.state.stores.has(name)) return entry.task.store(name);
    }
    return undefined;
  }

  /** Records the tasks' built-in operators dropped (null keys, expired windows), per reason. */
  droppedRecords(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { task } of this.tasks.values())
      for (const [reason, count] of task.droppedRecords)
        counts.set(reason, (counts.get(reason) ?? 0) + count);
    for (const task of this.globalTasksByTopic.values())
      for (const [reason, count] of task.droppedRecords)
        counts.set(reason, (counts.get(reason) ?? 0) + count);
    return counts;
  }

  /** Every partition's copy of a task store. */
  storePartitions(name: string): StateStore[] {
    const global = this.globalStores.get(name);
    if (global) return [global.store];
    return [...this.tasks.values()].flatMap((entry) => {
      const managed = entry.state.stores.get(name);
      return managed ? [managed.store] : [];
    });
  }

  async close(): Promise<void> {
    for (const { task } of this.tasks.values()) task.close();
    await Promise.allSettled([...this.tasks.values()].map((entry) => entry.state.close()));
    await this.globalPersists.settled();
    await Promise.allSettled([...this.globalStores.values()].map((s) => s.close()));
    this.tasks.clear();
    this.rethrowPersistError();
  }

  private async createTask(sub: Subtopology, partition: number): Promise<void> {
    const { stateDir, applicationId, broker, errorHandling, logger } = this.options;
    // Stores stamp changelog records with the time of the record being processed, known only once the task exists.
    const current: { task?: StreamTask } = {};
    const state = await TaskState.open({
      applicationId,
      topology: this.topology,
      subtopology: sub,
      partition,
      stateDir,
      now: () => current.task?.currentTimestamp ?? -1,
    });
    try {
      await state.restore(
        this.changelogReader(),
        {
          sources: sub.sources,
          onDeserializationError: errorHandling.deserialization,
          logger,
          clock: systemClock,
        },
        `${sub.id}_${partition}`,
      );
    } catch (error) {
      await state.close();
      throw error;
    }
    const task = new StreamTask({
      applicationId,
      topology: this.topology,
      subtopology: sub,
      partition,
      stores: new Map([...state.typedStores(), ...this.globalTypedStores()]),
      collector: this.collector(),
      partitionCount: (topic) => broker.partitionCount(topic),
      wallClock: this.options.wallClock,
      errorHandling: this.options.errorHandling,
      logger: this.options.logger,
      recordCache: this.recordCache,
      stateDir: state.directory,
    });
    current.task = task;
    task.init();
    const processed = new Map<string, Offset>();
    const entry: TaskEntry = {
      task,
      state,
      processed,
      processedOffset: (topic) => processed.get(topic),
      persisted: Promise.resolve(),
    };
    this.tasks.set(`${sub.id}_${partition}`, entry);
    for (const topic of task.sourceTopics) {
      const byPartition = this.tasksByTopic.get(topic) ?? new Map<number, TaskEntry>();
      byPartition.set(partition, entry);
      this.tasksByTopic.set(topic, byPartition);
    }
  }

  /**
   * The broker as the task states restore from it: every changelog to its end (a table read from a
   * topic too: the records an application is fed are all it has; it starts before its input comes).
   */
  private changelogReader(): ChangelogReader {
    const { broker } = this.options;
    return {
      restoreEnd: ({ topic, partition }) => Promise.resolve(broker.endOffset(topic, partition)),
      restore: async ({ topic, partition }, from, to, target) => {
        const records = broker
          .read(topic, partition, from)
          .filter((r): r is StoredRecord & ChangelogRecord => r.key !== null && r.offset < to);
        await target.prepare?.(records);
        target.apply(records);
        return records.length;
      },
    };
  }

  private async openGlobalStores(): Promise<void> {
    const { stateDir, applicationId } = this.options;
    const reader = this.changelogReader();
    for (const global of this.topology.globalStores.values()) {
      const current: { task?: StreamTask } = {};
      // As on a worker, a global store has no checkpoint: it is rebuilt from its topic at start.
      const directory = join(stateDir, applicationId, 'global');
      await rm(join(directory, global.store.name), { recursive: true, force: true });
      const managed = await openStore(global.store, {
        directory,
        now: () => current.task?.currentTimestamp ?? -1,
      });
      this.globalStores.set(global.store.name, managed);
      const topic = Topology.topicName(global.source.topics[0]!, applicationId);
      const target = sourceTopicTarget(
        managed,
        global.source,
        topic,
        this.options.errorHandling.deserialization,
        this.options.logger,
      );
      for (let partition = 0; partition < this.options.broker.partitionCount(topic); partition++) {
        const end = await reader.restoreEnd({ topic, partition }, true);
        await reader.restore({ topic, partition }, toOffset(0n), end, target);
      }
      const subtopology: Subtopology = {
        id: -1,
        nodes: [global.source, global.processor],
        sources: [global.source],
        sinks: [],
        sourceTopics: global.source.topics,
        stores: [],
      };
      const task = new StreamTask({
        applicationId,
        topology: this.topology,
        subtopology,
        partition: 0,
        stores: new Map([[global.store.name, managed.store]]),
        collector: {
          send: () => {
            throw new TopologyError('a global store processor cannot produce records');
          },
        },
        partitionCount: (t) => this.options.broker.partitionCount(t),
        wallClock: this.options.wallClock,
        errorHandling: this.options.errorHandling,
        logger: this.options.logger,
      });
      current.task = task;
      task.init();
      this.globalTasksByTopic.set(topic, task);
    }
  }

  private globalTypedStores(): [string, StateStore][] {
    return [...this.globalStores].map(([name, managed]) => [name, managed.store]);
  }

  private collector(): RecordCollector {
    return { send: (record) => void this.options.broker.append(record) };
  }

  private rethrowPersistError(): void {
    if (this.persistError !== undefined) throw this.persistError;
  }
}
