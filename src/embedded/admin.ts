import type { AdminPort, CommittedOffset, NewTopic, OffsetRange } from '../kafka/port.ts';
import type { EmbeddedLog } from './embedded-log.ts';
import { toOffset, type Offset } from '../common/offset.ts';

const SCAN_RECORDS = 1000;
const SCAN_BYTES = 4 * 1024 * 1024;

/** Admin operations on the embedded log. Nothing is kept before the first offset, so `low` is always 0. */
export class EmbeddedAdmin implements AdminPort {
  private readonly log: EmbeddedLog;

  constructor(log: EmbeddedLog) {
    this.log = log;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    for (const topic of topics) this.log.createTopic(topic.topic, topic.partitions, topic.config);
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const count = this.log.partitionCount(topic);
      if (count !== undefined) counts.set(topic, count);
    }
    return counts;
  }

  /** `high` is the last stable offset, as Kafka's ListOffsets answers a read_committed client. */
  async offsets(topic: string): Promise<Map<number, OffsetRange>> {
    const ranges = new Map<number, OffsetRange>();
    // partition() throws, naming the topic, when it does not exist.
    const count = this.log.partitionCount(topic) ?? this.log.partition(topic, 0).partition;
    for (let p = 0; p < count; p++)
      ranges.set(p, { low: toOffset(0), high: toOffset(this.log.partition(topic, p).stableEnd) });
    return ranges;
  }

  /** A scan from the start: the embedded log keeps no time index (it is for development-sized logs). */
  async offsetsForTime(topic: string, timestamp: number): Promise<Map<number, Offset>> {
    const result = new Map<number, Offset>();
    for (const [partition] of await this.offsets(topic)) {
      const log = this.log.partition(topic, partition);
      let found = log.stableEnd;
      for (let at = 0; at < log.stableEnd && found === log.stableEnd;) {
        const read = log.read(at, true, SCAN_RECORDS, SCAN_BYTES);
        const first = read.records.find((r) => r.timestamp >= timestamp);
        if (first) found = Number(first.offset);
        at = read.next;
      }
      result.set(partition, toOffset(found));
    }
    return result;
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, CommittedOffset>> {
    const committed = new Map<number, CommittedOffset>();
    for (const [topicName, partition, position, metadata] of this.log.coordinator
      .groupOffsets(groupId)
      .values())
      if (topicName === topic)
        committed.set(partition, { offset: toOffset(position), metadata: metadata ?? null });
    return committed;
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    for (const topic of topics) this.log.deleteTopic(topic);
  }

  async listTopics(): Promise<string[]> {
    return this.log.topicNames();
  }

  async close(): Promise<void> {}
}
