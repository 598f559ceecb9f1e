import type { LogRecord, TopicPartition, TopicPartitionOffset } from '../../kafka/port.ts';
import { nextOffset as offsetAfter, toOffset, type Offset } from '../../common/offset.ts';

/** Fetched records of one input partition, waiting to be processed. */
class RecordQueue {
  readonly topic: string;
  readonly partition: number;
  private records: LogRecord[] = [];
  private head = 0;
  /** The next offset expected from the log: records below it were buffered already (a refetch after a rebalance). */
  nextFetchOffset: Offset;
  /** The log's end as of the last fetch (-1: not fetched yet): more data is known to exist while nextFetchOffset is below it. */
  highWatermark: Offset = toOffset(-1);
  /** While the queue is empty: what the task waits on it for, and until when. */
  private waiting: { for: FetchedLag; until: number } | undefined;

  constructor(topic: string, partition: number, nextFetchOffset: Offset) {
    this.topic = topic;
    this.partition = partition;
    this.nextFetchOffset = nextFetchOffset;
  }

  get size(): number {
    return this.records.length - this.head;
  }

  peek(): LogRecord | undefined {
    return this.records[this.head];
  }

  poll(): LogRecord | undefined {
    const record = this.records[this.head];
    if (record === undefined) return undefined;
    this.head++;
    // Compact now and then instead of shifting on every poll.
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return record;
  }

  add(records: readonly LogRecord[], nextOffset: Offset, highWatermark: Offset): void {
    for (const record of records) {
      const offset = record.offset;
      if (offset < this.nextFetchOffset) continue;
      this.records.push(record);
      this.nextFetchOffset = offsetAfter(offset);
    }
    // Transaction markers and aborted records take offsets too; step over them.
    if (nextOffset > this.nextFetchOffset) this.nextFetchOffset = nextOffset;
    if (highWatermark > this.highWatermark) this.highWatermark = highWatermark;
  }

  /** What the last fetch told of the records past this queue's end. */
  get fetchedLag(): FetchedLag {
    if (this.highWatermark < 0n) return 'unknown';
    return this.nextFetchOffset < this.highWatermark ? 'behind' : 'caught-up';
  }

  /**
   * Whether the task may go on without records of this (empty) queue at `now`. A caught-up partition
   * holds the task back for max.task.idle.ms from when it was first found so. An unknown lag or one
   * above 0 holds it back until records arrive, as in Kafka Streams, but only for FETCH_WAIT_LIMIT_MS
   * (or max.task.idle.ms when longer; see there why).
   */
  mayGoOnWithout(now: number, maxTaskIdleMs: number): boolean {
    const lag = this.fetchedLag;
    if (this.waiting?.for !== lag) {
      const wait = lag === 'caught-up' ? maxTaskIdleMs : Math.max(maxTaskIdleMs, FETCH_WAIT_LIMIT_MS);
      this.waiting = { for: lag, until: now + wait };
    }
    return now >= this.waiting.until;
  }

  /** Records arrived: the next time the queue runs dry, waiting starts over. */
  stopWaiting(): void {
    this.waiting = undefined;
  }
}

/** A partition's lag as fetched: never fetched, records known past what was fetched, or at the end. */
type FetchedLag = 'unknown' | 'behind' | 'caught-up';

/**
 * The input partitions of one task and the choice of the next record to process: the buffered record
 * with the smallest timestamp across partitions, so a join sees both sides in time order. As Kafka
 * Streams' PartitionGroup.readyToProcess (KIP-695), when one of its partitions has nothing buffered a
 * task waits: while that partition has not been fetched yet (its lag unknown), while the last fetch
 * showed records past what it returned (lag above 0), and for max.task.idle.ms once the partition is
 * known to be caught up (lag 0; at 0, the default, not at all). At -1 it never waits.
 */
export class PartitionGroup {
  private readonly queues = new Map<string, RecordQueue>();
  private readonly maxTaskIdleMs: number;

  constructor(partitions: readonly TopicPartitionOffsetStart[], maxTaskIdleMs: number) {
    for (const p of partitions) this.queues.set(key(p), new RecordQueue(p.topic, p.partition, p.nextOffset));
    this.maxTaskIdleMs = maxTaskIdleMs;
  }

  has(partition: TopicPartition): boolean {
    return this.queues.has(key(partition));
  }

  /** Adds fetched records; returns the queue's size afterwards (for back-pressure). */
  add(
    partition: TopicPartition,
    records: readonly LogRecord[],
    nextOffset: Offset,
    highWatermark: Offset,
  ): number {
    const queue = this.queues.get(key(partition));
    if (!queue) return 0;
    queue.add(records, nextOffset, highWatermark);
    return queue.size;
  }

  size(partition: TopicPartition): number {
    return this.queues.get(key(partition))?.size ?? 0;
  }

  get totalSize(): number {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.size;
    return total;
  }

  /**
   * Sets where a partition that has buffered nothing yet starts (its committed offset) and, when
   * known, where it ended then: a partition already read to its end is caught up from the start,
   * instead of unknown until a fetch brings records.
   */
  startAt(partition: TopicPartition, offset: Offset, end?: Offset): void {
    const queue = this.queues.get(key(partition));
    if (!queue || queue.size !== 0) return;
    if (offset > queue.nextFetchOffset) queue.nextFetchOffset = offset;
    if (end !== undefined && end > queue.highWatermark) queue.highWatermark = end;
  }

  /** Where each partition's fetching should continue from (after what is buffered). */
  fetchPositions(): TopicPartitionOffset[] {
    return [...this.queues.values()].map((q) => ({
      topic: q.topic,
      partition: q.partition,
      offset: q.nextFetchOffset,
    }));
  }

  /**
   * The next record to process, or undefined when none is ready (nothing buffered, or waiting for a
   * partition). The waits start when the task has a record to process, not while it has none.
   */
  next(now: number): LogRecord | undefined {
    let best: RecordQueue | undefined;
    for (const queue of this.queues.values()) {
      const head = queue.peek();
      if (head === undefined) continue;
      queue.stopWaiting();
      if (!best || head.timestamp < best.peek()!.timestamp) best = queue;
    }
    if (!best) return undefined;
    if (this.maxTaskIdleMs >= 0) {
      let waiting = false;
      for (const queue of this.queues.values())
        if (queue.size === 0 && !queue.mayGoOnWithout(now, this.maxTaskIdleMs)) waiting = true;
      if (waiting) return undefined;
    }
    return best.poll();
  }

  clear(): void {
    this.queues.clear();
  }
}

/**
 * How long a task waits at most for a partition whose lag is unknown or above 0, where Kafka Streams
 * waits without limit: a guard, not a tuning knob. The clients report nothing for a fetch that found
 * nothing new (kafkajs hands no empty batch over, nor do the embedded log's and platformatic's
 * fetchers), so what a task learns from fetches alone can stay stale. A task learns each partition's
 * end when it starts (startAt), and fetches keep it current; the guard covers what is left, such as
 * an end listed just before records that a fetch then skipped (a transaction aborted meanwhile).
 * Under read_committed the end reported is the last stable offset, so a transaction still open does
 * not count as lag (as in Kafka's Java consumer).
 */
export const FETCH_WAIT_LIMIT_MS = 5_000;

export interface TopicPartitionOffsetStart extends TopicPartition {
  readonly nextOffset: Offset;
}

function key(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}
