import kafkajs, { type Kafka } from 'kafkajs';
import type { Logger } from '../../runtime/logger.ts';
import { kafkajsErrorKind } from './errors.ts';

// kafkajs is CommonJS and Node cannot see this export by name.
const { ConfigResourceTypes } = kafkajs;

/**
 * Kafka's default `message.max.bytes` (and so every topic's `max.message.bytes` unless set): the
 * limit assumed for a topic whose configuration cannot be read.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * The largest record batch each topic accepts (`max.message.bytes`, which is the broker's
 * `message.max.bytes` unless the topic overrides it), read once per topic with DescribeConfigs and
 * shared by every producer of one client. A topic whose configuration cannot be read (no permission,
 * an old broker) gets Kafka's default, with a warning.
 */
export class TopicLimits {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly known = new Map<string, number>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(kafka: Kafka, logger: Logger) {
    this.kafka = kafka;
    this.logger = logger;
  }

  /** The limit of a topic already looked up (see `load`). */
  of(topic: string): number {
    return this.known.get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Looks up the topics not known yet; resolves once all of them are. */
  async load(topics: Iterable<string>): Promise<void> {
    const missing = [...new Set(topics)].filter((t) => !this.known.has(t) && !this.pending.has(t));
    if (missing.length > 0) {
      const lookup = this.describe(missing).finally(() => {
        for (const topic of missing) this.pending.delete(topic);
      });
      for (const topic of missing) this.pending.set(topic, lookup);
    }
    await Promise.all([...new Set(topics)].map((t) => this.pending.get(t)));
  }

  private async describe(topics: readonly string[]): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        resources: topics.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['max.message.bytes'],
        })),
        includeSynonyms: false,
      });
      for (const resource of resources) {
        const value = resource.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
        const limit = Number(value);
        if (resource.errorCode === 0 && Number.isSafeInteger(limit) && limit > 0)
          this.known.set(resource.resourceName, limit);
      }
    } catch (error) {
      this.logger.warn(
        { err: error, topics },
        `cannot read max.message.bytes of topics; assuming Kafka's default of ${DEFAULT_MAX_MESSAGE_BYTES} bytes`,
      );
      // A broker out of reach for a moment: look again next time rather than keep the guess.
      if (kafkajsErrorKind(error) === 'retriable') return;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    for (const topic of topics) if (!this.known.has(topic)) this.known.set(topic, DEFAULT_MAX_MESSAGE_BYTES);
  }
}
