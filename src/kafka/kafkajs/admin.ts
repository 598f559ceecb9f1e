import type { Admin, Kafka } from 'kafkajs';
import { TributaryError } from '../../errors.ts';
import type { AdminPort, NewTopic, OffsetRange } from '../port.ts';

const LEADER_WAIT_MS = 30_000;

/** Admin operations on kafkajs, connecting lazily. */
export class KafkajsAdmin implements AdminPort {
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;

  constructor(kafka: Kafka) {
    this.kafka = kafka;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.connected();
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({
        topic: t.topic,
        numPartitions: t.partitions,
        configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
      })),
    });
    await this.waitForLeaders(topics.map((t) => t.topic));
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    const admin = await this.connected();
    const existing = new Set(await admin.listTopics());
    const present = [...new Set(topics)].filter((t) => existing.has(t));
    if (present.length === 0) return counts;
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: present });
    for (const topic of metadata) counts.set(topic.name, topic.partitions.length);
    return counts;
  }

  async offsets(topic: string): Promise<Map<number, OffsetRange>> {
    const admin = await this.connected();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: o.low, high: o.high }]));
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const admin = await this.connected();
    const result = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map<number, string>();
    for (const entry of result) {
      for (const p of entry.partitions) if (p.offset !== '-1') committed.set(p.partition, p.offset);
    }
    return committed;
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.connected();
    await admin.deleteTopics({ topics: [...topics] });
  }

  async listTopics(): Promise<string[]> {
    return (await this.connected()).listTopics();
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.connecting = undefined;
    await admin?.disconnect();
  }

  /**
   * A topic just created can answer "does not host this topic-partition" for a moment even after the
   * controller reported leaders; wait until the metadata shows a leader for every partition.
   */
  private async waitForLeaders(topics: readonly string[]): Promise<void> {
    const admin = await this.connected();
    const deadline = Date.now() + LEADER_WAIT_MS;
    for (;;) {
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
        if (metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline)
        throw new TributaryError(
          'TRIB_KAFKA',
          `topics ${topics.join(', ')} have no leader after ${LEADER_WAIT_MS} ms`,
          { retriable: true },
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private connected(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
      return admin;
    })();
    return this.connecting;
  }
}
