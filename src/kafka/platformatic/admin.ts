import { ConfigResourceTypes, type Admin } from '@platformatic/kafka';
import { waitForLeaders, whileLoading } from '../admin-waits.ts';
import type { AdminPort, CommittedOffset, NewTopic, OffsetRange } from '../port.ts';
import type { Access } from '../security-errors.ts';
import type { DescribeMaxMessageBytes } from '../topic-limits.ts';
import { committedOffsetsWithMetadata } from './committed-offsets.ts';
import { classified, platformaticError } from './errors.ts';
import { EARLIEST, LATEST, listOffsets } from './list-offsets.ts';
import { hasProtocolError, type Wire } from './wire.ts';
import { toOffset, type Offset } from '../../common/offset.ts';

/** Answers a broker gives while a partition or coordinator is still loading (a topic just created). */
const LOADING = [
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
];

type Refused = (error: unknown, access?: Access) => Error;

/** True for an answer of a partition or coordinator that is still loading. */
const loading = (error: unknown) => hasProtocolError(error, ...LOADING);

/** Admin operations on @platformatic/kafka's Admin, and the adapter's own ListOffsets and OffsetFetch. */
export class PlatformaticAdmin implements AdminPort {
  private readonly wire: Wire;
  private readonly refused: Refused;

  constructor(wire: Wire, refused: Refused) {
    this.wire = wire;
    this.refused = refused;
  }

  private get admin(): Admin {
    return this.wire.base as Admin;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    if (topics.length === 0) return;
    // The library applies one set of configs to every topic of a request: one request per topic.
    await Promise.all(
      topics.map(async (t) => {
        try {
          await this.admin.createTopics({
            topics: [t.topic],
            partitions: t.partitions,
            configs: Object.entries(t.config).map(([name, value]) => ({ name, value })),
          });
        } catch (error) {
          // Another worker of the application created it first.
          if (hasProtocolError(error, 'TOPIC_ALREADY_EXISTS')) return;
          throw this.failed(error, `creating topic "${t.topic}"`, {
            topics: { names: [t.topic], operation: 'CREATE' },
            cluster: 'CREATE',
          });
        }
      }),
    );
    await this.waitForLeaders(topics.map((t) => t.topic));
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const wanted = [...new Set(topics)];
    if (wanted.length === 0) return counts;
    const existing = new Set(await this.listTopics());
    await this.refuseUndescribable(wanted.filter((t) => !existing.has(t)));
    const present = wanted.filter((t) => existing.has(t));
    if (present.length === 0) return counts;
    const metadata = await this.wire.metadata(present, true).catch((error: unknown) => {
      throw this.failed(error, 'reading partition counts', {
        topics: { names: present, operation: 'DESCRIBE' },
      });
    });
    for (const topic of present) {
      const layout = metadata.topics.get(topic);
      if (layout) counts.set(topic, layout.partitionsCount);
    }
    return counts;
  }

