import type {
  LogRecord,
  OutgoingRecord,
  RecordBatch,
  TopicPartition,
  TopicPartitionOffset,
  WrittenOffsets,
} from '../../kafka/port.ts';
import { taskIdString } from '../../processor/api.ts';
import type { ManagedStore } from '../../state/managed-store.ts';
import type { Histogram } from '../histogram.ts';
import type { Topology } from '../../topology/topology.ts';
import type { StreamTask } from '../stream-task.ts';
import { PartitionGroup } from './partition-group.ts';
import type { StartPosition } from './handoff.ts';

/**
 * How many changes a store keeps for its changelog before they go out ahead of the commit: bounds the
 * memory they hold and the size of the sends a commit waits for, while a key changed again and again
 * between commits still costs one changelog record (Kafka Streams' record cache flushes when full, too).
 */
export const CHANGELOG_FLUSH_RECORDS = 5_000;
export const CHANGELOG_FLUSH_BYTES = 1024 * 1024;

/**
 * A task this worker runs: the stream task, its stores, the records waiting for it, and how far it has
 * got in each input partition (what the next commit may commit).
 */
export class ActiveTask {
  readonly id: string;
  readonly task: StreamTask;
  readonly stores: ReadonlyMap<string, ManagedStore>;
  readonly inputs: readonly TopicPartition[];
  readonly queues: PartitionGroup;
  /** Records the task produced that are not handed to a producer yet. */
  private output: OutgoingRecord[] = [];
  /** Next offset to consume per input partition, as processed so far. */
  private readonly processed = new Map<string, TopicPartitionOffset>();
  private processedSinceCommit = false;
  /** The end of each changelog partition this task wrote to, as far as acknowledged sends tell. */
  private readonly changelogEnds = new Map<string, bigint>();
  private readonly changelogOf: ReadonlyMap<string, string>;
  /** Stores restored from a source topic (tables read from a topic): their topic, which is their changelog. */
  private readonly sourceTopicOf: ReadonlyMap<string, string>;
  /** What the last fetch of each input partition said: where fetching got to and the log's end (for lag). */
  private readonly lastFetch = new Map<string, { next: bigint; end: bigint }>();
  processedRecords = 0;
  /** Where to observe each record's latency (processing time minus record timestamp), if anywhere. */
  recordLatency: Histogram | undefined;

  constructor(options: {
    task: StreamTask;
    stores: ReadonlyMap<string, ManagedStore>;
    inputs: readonly TopicPartition[];
    maxTaskIdleMs: number;
    topology: Topology;
    applicationId: string;
  }) {
    this.task = options.task;
    this.id = taskIdString(options.task.id);
    this.stores = options.stores;
    this.inputs = options.inputs;
    this.queues = new PartitionGroup(
      options.inputs.map((p) => ({ ...p, nextOffset: 0n })),
      options.maxTaskIdleMs,
    );
    const changelogOf = new Map<string, string>();
    const sourceTopicOf = new Map<string, string>();
    for (const [name, store] of options.stores) {
      const topic = options.topology.changelogTopic(name, options.applicationId);
      if (topic) (store.spec.logging.sourceTopic ? sourceTopicOf : changelogOf).set(name, topic);
    }
    this.changelogOf = changelogOf;
    this.sourceTopicOf = sourceTopicOf;
  }

  get partition(): number {
    return this.task.id.partition;
  }

  /** Collects what the stream task sends (sinks, dead letters) until the runner hands it to a producer. */
  collect(record: OutgoingRecord): void {
    this.output.push(record);
  }

  /**
   * Processes up to `max` ready records, stopping early once `deadline` (`performance.now()` time) has
   * passed; returns how many it processed.
   */
  process(max: number, now: number, deadline = Infinity): number {
    let count = 0;
    while (count < max) {
      // Looking at the clock every few records costs next to nothing against processing them.
      if (count % 8 === 7 && performance.now() >= deadline) break;
      const record = this.queues.next(now);
      if (!record) break;
      this.task.process(record);
      this.markProcessed(record);
      this.recordLatency?.observe((now - record.timestamp) / 1000);
      count++;
    }
    this.processedRecords += count;
    return count;
  }

