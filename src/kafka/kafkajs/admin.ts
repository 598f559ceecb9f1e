import type { Admin, Kafka } from 'kafkajs';
import { waitForLeaders, whileLoading } from '../admin-waits.ts';
import type { AdminPort, CommittedOffset, NewTopic, OffsetRange } from '../port.ts';
import { accessError } from './access-errors.ts';
import { kafkaErrorType } from './convert.ts';
import { classified } from './errors.ts';
import { parseOffset, type Offset } from '../../common/offset.ts';
import { causeOf, errorsOf } from '../error-fields.ts';

/**
 * Answers a broker gives while a partition or a group coordinator is still being loaded (a topic
 * just created, a broker just started). kafkajs' admin retries only some of them; these are retried
 * here for a while before giving up.
 */
const LOADING = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
]);

/** True for kafkajs' aggregate of per-topic errors when every topic already existed. */
function onlyAlreadyExists(error: unknown): boolean {
  const errors = errorsOf(causeOf(error) ?? error);
  return errors.length > 0 && errors.every((e) => kafkaErrorType(e) === 'TOPIC_ALREADY_EXISTS');
}

/** True for an answer of a partition or coordinator that is still loading. */
const loading = (error: unknown) => LOADING.has(kafkaErrorType(error) ?? '');

/** Admin operations on kafkajs, connecting lazily; failures are classified TributaryErrors (errors.ts). */
export class KafkajsAdmin implements AdminPort {
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;

  constructor(kafka: Kafka) {
    this.kafka = kafka;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    if (topics.length === 0) return;
    await classified(`creating topics ${topics.map((t) => t.topic).join(', ')}`, () => this.create(topics));
  }

  private async create(topics: readonly NewTopic[]): Promise<void> {
    const admin = await this.connected();
    try {
      // kafkajs' own wait for leaders gives up on the first "does not host this topic-partition" a
      // KRaft broker answers for a moment after creating a topic; ours below waits that out.
      await admin.createTopics({
        waitForLeaders: false,
        topics: topics.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      // Another worker of the application created them first.
      if (!onlyAlreadyExists(error)) throw this.refusedCreation(error, topics);
    }
    await this.waitForLeaders(topics.map((t) => t.topic));
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    return classified(`reading the partition counts of ${topics.join(', ')}`, async () => {
      const admin = await this.connected();
      const existing = new Set(await admin.listTopics());
      const present = [...new Set(topics)].filter((t) => existing.has(t));
      await this.refuseUndescribable([...new Set(topics)].filter((t) => !existing.has(t)));
      if (present.length === 0) return counts;
      const { topics: metadata } = await admin
        .fetchTopicMetadata({ topics: present })
        .catch((error: unknown) => {
          throw accessError(error, this.kafka, { topics: { names: present, operation: 'DESCRIBE' } });
        });
      for (const topic of metadata) counts.set(topic.name, topic.partitions.length);
      return counts;
    });
  }

  async offsets(topic: string): Promise<Map<number, OffsetRange>> {
    return classified(`reading the offsets of topic "${topic}"`, async () => {
      const admin = await this.connected();
      const offsets = await whileLoading(() => admin.fetchTopicOffsets(topic), loading).catch(
        (error: unknown) => {
          throw accessError(error, this.kafka, { topics: { names: [topic], operation: 'DESCRIBE' } });
        },
      );
      return new Map(
        offsets.map((o) => [o.partition, { low: parseOffset(o.low), high: parseOffset(o.high) }]),
      );
    });
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<Map<number, Offset>> {
    return classified(`reading the offsets of topic "${topic}" at a time`, async () => {
      const admin = await this.connected();
      // kafkajs answers the partition's end (high watermark) where no record is that recent.
      const offsets = await whileLoading(() => admin.fetchTopicOffsetsByTimestamp(topic, timestamp), loading);
      return new Map(offsets.map((o) => [o.partition, parseOffset(o.offset)]));
    });
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, CommittedOffset>> {
    return classified(`reading the offsets group "${groupId}" committed in topic "${topic}"`, async () => {
      const admin = await this.connected();
      const result = await whileLoading(
        () => admin.fetchOffsets({ groupId, topics: [topic] }),
        loading,
      ).catch((error: unknown) => {
        throw accessError(error, this.kafka, {
          group: { name: groupId, operation: 'DESCRIBE' },
          topics: { names: [topic], operation: 'DESCRIBE' },
        });
      });
      const committed = new Map<number, CommittedOffset>();
      for (const entry of result) {
        for (const p of entry.partitions) {
          if (p.offset !== '-1')
            committed.set(p.partition, {
              offset: parseOffset(p.offset),
              metadata: p.metadata ? p.metadata : null,
            });
        }
      }
      return committed;
    });
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    await classified(`deleting topics ${topics.join(', ')}`, async () => {
      const admin = await this.connected();
      await admin.deleteTopics({ topics: [...topics] }).catch((error: unknown) => {
        throw accessError(error, this.kafka, { topics: { names: topics, operation: 'DELETE' } });
      });
    });
  }

  async listTopics(): Promise<string[]> {
    return classified('listing topics', async () => (await this.connected()).listTopics());
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.connecting = undefined;
    await admin?.disconnect();
  }

  /**
   * A listing leaves out the topics the principal may not DESCRIBE, so they look absent: ask for each
   * by name (once, without retries) to tell a missing topic from a refused one.
   */
  private async refuseUndescribable(absent: readonly string[]): Promise<void> {
    if (absent.length === 0) return;
    const probe = this.kafka.admin({ retry: { retries: 0 } });
    await probe.connect();
    try {
      for (const topic of absent) {
        const refused = await probe.fetchTopicMetadata({ topics: [topic] }).then(
          () => undefined,
          (error: unknown) => (kafkaErrorType(error) === 'TOPIC_AUTHORIZATION_FAILED' ? error : undefined),
        );
        if (refused)
          throw accessError(refused, this.kafka, { topics: { names: [topic], operation: 'DESCRIBE' } });
      }
    } finally {
      await probe.disconnect();
    }
  }

  /**
   * A refused creation names the topics refused: kafkajs reports each topic's error in an aggregate.
   * Creating a topic needs CREATE on it (or on the cluster).
   */
  private refusedCreation(error: unknown, topics: readonly NewTopic[]): unknown {
    const errors = errorsOf(causeOf(error) ?? error);
    const refused = errors.filter((e) => kafkaErrorType(e) === 'TOPIC_AUTHORIZATION_FAILED');
    const names = refused.map((e) => (e as { topic?: unknown }).topic).filter((t) => typeof t === 'string');
    return accessError(refused[0] ?? error, this.kafka, {
      topics: { names: names.length > 0 ? names : topics.map((t) => t.topic), operation: 'CREATE' },
      cluster: 'CREATE',
    });
  }

  private async waitForLeaders(topics: readonly string[]): Promise<void> {
    const admin = await this.connected();
    await waitForLeaders(topics, async () => {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      return metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    });
  }

  /** Connects once; a failed attempt is forgotten, so the next call tries again. */
  private connected(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    const connecting = (this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        await admin.disconnect().catch(() => undefined);
        throw error;
      }
      this.admin = admin;
      return admin;
    })());
    connecting.catch(() => {
      if (this.connecting === connecting) this.connecting = undefined;
    });
    return connecting;
  }
}