  async offsets(topic: string): Promise<Map<number, OffsetRange>> {
    const partitions = await this.partitionsOf(topic);
    const [low, high] = await Promise.all(
      [EARLIEST, LATEST].map((at) =>
        whileLoading(() => listOffsets(this.wire, topic, partitions, at, false), loading).catch(
          (error: unknown) => {
            throw this.failed(error, `reading the offsets of topic "${topic}"`, {
              topics: { names: [topic], operation: 'DESCRIBE' },
            });
          },
        ),
      ),
    );
    return new Map(
      partitions.map((p) => [p, { low: toOffset(low!.get(p) ?? 0n), high: toOffset(high!.get(p) ?? 0n) }]),
    );
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<Map<number, Offset>> {
    const partitions = await this.partitionsOf(topic);
    const [found, ends] = await Promise.all([
      whileLoading(() => listOffsets(this.wire, topic, partitions, BigInt(timestamp), false), loading),
      whileLoading(() => listOffsets(this.wire, topic, partitions, LATEST, false), loading),
    ]).catch((error: unknown) => {
      throw this.failed(error, `reading the offsets of topic "${topic}" at ${timestamp}`, {
        topics: { names: [topic], operation: 'DESCRIBE' },
      });
    });
    // Where no record is that recent, Kafka answers -1: the partition's end.
    return new Map(
      partitions.map((p) => {
        const offset = found.get(p);
        return [p, toOffset(offset === undefined || offset < 0n ? (ends.get(p) ?? 0n) : offset)];
      }),
    );
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, CommittedOffset>> {
    const partitions = await this.partitionsOf(topic);
    const committed = await committedOffsetsWithMetadata(
      this.wire,
      groupId,
      partitions.map((partition) => ({ topic, partition })),
    ).catch((error: unknown) => {
      throw this.failed(error, `reading the committed offsets of group "${groupId}" in topic "${topic}"`, {
        group: { name: groupId, operation: 'DESCRIBE' },
        topics: { names: [topic], operation: 'DESCRIBE' },
      });
    });
    const result = new Map<number, CommittedOffset>();
    for (const p of partitions) {
      const entry = committed.get(`${topic}\u0000${p}`);
      if (entry) result.set(p, entry);
    }
    return result;
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    await this.admin.deleteTopics({ topics: [...topics] }).catch((error: unknown) => {
      throw this.failed(error, `deleting topics ${topics.join(', ')}`, {
        topics: { names: topics, operation: 'DELETE' },
      });
    });
  }

  async listTopics(): Promise<string[]> {
    return this.admin.listTopics().catch((error: unknown) => {
      throw this.failed(error, 'listing topics');
    });
  }

  async close(): Promise<void> {
    await this.wire.close();
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    const metadata = await whileLoading(() => this.wire.metadata([topic], true), loading).catch(
      (error: unknown) => {
        throw this.failed(error, `describing topic "${topic}"`, {
          topics: { names: [topic], operation: 'DESCRIBE' },
        });
      },
    );
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    return Array.from({ length: count }, (_, p) => p);
  }

  /**
   * A listing leaves out the topics the principal may not DESCRIBE, so they look absent: ask for each
   * by name to tell a missing topic from a refused one.
   */
  private async refuseUndescribable(absent: readonly string[]): Promise<void> {
    for (const topic of absent) {
      const refused = await this.wire.metadata([topic], true, 0).then(
        () => undefined,
        (error: unknown) => (hasProtocolError(error, 'TOPIC_AUTHORIZATION_FAILED') ? error : undefined),
      );
      if (refused)
        throw this.failed(refused, `describing topic "${topic}"`, {
          topics: { names: [topic], operation: 'DESCRIBE' },
        });
    }
  }

  /**
   * A refusal by the authorizer names what was refused; the rest is classified, so that a worker's
   * admin calls are retried while a broker restarts (see retrying-admin.ts).
   */
  private failed(error: unknown, doing: string, access?: Access): Error {
    return platformaticError(this.refused(error, access), doing);
  }

  private async waitForLeaders(topics: readonly string[]): Promise<void> {
    await waitForLeaders(topics, async () => {
      const metadata = await classified(`reading the leaders of ${topics.join(', ')}`, () =>
        this.wire.metadata(topics, true),
      );
      return topics.every((t) => {
        const layout = metadata.topics.get(t);
        return !!layout && layout.partitionsCount > 0 && layout.partitions.every((p) => p.leader >= 0);
      });
    });
  }
}

/** Reads topics' `max.message.bytes` with DescribeConfigs through an admin of the adapter. */
export function platformaticMaxMessageBytes(admin: () => Wire): DescribeMaxMessageBytes {
  return async (topics) => {
    const wire = admin();
    try {
      const described = await (wire.base as Admin).describeConfigs({
        resources: topics.map((resourceName) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName,
          configurationKeys: ['max.message.bytes'],
        })),
        includeSynonyms: false,
      });
      const limits = new Map<string, number>();
      for (const resource of described) {
        const value = resource.configs.find((c) => c.name === 'max.message.bytes')?.value;
        if (value !== undefined && value !== null) limits.set(resource.resourceName, Number(value));
      }
      return limits;
    } finally {
      await wire.close().catch(() => undefined);
    }
  };
}
