import { join } from 'node:path';
import { TopologyError } from '../errors.ts';
import type { StateStore } from '../state/api.ts';
import { DEFAULT_RECORD_CACHE_MAX_BYTES, RecordCache } from '../state/cache/record-cache.ts';
import type { ManagedStore } from '../state/managed-store.ts';
import { openStore } from '../state/managed-store.ts';
import type { ErrorHandling } from '../runtime/error-handling.ts';
import type { Logger } from '../common/logger.ts';
import type { ConsumedRecord, RecordCollector } from '../runtime/records.ts';
import { StreamTask } from '../runtime/stream-task.ts';
import { openTaskStores, taskDirectory, typedStores } from '../runtime/task-stores.ts';
import { resolvePartitions, type PartitionLayout } from '../topology/partitions.ts';
import { Topology, type Subtopology } from '../topology/topology.ts';
import type { InMemoryBroker, StoredRecord } from './in-memory-broker.ts';

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
  readonly stores: Map<string, ManagedStore>;
}

/**
 * One application running all of its tasks on the in-memory broker: the engine of the test driver and
 * of replay. Records are delivered one at a time; what the tasks produce is appended to the broker.
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
  private persisting: Promise<void> = Promise.resolve();
  /** Each store's checkpoint as of the latest commit, not yet written. */
  private dueCheckpoints = new Map<ManagedStore, number | undefined>();
  private persistQueued = false;
  /** Whether a record was delivered or a punctuation fired since the last commit (true at start). */
  private activeSinceCommit = true;
  private readonly changelogTopics = new Map<ManagedStore, string | null>();
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
      offset: String(record.offset),
      key: record.key,
      value: record.value,
      timestamp: record.timestamp,
      headers: record.headers,
    };
    this.activeSinceCommit = true;
    this.globalTasksByTopic.get(record.topic)?.process(consumed);
    const task = this.tasksByTopic.get(record.topic)?.get(record.partition)?.task;
    if (!task) return;
    task.process(consumed);
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
   * Commits every task: sends each store's changes to its changelog topic, then persists the stores with
   * the changelog position in the background. Commits come after every input record, far faster than
   * LevelDB writes: commits made while a write is pending are coalesced into the next one, which takes
   * each store's latest checkpoint (`flush` waits for it).
   */
  commit(): void {
    this.rethrowPersistError();
    // Nothing delivered or punctuated since the last commit: no store changed, nothing to log or write.
    if (!this.activeSinceCommit) return;
    this.activeSinceCommit = false;
    for (const entry of this.tasks.values()) {
      for (const store of entry.stores.values()) {
        const changelog = this.changelogOf(store);
        const records = store.drainChangelog();
        if (changelog) {
          for (const record of records) {
            this.options.broker.append({
              topic: changelog,
              partition: entry.task.id.partition,
              key: record.key,
              value: record.value,
              timestamp: record.timestamp,
              headers: {},
            });
          }
          this.dueCheckpoints.set(store, this.options.broker.endOffset(changelog, entry.task.id.partition));
        } else {
          this.dueCheckpoints.set(store, undefined);
        }
      }
    }
    for (const store of this.globalStores.values()) this.dueCheckpoints.set(store, undefined);
    if (this.persistQueued) return;
    this.persistQueued = true;
    this.persisting = this.persisting.then(async () => {
      // Processing never awaits, and a commit follows it: what the stores hold now is what the
      // latest checkpoints describe.
      this.persistQueued = false;
      const due = this.dueCheckpoints;
      this.dueCheckpoints = new Map();
      try {
        await Promise.all([...due].map(([store, checkpoint]) => store.commit(checkpoint)));
      } catch (error) {
        this.persistError ??= error;
      }
    });
  }

  /** Waits until every commit so far is on disk. */
  async flush(): Promise<void> {
    await this.persisting;
    this.rethrowPersistError();
  }

  /** The store of one task (or the global store), for tests to read. */
  store(name: string, partition?: number): StateStore | undefined {
    const global = this.globalStores.get(name);
    if (global) return global.store;
    for (const entry of this.tasks.values()) {
      if (partition !== undefined && entry.task.id.partition !== partition) continue;
      // As processors see it: through the record cache of a caching store.
      if (entry.stores.has(name)) return entry.task.store(name);
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
      const managed = entry.stores.get(name);
      return managed ? [managed.store] : [];
    });
  }

  async close(): Promise<void> {
    for (const { task } of this.tasks.values()) task.close();
    await this.persisting;
    const all = [...this.tasks.values()]
      .flatMap((e) => [...e.stores.values()])
      .concat([...this.globalStores.values()]);
    await Promise.allSettled(all.map((s) => s.close()));
    this.tasks.clear();
    this.rethrowPersistError();
  }

  private async createTask(sub: Subtopology, partition: number): Promise<void> {
    const { stateDir, applicationId, broker } = this.options;
    // Stores stamp changelog records with the time of the record being processed, known only once the task exists.
    const current: { task?: StreamTask } = {};
    const now = () => current.task?.currentTimestamp ?? -1;
    const taskDir = taskDirectory(stateDir, applicationId, sub.id, partition);
    const stores = await openTaskStores(sub, taskDir, now);
    this.restore(stores, partition);
    const task = new StreamTask({
      applicationId,
      topology: this.topology,
      subtopology: sub,
      partition,
      stores: new Map([...typedStores(stores), ...this.globalTypedStores()]),
      collector: this.collector(),
      partitionCount: (topic) => broker.partitionCount(topic),
      wallClock: this.options.wallClock,
      errorHandling: this.options.errorHandling,
      logger: this.options.logger,
      recordCache: this.recordCache,
      stateDir: taskDir,
    });
    current.task = task;
    task.init();
    const entry: TaskEntry = { task, stores };
    this.tasks.set(`${sub.id}_${partition}`, entry);
    for (const topic of task.sourceTopics) {
      const byPartition = this.tasksByTopic.get(topic) ?? new Map<number, TaskEntry>();
      byPartition.set(partition, entry);
      this.tasksByTopic.set(topic, byPartition);
    }
  }

  /** Replays what the changelog holds beyond each store's checkpoint (all of it for in-memory stores). */
  private restore(stores: Map<string, ManagedStore>, partition: number): void {
    for (const store of stores.values()) {
      const changelog = this.topology.changelogTopic(store.spec.name, this.applicationId);
      if (!changelog || !this.options.broker.hasTopic(changelog)) continue;
      const records = this.options.broker.read(changelog, partition, store.checkpoint ?? 0);
      store.restore(records.map((r) => ({ key: r.key!, value: r.value, timestamp: r.timestamp })));
    }
  }

  private async openGlobalStores(): Promise<void> {
    const { stateDir, applicationId } = this.options;
    for (const global of this.topology.globalStores.values()) {
      const current: { task?: StreamTask } = {};
      const managed = await openStore(global.store, {
        directory: join(stateDir, applicationId, 'global'),
        now: () => current.task?.currentTimestamp ?? -1,
      });
      this.globalStores.set(global.store.name, managed);
      const topic = Topology.topicName(global.source.topics[0]!, applicationId);
      for (let partition = 0; partition < this.options.broker.partitionCount(topic); partition++) {
        const records = this.options.broker.read(topic, partition, 0);
        managed.restore(
          records
            .filter((r) => r.key !== null)
            .map((r) => ({ key: r.key!, value: r.value, timestamp: r.timestamp })),
        );
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
      current.task = task;
      task.init();
      this.globalTasksByTopic.set(topic, task);
    }
  }

  /** The topic a store's changes go to, when it has its own changelog (asked after every record). */
  private changelogOf(store: ManagedStore): string | undefined {
    let topic = this.changelogTopics.get(store);
    if (topic === undefined) {
      topic = store.spec.logging.sourceTopic
        ? null
        : (this.topology.changelogTopic(store.spec.name, this.applicationId) ?? null);
      this.changelogTopics.set(store, topic);
    }
    return topic ?? undefined;
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
