import { Admin } from '@platformatic/kafka';
import type { KafkaConnection } from '../connection.ts';
import type { EventLogPort, GroupConsumerOptions, PartitionReaderOptions } from '../port.ts';
import type { Access } from '../security-errors.ts';
import { checkTls } from '../tls-check.ts';
import { TopicLimits } from '../topic-limits.ts';
import { accessError } from './access-errors.ts';
import { PlatformaticAdmin, platformaticMaxMessageBytes } from './admin.ts';
import { PlatformaticGroupConsumer } from './group-consumer.ts';
import { PlatformaticPartitionReader } from './partition-reader.ts';
import {
  PlatformaticProducer,
  PlatformaticTransactionalProducer,
  retryDelay,
  type SharedProducerOptions,
} from './producers.ts';
import { platformaticSecurity } from './security.ts';
import { Wire } from './wire.ts';

/**
 * The event-log port on a real Kafka cluster, through @platformatic/kafka: its connections (TLS,
 * SASL), metadata, producers and transactions, with group membership, fetching and read_committed
 * filtering of the adapter's own. Every consumer, reader, admin and producer has its own connections,
 * closed when it stops.
 */
export function platformaticEventLog(connection: KafkaConnection): EventLogPort {
  const security = platformaticSecurity(connection.security);
  const tls = security.tls;
  // A TLS problem fails the first connection at once instead of after the client's retries.
  let checked: Promise<void> | undefined;
  const tlsChecked = () => (tls ? (checked ??= checkTls(connection.brokers, tls)) : Promise.resolve());
  const options = (clientId = connection.clientId): SharedProducerOptions => ({
    clientId,
    bootstrapBrokers: [...connection.brokers],
    retries: 8,
    retryDelay: (_client, _operation, attempt) => retryDelay(attempt),
    autocreateTopics: false,
    ...security.options,
  });
  const wire = (clientId?: string) => new Wire(new Admin(options(clientId)), tlsChecked);
  const refused = (error: unknown, access?: Access) => accessError(error, connection.security, access);
  const limits = new TopicLimits(platformaticMaxMessageBytes(wire), connection.logger);
  return {
    description: `kafka ${connection.brokers.join(',')}`,
    // TxnOffsetCommit v3+ with the generation, member id and group instance id (KIP-447).
    groupFencedOffsets: true,
    admin: () => new PlatformaticAdmin(wire(), refused),
    // A refusal names what the consumer needs: READ on its group and its topics.
    groupConsumer: (consumer: GroupConsumerOptions) =>
      new PlatformaticGroupConsumer(wire(consumer.clientId), consumer, connection.logger, (error) =>
        refused(error, {
          group: { name: consumer.groupId, operation: 'READ' },
          topics: { names: consumer.topics, operation: 'READ' },
        }),
      ),
    partitionReader: (reader: PartitionReaderOptions) =>
      new PlatformaticPartitionReader(
        wire(reader.clientId),
        reader,
        (error) => refused(error, { topics: { names: reader.topics, operation: 'READ' } }),
        connection.logger,
      ),
    producer: (producer) => new PlatformaticProducer(options(producer.clientId), tlsChecked, limits, refused),
    transactionalProducer: async (producer) => {
      await tlsChecked();
      return PlatformaticTransactionalProducer.create(
        producer.transactionalId,
        options(producer.clientId),
        wire(producer.clientId),
        limits,
        refused,
      );
    },
  };
}