  /** Notes how far a fetch got in an input partition and where the log ends, for `consumerLag`. */
  noteFetch(batch: RecordBatch): void {
    this.lastFetch.set(`${batch.topic}\u0000${batch.partition}`, {
      next: BigInt(batch.nextOffset),
      end: BigInt(batch.highWatermark),
    });
  }

  /** Records the log holds beyond what this task has processed, per input partition fetched so far. */
  consumerLag(): { topic: string; partition: number; lag: number }[] {
    const lags = [];
    for (const input of this.inputs) {
      const fetched = this.lastFetch.get(`${input.topic}\u0000${input.partition}`);
      if (!fetched) continue;
      const behind = fetched.end - fetched.next + BigInt(this.queues.size(input));
      lags.push({ topic: input.topic, partition: input.partition, lag: Number(behind > 0n ? behind : 0n) });
    }
    return lags;
  }

  /**
   * Moves stores' changes since the last drain to the output, addressed to their changelogs: every
   * store's (a commit), or only those of stores holding more than the flush bounds.
   */
  drainChangelogs(which: 'all' | 'over-bound'): void {
    for (const [name, topic] of this.changelogOf) {
      const store = this.stores.get(name)!;
      if (which === 'over-bound') {
        const pending = store.pendingChanges;
        if (pending.records < CHANGELOG_FLUSH_RECORDS && pending.bytes < CHANGELOG_FLUSH_BYTES) continue;
      }
      for (const change of store.drainChangelog()) {
        this.output.push({
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

  takeOutput(): OutgoingRecord[] {
    const output = this.output;
    this.output = [];
    return output;
  }

  /** Learns changelog positions from an acknowledged send. */
  acknowledge(written: WrittenOffsets): void {
    for (const topic of this.changelogOf.values()) {
      const last = written.get(topic)?.get(this.partition);
      if (last !== undefined) this.changelogEnds.set(topic, last + 1n);
    }
  }

  /**
   * Persists every store with the changelog position its data corresponds to: the end of its changelog
   * as acknowledged sends tell, or, for a table read from a source topic, the next offset of that topic
   * the task has processed (what it holds; the restore after a restart starts there).
   */
  async commitStores(): Promise<void> {
    await Promise.all(
      [...this.stores].map(([name, store]) => {
        const end = this.checkpointOf(name);
        return store.commit(end === undefined ? store.checkpoint : Number(end));
      }),
    );
  }

  private checkpointOf(store: string): bigint | string | undefined {
    const changelog = this.changelogOf.get(store);
    if (changelog) return this.changelogEnds.get(changelog);
    const source = this.sourceTopicOf.get(store);
    return source && this.processed.get(`${source}\u0000${this.partition}`)?.offset;
  }

  /** Offsets to commit: the next offset of every input partition processed since the last commit. */
  offsetsToCommit(): TopicPartitionOffset[] {
    return this.processedSinceCommit ? [...this.processed.values()] : [];
  }

  markCommitted(): void {
    this.processedSinceCommit = false;
  }

  /** The next offset of every input partition this task has processed records of. */
  positions(): TopicPartitionOffset[] {
    return [...this.processed.values()];
  }

  /** Where the task starts reading: records fetched from before these offsets are dropped. */
  startAt(positions: readonly StartPosition[]): void {
    for (const position of positions) {
      const end = position.end === undefined ? undefined : BigInt(position.end);
      this.queues.startAt(position, BigInt(position.offset), end);
    }
  }

  /** Fetch positions to keep when the task stays with this worker across a rebalance. */
  fetchPositions(): TopicPartitionOffset[] {
    return this.queues
      .fetchPositions()
      .map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset.toString() }));
  }

  async close(): Promise<void> {
    this.task.close();
    this.queues.clear();
    await Promise.allSettled([...this.stores.values()].map((s) => s.close()));
  }

  private markProcessed(record: LogRecord): void {
    this.processed.set(`${record.topic}\u0000${record.partition}`, {
      topic: record.topic,
      partition: record.partition,
      offset: (BigInt(record.offset) + 1n).toString(),
    });
    this.processedSinceCommit = true;
  }
}
