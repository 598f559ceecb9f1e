import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logger.ts';
import { nextOffset, toOffset, type Offset } from '../common/offset.ts';
import type { OutgoingRecord, TopicPartition } from '../kafka/port.ts';
import type { StateStore } from '../state/api.ts';
import type { TimestampSource } from '../state/change-logger.ts';
import type { ManagedStore } from '../state/managed-store.ts';
import type { SourceNodeDef } from '../topology/physical.ts';
import { Topology, type Subtopology } from '../topology/topology.ts';
import { storeTarget, type ChangelogTarget } from './changelog-target.ts';
import { CoalescedRuns } from './coalesced-runs.ts';
import type { ErrorHandlerChoice } from './error-handling.ts';
import { sourceTopicTarget } from './source-topic-target.ts';
import { openTaskStores, taskDirectory, typedStores } from './task-stores.ts';

/**
 * How many changes a store keeps for its changelog before they go out ahead of the commit: bounds the
 * memory they hold and the size of the sends a commit waits for, while a key changed again and again
 * between commits still costs one changelog record (Kafka Streams' record cache flushes when full, too).
 */
export const CHANGELOG_FLUSH_RECORDS = 5_000;
export const CHANGELOG_FLUSH_BYTES = 1024 * 1024;

/** The event log a task's stores are restored from: Kafka or the embedded log on a worker, the in-memory log in the test driver. */
export interface ChangelogReader {
  /**
   * Where a store's restore ends: its changelog partition's end, or for a table read from a source
   * topic (`sourceTopic`), the offset the task goes on processing that topic from — it processes
   * the rest itself.
   */
  restoreEnd(partition: TopicPartition, sourceTopic: boolean): Promise<Offset>;
  /** Applies the partition's records from `from` up to `to` to the target; resolves with how many it applied. */
  restore(partition: TopicPartition, from: Offset, to: Offset, target: ChangelogTarget): Promise<number>;
}

