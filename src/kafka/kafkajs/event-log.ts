import { Kafka } from 'kafkajs';
import type { Logger } from '../../runtime/logger.ts';
import type { EventLogPort, GroupConsumerOptions, PartitionReaderOptions } from '../port.ts';
import { KafkajsAdmin } from './admin.ts';
import { KafkajsGroupConsumer } from './group-consumer.ts';
import { kafkajsLogCreator } from './logging.ts';
import { KafkajsPartitionReader } from './partition-reader.ts';
import { KafkajsProducer, KafkajsTransactionalProducer } from './producers.ts';
import { applyFetchRewrite } from './fetch-hook.ts';
import { TopicLimits } from './topic-limits.ts';

export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
}

/** The event-log port on a real Kafka cluster, through kafkajs. */
export function kafkaEventLog(connection: KafkaConnection): EventLogPort {
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    logCreator: kafkajsLogCreator(connection.logger),
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000 },
  });
  // kafkajs alone delivers records of interleaved aborted transactions, and stalls on emptied batches.
  applyFetchRewrite(kafka);
  const limits = new TopicLimits(kafka, connection.logger);
  return {
    description: `kafka ${connection.brokers.join(',')}`,
    admin: () => new KafkajsAdmin(kafka),
    groupConsumer: (options: GroupConsumerOptions) =>
      new KafkajsGroupConsumer(kafka, options, connection.logger),
    partitionReader: (options: PartitionReaderOptions) =>
      new KafkajsPartitionReader(kafka, options, connection.logger),
    producer: () => new KafkajsProducer(kafka, limits),
    transactionalProducer: (options) =>
      KafkajsTransactionalProducer.create(kafka, options.transactionalId, limits),
  };
}
