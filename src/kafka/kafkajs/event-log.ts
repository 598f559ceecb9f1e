// First: these replace kafkajs modules before kafkajs loads them (see the files).
import './linear-grouping.ts';
import './produce-encoding.ts';
import { Kafka } from 'kafkajs';
import type { KafkaConnection } from '../connection.ts';
import type { EventLogPort, GroupConsumerOptions, PartitionReaderOptions } from '../port.ts';
import { checkTls } from '../tls-check.ts';
import { accessError, noteRefusal, rememberSecurity } from './access-errors.ts';
import { KafkajsAdmin } from './admin.ts';
import { KafkajsGroupConsumer } from './group-consumer.ts';
import { kafkajsLogCreator } from './logging.ts';
import { KafkajsPartitionReader } from './partition-reader.ts';
import { KafkajsProducer, KafkajsTransactionalProducer } from './producers.ts';
import { kafkajsSecurity } from './security.ts';
import { applyFetchRewrite } from './fetch-hook.ts';
import { TopicLimits } from '../topic-limits.ts';
import { kafkajsMaxMessageBytes } from './topic-configs.ts';
import { stopIdleRequestQueuePolling } from './request-queue.ts';

/** The event-log port on a real Kafka cluster, through kafkajs. */
export function kafkaEventLog(connection: KafkaConnection): EventLogPort {
  stopIdleRequestQueuePolling();
  const security = kafkajsSecurity(connection.security);
  const client: Kafka = new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    logCreator: kafkajsLogCreator(connection.logger, (error) => noteRefusal(client, error)),
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000 },
    ...security.options,
  });
  // kafkajs alone delivers records of interleaved aborted transactions, and stalls on emptied batches.
  applyFetchRewrite(client);
  const tls = security.tls;
  // A TLS problem fails the first connection at once instead of after the client's retries.
  const kafka = checkedBeforeConnecting(client, tls ? () => checkTls(connection.brokers, tls) : undefined);
  rememberSecurity([client, kafka], connection.security);
  const limits = new TopicLimits(kafkajsMaxMessageBytes(kafka), connection.logger);
  return {
    description: `kafka ${connection.brokers.join(',')}`,
    // The adapter sends TxnOffsetCommit v3 with the group generation (./txn-offset-commit.ts).
    groupFencedOffsets: true,
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

/**
 * Every client the adapter makes connects through here: the first connection waits for the TLS check
 * (run once), and a refused login becomes an error that says what to check.
 */
function checkedBeforeConnecting(kafka: Kafka, check: (() => Promise<void>) | undefined): Kafka {
  let checked: Promise<void> | undefined;
  const guard = <C extends { connect(): Promise<void> }>(client: C): C => {
    const connect = client.connect.bind(client);
    client.connect = async () => {
      if (check) await (checked ??= check());
      try {
        await connect();
      } catch (error) {
        throw accessError(error, kafka);
      }
    };
    return client;
  };
  const admin: Kafka['admin'] = (config) => guard(kafka.admin(config));
  const consumer: Kafka['consumer'] = (config) => guard(kafka.consumer(config));
  const producer: Kafka['producer'] = (config) => guard(kafka.producer(config));
  return Object.assign(Object.create(kafka) as Kafka, { admin, consumer, producer });
}