/** What a restore needs besides the log: how to read a source topic's records, and where to say what it did. */
export interface RestoreContext {
  /** The sub-topology's sources: a table read from a topic is restored through its source's serdes. */
  readonly sources: readonly SourceNodeDef[];
  /** What a source-topic record that does not deserialize does to the restore: fail it, or be skipped. */
  readonly onDeserializationError: ErrorHandlerChoice;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** The last offset the event log acknowledged per topic and partition (a send's `WrittenOffsets`). */
export type AcknowledgedOffsets = ReadonlyMap<string, ReadonlyMap<number, Offset>>;

/** The next offset of a source topic the task has processed, if it processed any. */
export type ProcessedOffset = (topic: string) => Offset | undefined;

/** Where a store with no checkpoint restores from: its changelog's start. */
const FIRST_OFFSET = toOffset(0n);

const NOTHING_TO_PERSIST: Promise<void> = Promise.resolve();

export interface TaskStateOptions {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly subtopology: Subtopology;
  readonly partition: number;
  /** The application's state directory base (LevelDB stores live under the task's directory in it). */
  readonly stateDir: string | undefined;
  /** The timestamp of the record being processed, stamped on changelog records. */
  readonly now: TimestampSource;
}

/**
 * The state of one task, as Kafka Streams' `ProcessorStateManager` keeps it, the same under the test
 * driver and on a worker: the task's stores, their changelog topics, the changes each store captured
 * since it was last drained, the checkpoint each store persists with its data, restore and commit.
 *
 * A commit, whoever drives it, goes: the task's record cache is flushed (the task's business); every
 * store's remaining changes are drained to its changelog (`drainChangelogs`); the event log
 * acknowledges them (`acknowledge`: under exactly-once, once the transaction commits); then `commit`
 * persists every store's data with the changelog offset it corresponds to, in one LevelDB batch per
 * store. The checkpoint of a store is the end of its changelog as the acknowledgements tell, or for a
 * table read from a source topic the next offset of that topic the task has processed; a store with
 * neither keeps the one it has. So a store's data never lies behind its checkpoint, and a restore
 * from the checkpoint to the changelog's end brings it back.
 */
export class TaskState {
  readonly applicationId: string;
  readonly directory: string | undefined;
  readonly partition: number;
  readonly stores: ReadonlyMap<string, ManagedStore>;
  /** Stores with a changelog topic of their own: the topic. */
  private readonly changelogOf: ReadonlyMap<string, string>;
  /** The same stores with their changelog topics, in the order their changes are drained. */
  private readonly logged: readonly { readonly store: ManagedStore; readonly topic: string }[];
  /** Stores restored from a source topic (tables read from a topic): their topic, which is their changelog. */
  private readonly sourceTopicOf: ReadonlyMap<string, string>;
  /** The end of each changelog partition this task wrote to, as far as acknowledgements tell. */
  private readonly changelogEnds = new Map<string, Offset>();
  /** Persists of the stores, one at a time; commits asked for while one waits to start join it. */
  private readonly persists = new CoalescedRuns();

  private constructor(
    options: TaskStateOptions,
    directory: string | undefined,
    stores: Map<string, ManagedStore>,
  ) {
    this.applicationId = options.applicationId;
    this.directory = directory;
    this.partition = options.partition;
    this.stores = stores;
    const changelogOf = new Map<string, string>();
    const sourceTopicOf = new Map<string, string>();
    const logged: { store: ManagedStore; topic: string }[] = [];
    for (const [name, store] of stores) {
      const topic = options.topology.changelogTopic(name, options.applicationId);
      if (!topic) continue;
      if (store.spec.logging.sourceTopic) sourceTopicOf.set(name, topic);
      else {
        changelogOf.set(name, topic);
        logged.push({ store, topic });
      }
    }
    this.changelogOf = changelogOf;
    this.logged = logged;
    this.sourceTopicOf = sourceTopicOf;
  }

  /** Opens the task's stores (`<stateDir>/<applicationId>/<subtopology>_<partition>/<store>`). */
  static async open(options: TaskStateOptions): Promise<TaskState> {
    const directory =
      options.stateDir === undefined
        ? undefined
        : taskDirectory(options.stateDir, options.applicationId, options.subtopology.id, options.partition);
    const stores = await openTaskStores(options.subtopology, directory, options.now);
    return new TaskState(options, directory, stores);
  }

  /** The stores as processors use them. */
  typedStores(): Map<string, StateStore> {
    return typedStores(this.stores);
  }

  /** Whether a store is restored from a source topic: the task must tell `commit` how far it processed it. */
  get readsSourceTopics(): boolean {
    return this.sourceTopicOf.size > 0;
  }

  /**
   * Restores each logged store from its checkpoint to where the reader says its restore ends, then
   * persists it with that position as its checkpoint. A table read from a topic goes through its
   * source's serdes (and deserialization handler) when they differ from the store's.
   */
  async restore(reader: ChangelogReader, context: RestoreContext, taskId: string): Promise<void> {
    const { logger, clock } = context;
    const { partition } = this;
    for (const [name, store] of this.stores) {
      const sourceTopic = this.sourceTopicOf.get(name);
      const topic = sourceTopic ?? this.changelogOf.get(name);
      if (topic === undefined) continue;
      const end = await reader.restoreEnd({ topic, partition }, sourceTopic !== undefined);
      const from = store.checkpoint ?? FIRST_OFFSET;
      if (from >= end) {
        if (from > 0n)
          logger.info(
            { task: taskId, store: name, changelog: topic, partition, at: from.toString() },
            'store up to date',
          );
        continue;
      }
      const started = clock.now();
      logger.info(
        { task: taskId, store: name, changelog: topic, partition, from: from.toString(), to: end.toString() },
        'restoring store',
      );
      // A store's own changelog is loaded in bulk where the store can: written to disk as it comes,
      // with nothing kept per record to answer reads (nothing reads the store before it is restored).
      const bulk = sourceTopic ? undefined : await store.bulkRestore?.();
      const target =
        bulk ??
        (sourceTopic
          ? sourceTopicTarget(
              store,
              context.sources.find((s) =>
                s.topics.some((t) => Topology.topicName(t, this.applicationId) === sourceTopic),
              ),
              sourceTopic,
              context.onDeserializationError,
              logger,
            )
          : storeTarget(store));
      const restored = await reader.restore({ topic, partition }, from, end, target);
      await (bulk ? bulk.finish(end) : store.commit(end));
      const ms = clock.now() - started;
      logger.info(
        {
          task: taskId,
          store: name,
          records: restored,
          ms,
          recordsPerSecond: ms > 0 ? Math.round((restored * 1000) / ms) : restored,
        },
        'store restored',
      );
    }
  }

  /**
   * Hands the stores' changes since the last drain to `send`, addressed to their changelogs: every
   * store's (a commit), or only those of stores holding more than the flush bounds. A drain takes all
   * of a store's pending changes, so a key's later change always follows its earlier one.
   */
  drainChangelogs(which: 'all' | 'over-bound', send: (record: OutgoingRecord) => void): void {
    for (const { store, topic } of this.logged) {
      if (which === 'over-bound') {
        const pending = store.pendingChanges;
        if (pending.records < CHANGELOG_FLUSH_RECORDS && pending.bytes < CHANGELOG_FLUSH_BYTES) continue;
      }
      for (const change of store.drainChangelog()) {
        send({
          topic,
          partition: this.partition,
          key: change.key,
          value: change.value,
          timestamp: change.timestamp,
          headers: {},
        });
      }
    }
  }

  /** Learns changelog ends from what the event log acknowledged (the last offset written per partition). */
  acknowledge(written: AcknowledgedOffsets): void {
    for (const topic of this.changelogOf.values()) {
      const last = written.get(topic)?.get(this.partition);
      if (last !== undefined) this.changelogEnds.set(topic, nextOffset(last));
    }
  }

  /**
   * Persists every store with the checkpoint its data corresponds to (see the class). `processed`
   * tells the next offset of a source topic the task has processed. The checkpoints are taken when the
   * persist starts, with the data written by then: a commit asked for while another persist runs
   * waits for it, and commits asked for meanwhile are one persist (the test driver commits after
   * every record, far faster than LevelDB writes). Resolves once the stores are on disk.
   */
  commit(processed: ProcessedOffset = () => undefined): Promise<void> {
    if (this.stores.size === 0) return NOTHING_TO_PERSIST;
    return this.persists.run(() => this.persist(processed));
  }

  /** Closes the stores (what they did not persist is restored from the changelog next time). */
  async close(): Promise<void> {
    await this.persists.settled();
    await Promise.allSettled([...this.stores.values()].map((s) => s.close()));
  }

  private async persist(processed: ProcessedOffset): Promise<void> {
    await Promise.all(
      [...this.stores].map(([name, store]) => {
        const changelog = this.changelogOf.get(name);
        const source = this.sourceTopicOf.get(name);
        const end = changelog
          ? this.changelogEnds.get(changelog)
          : source === undefined
            ? undefined
            : processed(source);
        return store.commit(end ?? store.checkpoint);
      }),
    );
  }
}
