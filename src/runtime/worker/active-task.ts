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
import type { TaskState } from '../task-state.ts';
import type { Histogram } from '../histogram.ts';
import type { StreamTask } from '../stream-task.ts';
import { PartitionGroup } from './partition-group.ts';
import type { StartPosition } from './handoff.ts';
import { nextOffset, toOffset, type Offset } from '../../common/offset.ts';

/**
 * A task this worker runs: the stream task, its state (stores, changelogs, checkpoints: `TaskState`,
 * as the test driver's tasks have), the records waiting for it, and how far it has got in each input
 * partition (what the next commit may commit).
 */
export class ActiveTask {
  readonly id: string;
  readonly task: StreamTask;
  readonly state: TaskState;
  readonly inputs: readonly TopicPartition[];
  readonly queues: PartitionGroup;
  /** Records the task produced that are not handed to a producer yet. */
  private output: OutgoingRecord[] = [];
  /** Next offset to consume per input partition, as processed so far. */
  private readonly processed = new Map<string, TopicPartitionOffset>();
  private processedSinceCommit = false;
  /** What the last fetch of each input partition said: where fetching got to and the log's end (for lag). */
  private readonly lastFetch = new Map<string, { next: Offset; end: Offset }>();
  processedRecords = 0;
  /** Where to observe each record's latency (processing time minus record timestamp), if anywhere. */
  recordLatency: Histogram | undefined;

  constructor(options: {
    task: StreamTask;
    state: TaskState;
    inputs: readonly TopicPartition[];
    maxTaskIdleMs: number;
  }) {
    this.task = options.task;
    this.id = taskIdString(options.task.id);
    this.state = options.state;
    this.inputs = options.inputs;
    this.queues = new PartitionGroup(
      options.inputs.map((p) => ({ ...p, nextOffset: toOffset(0) })),
      options.maxTaskIdleMs,
    );
  }

  get stores(): ReadonlyMap<string, ManagedStore> {
    return this.state.stores;
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
      next: batch.nextOffset,
      end: batch.highWatermark,
    });
  }

  /** Records the log holds beyond what this task has processed, per input partition fetched so far. */
  consumerLag(): { topic: string; partition: number; lag: number }[] {
    const lags = [];
    for (const input of this.inputs) {
      const fetched = this.lastFetch.get(`${input.topic}\u0000${input.partition}`);
      if (!fetched) continue;
      // The records fetched but not yet processed are a count already: only the offsets' gap is converted.
      const behind = Number(fetched.end - fetched.next) + this.queues.size(input);
      lags.push({ topic: input.topic, partition: input.partition, lag: Math.max(behind, 0) });
    }
    return lags;
  }

  /**
   * Moves stores' changes since the last drain to the output, addressed to their changelogs: every
   * store's (a commit), or only those of stores holding more than the flush bounds.
   */
  drainChangelogs(which: 'all' | 'over-bound'): void {
    this.state.drainChangelogs(which, (record) => this.output.push(record));
  }

  takeOutput(): OutgoingRecord[] {
    const output = this.output;
    this.output = [];
    return output;
  }

  /** Learns changelog positions from an acknowledged send. */
  acknowledge(written: WrittenOffsets): void {
    this.state.acknowledge(written);
  }

  /**
   * Persists every store with the changelog position its data corresponds to (see TaskState); a table
   * read from a source topic with the next offset of that topic the task has processed.
   */
  commitStores(): Promise<void> {
    return this.state.commit((topic) => this.processed.get(`${topic}\u0000${this.partition}`)?.offset);
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
      this.queues.startAt(position, position.offset, position.end);
    }
  }

  /** Fetch positions to keep when the task stays with this worker across a rebalance. */
  fetchPositions(): TopicPartitionOffset[] {
    return this.queues.fetchPositions();
  }

  async close(): Promise<void> {
    this.task.close();
    this.queues.clear();
    await this.state.close();
  }

  private markProcessed(record: LogRecord): void {
    this.processed.set(`${record.topic}\u0000${record.partition}`, {
      topic: record.topic,
      partition: record.partition,
      offset: nextOffset(record.offset),
    });
    this.processedSinceCommit = true;
  }
}
