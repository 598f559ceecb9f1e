import type { LogRecord, TopicPartition } from '../../kafka/port.ts';

/** Fetched records of one input partition, waiting to be processed. */
class RecordQueue {
  readonly topic: string;
  readonly partition: number;
  private records: LogRecord[] = [];
  private head = 0;
  /** The next offset expected from the log: records below it were buffered already (a refetch after a rebalance). */
  nextFetchOffset: bigint;
  /** The log's end as of the last fetch: more data is known to exist while nextFetchOffset is below it. */
  highWatermark: bigint = -1n;

  constructor(topic: string, partition: number, nextFetchOffset: bigint) {
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

  add(records: readonly LogRecord[], nextOffset: bigint, highWatermark: bigint): void {
    for (const record of records) {
      const offset = BigInt(record.offset);
      if (offset < this.nextFetchOffset) continue;
      this.records.push(record);
      this.nextFetchOffset = offset + 1n;
    }
    // Transaction markers and aborted records take offsets too; step over them.
    if (nextOffset > this.nextFetchOffset) this.nextFetchOffset = nextOffset;
    if (highWatermark > this.highWatermark) this.highWatermark = highWatermark;
  }

  /** True when the log is known to hold records this queue has not received yet. */
  get moreKnown(): boolean {
    return this.nextFetchOffset < this.highWatermark;
  }
}

/**
 * The input partitions of one task and the choice of the next record to process: the buffered record
 * with the smallest timestamp across partitions, so a join sees both sides in time order. As with
 * Kafka Streams' max.task.idle.ms (KIP-695): at 0 (the default) a task waits for a dry partition only
 * while the log is known to hold records not fetched yet; above 0 it also waits that long for a dry
 * partition with nothing known; at -1 it never waits.
 */
export class PartitionGroup {
  private readonly queues = new Map<string, RecordQueue>();
  private readonly maxTaskIdleMs: number;
  private idleSince: number | undefined;

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
    nextOffset: bigint,
    highWatermark: bigint,
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

  /** Sets where a partition that has buffered nothing yet starts (its committed offset). */
  startAt(partition: TopicPartition, offset: bigint): void {
    const queue = this.queues.get(key(partition));
    if (queue && queue.size === 0 && offset > queue.nextFetchOffset) queue.nextFetchOffset = offset;
  }

  /** Where each partition's fetching should continue from (after what is buffered). */
  fetchPositions(): { topic: string; partition: number; offset: bigint }[] {
    return [...this.queues.values()].map((q) => ({
      topic: q.topic,
      partition: q.partition,
      offset: q.nextFetchOffset,
    }));
  }

  /** The next record to process, or undefined when none is ready (nothing buffered, or waiting for a partition). */
  next(now: number): LogRecord | undefined {
    let best: RecordQueue | undefined;
    let dataKnown = false;
    let dry = false;
    for (const queue of this.queues.values()) {
      const head = queue.peek();
      if (head === undefined) {
        if (queue.moreKnown) dataKnown = true;
        else dry = true;
        continue;
      }
      if (!best || head.timestamp < best.peek()!.timestamp) best = queue;
    }
    if (!best) return undefined;
    if (this.maxTaskIdleMs >= 0 && (dataKnown || (dry && this.maxTaskIdleMs > 0))) {
      this.idleSince ??= now;
      const limit = dataKnown ? Math.max(this.maxTaskIdleMs, FETCH_WAIT_LIMIT_MS) : this.maxTaskIdleMs;
      if (now - this.idleSince < limit) return undefined;
    }
    this.idleSince = undefined;
    return best.poll();
  }

  clear(): void {
    this.queues.clear();
  }
}

/**
 * How long a task waits for records the log is known to hold before it goes on without them: a guard
 * against a partition that stays paused or unfetched, not a tuning knob.
 */
const FETCH_WAIT_LIMIT_MS = 5_000;

export interface TopicPartitionOffsetStart extends TopicPartition {
  readonly nextOffset: bigint;
}

function key(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}
