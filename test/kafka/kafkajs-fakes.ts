import type { Kafka } from 'kafkajs';
import { KafkajsTransactionalProducer } from '../../src/kafka/kafkajs/producers.ts';
import { TopicLimits } from '../../src/kafka/topic-limits.ts';
import { silentLogger } from '../../src/common/logger.ts';

/** Topic limits that let every topic take messages of up to 1,000,000 bytes (no admin asked). */
export function roomyLimits(): TopicLimits {
  return new TopicLimits(async (topics) => new Map(topics.map((t) => [t, 1_000_000])), silentLogger);
}

/**
 * The adapter's transactional producer over a stand-in for kafkajs' Transaction (the kafkajs producer
 * around it connects and disconnects at once): for the adapter's own handling of what a transaction
 * answers.
 */
export function transactionalProducerOver(
  transaction: object,
  transactionalId: string,
): Promise<KafkajsTransactionalProducer> {
  const kafka = {
    producer: () => ({
      connect: async () => {},
      disconnect: async () => {},
      transaction: async () => transaction,
    }),
  } as unknown as Kafka;
  return KafkajsTransactionalProducer.create(kafka, transactionalId, roomyLimits());
}
