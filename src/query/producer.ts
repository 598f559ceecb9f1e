import type { TopicDefinition } from '../dsl/options.ts';
import { errorMessage, SerdeError, TributaryError } from '../errors.ts';
import { HttpError } from '../http/types.ts';
import type { AdminPort, EventLogPort, ProducerPort } from '../kafka/port.ts';
import { partitionForKey } from '../runtime/partitioner.ts';
import type { WireSerdes } from '../serde/registry-wire.ts';
import type { SendOptions, SentRecord } from './api.ts';

/**
 * Sends single records for application routes: serialize with the topic's serdes, choose the partition
 * from the key (murmur2, as Kafka's default partitioner, so keys land where the topologies expect
 * them), send through the event-log port. Partition counts are looked up once per topic.
 */
export class TypedProducer {
  private readonly port: EventLogPort;
  private readonly clientId: string;
  private producer: ProducerPort | undefined;
  private admin: AdminPort | undefined;
  private readonly partitionCounts = new Map<string, Promise<number>>();
  /** With a schema registry: the registry's wire format for Avro topics, as the workers read them. */
  private readonly wire: WireSerdes | undefined;

  constructor(port: EventLogPort, clientId: string, wire?: WireSerdes) {
    this.port = port;
    this.clientId = clientId;
    this.wire = wire;
  }

  async send<K, V>(
    topic: TopicDefinition<K, V>,
    key: K,
    value: V | null,
    options: SendOptions = {},
  ): Promise<SentRecord> {
    let keyBytes: Uint8Array | null;
    let valueBytes: Uint8Array | null;
    const keySerde = this.wire ? await this.wire(topic.keySerde, topic.name, 'key') : topic.keySerde;
    const valueSerde = this.wire ? await this.wire(topic.valueSerde, topic.name, 'value') : topic.valueSerde;
    try {
      keyBytes =
        key === null || key === undefined
          ? null
          : keySerde.serialize(key, { topic: topic.name, part: 'key' });
      valueBytes = value === null ? null : valueSerde.serialize(value, { topic: topic.name, part: 'value' });
    } catch (error) {
      if (error instanceof SerdeError) throw new HttpError(400, errorMessage(error), { cause: error });
      throw error;
    }
    const partitions = await this.partitionCount(topic.name);
    const partition = keyBytes
      ? partitionForKey(keyBytes, partitions)
      : Math.floor(Math.random() * partitions);
    this.producer ??= this.port.producer({ clientId: `${this.clientId}-http` });
    const written = await this.producer.send([
      {
        topic: topic.name,
        partition,
        key: keyBytes,
        value: valueBytes,
        timestamp: options.timestamp ?? Date.now(),
        headers: options.headers ?? {},
      },
    ]);
    const offset = written.get(topic.name)?.get(partition);
    return { topic: topic.name, partition, offset: offset === undefined ? '' : offset.toString() };
  }

  async close(): Promise<void> {
    await this.producer?.close().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
  }

  private partitionCount(topic: string): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (!count) {
      this.admin ??= this.port.admin();
      count = this.admin.partitionCounts([topic]).then((counts) => {
        const found = counts.get(topic);
        if (found === undefined)
          throw new TributaryError(
            'TRIB_TOPIC_MISSING',
            `cannot send to topic "${topic}": it does not exist`,
          );
        return found;
      });
      // A failed lookup is not cached: the topic may be created meanwhile.
      count.catch(() => this.partitionCounts.delete(topic));
      this.partitionCounts.set(topic, count);
    }
    return count;
  }
}
