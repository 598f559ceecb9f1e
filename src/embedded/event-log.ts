import type { EventLogPort } from '../kafka/port.ts';
import { EmbeddedAdmin } from './admin.ts';
import type { EmbeddedLog } from './embedded-log.ts';
import { EmbeddedGroupConsumer } from './group-consumer.ts';
import { EmbeddedPartitionReader } from './partition-reader.ts';
import { EmbeddedProducer, EmbeddedTransactionalProducer } from './producers.ts';

/** The runtime's event-log port on an embedded log: the same workers run on it as on Kafka. */
export function embeddedEventLog(log: EmbeddedLog): EventLogPort {
  return {
    description: `embedded log at ${log.directory} (not Kafka)`,
    groupFencedOffsets: false,
    admin: () => new EmbeddedAdmin(log),
    groupConsumer: (options) => new EmbeddedGroupConsumer(log, options),
    partitionReader: (options) => new EmbeddedPartitionReader(log, options),
    producer: () => new EmbeddedProducer(log),
    transactionalProducer: async (options) => new EmbeddedTransactionalProducer(log, options.transactionalId),
  };
}
