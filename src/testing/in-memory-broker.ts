import type { ProducedRecord } from '../runtime/records.ts';
import { TopologyError, TributaryError } from '../errors.ts';
import { toOffset, type Offset } from '../common/offset.ts';

/** A record stored in the in-memory broker, with its offset and its place in the global write order. */
export interface StoredRecord extends ProducedRecord {
  readonly offset: Offset;
  /** Position in the order all records were written, across topics and partitions. */
  readonly sequence: number;
}

type Listener = (record: StoredRecord) => void;

/**
 * Topics as lists of records per partition, with real offsets: the broker the test driver and replay
 * run on. Topics are created on first use with the partition count the resolver gives.
 */
export class InMemoryBroker {
  private readonly topics = new Map<string, StoredRecord[][]>();
  /** Each topic's records across partitions in write order. */
  private readonly written = new Map<string, StoredRecord[]>();
  private readonly listeners: Listener[] = [];
  private readonly partitionsOf: (topic: string) => number;
  private sequence = 0;

  constructor(partitionsOf: (topic: string) => number) {
    this.partitionsOf = partitionsOf;
  }

  partitionCount(topic: string): number {
    return this.topic(topic).length;
  }

  hasTopic(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** Creates a topic with a fixed partition count (when it already exists, the count must match). */
  createTopic(topic: string, partitions: number): void {
    const existing = this.topics.get(topic);
    if (existing) {
      if (existing.length !== partitions) {
        throw new TopologyError(
          `topic "${topic}" already exists with ${existing.length} partitions, not ${partitions}`,
        );
      }
      return;
    }
    this.topics.set(
      topic,
      Array.from({ length: partitions }, () => []),
    );
  }

  append(record: ProducedRecord): StoredRecord {
    const partitions = this.topic(record.topic);
    const log = partitions[record.partition];
    if (!log)
      throw new TributaryError(
        'TRIB_UNKNOWN_TOPIC',
        `topic "${record.topic}" has no partition ${record.partition} (it has ${partitions.length})`,
      );
    const stored: StoredRecord = { ...record, offset: toOffset(log.length), sequence: this.sequence++ };
    log.push(stored);
    let written = this.written.get(record.topic);
    if (!written) this.written.set(record.topic, (written = []));
    written.push(stored);
    for (const listener of this.listeners) listener(stored);
    return stored;
  }

  /** Calls the listener for every record appended to any topic, right after it is stored. */
  onAppend(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Every record of a topic in the order written. */
  records(topic: string): readonly StoredRecord[] {
    return this.written.get(topic) ?? [];
  }

  /** The records of one partition from an offset on. */
  read(topic: string, partition: number, fromOffset: Offset): StoredRecord[] {
    // A partition's log is an array indexed by offset.
    return this.topics.get(topic)?.[partition]?.slice(Number(fromOffset)) ?? [];
  }

  endOffset(topic: string, partition: number): Offset {
    return toOffset(this.topics.get(topic)?.[partition]?.length ?? 0);
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  private topic(topic: string): StoredRecord[][] {
    let partitions = this.topics.get(topic);
    if (!partitions) {
      partitions = Array.from({ length: this.partitionsOf(topic) }, () => []);
      this.topics.set(topic, partitions);
    }
    return partitions;
  }
}
