import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { applyFetchRewrite, withClusterWatch } from '../../src/kafka/kafkajs/fetch-hook.ts';
import { cacheCoordinators } from '../../src/kafka/kafkajs/coordinator-cache.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();
const TRANSACTIONS = 10;

/**
 * Runs transactions as a task's commit does (records, then the consumed offsets, then the commit) and
 * counts the FindCoordinator requests the producer sent meanwhile.
 */
async function coordinatorLookups(producer: Producer, topic: string, group: string): Promise<number> {
  let lookups = 0;
  const stop = producer.on(producer.events.REQUEST, (event) => {
    // kafkajs names FindCoordinator after its first version, GroupCoordinator.
    if (event.payload.apiName === 'GroupCoordinator') lookups++;
  });
  await producer.connect();
  try {
    for (let i = 0; i < TRANSACTIONS; i++) {
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: [{ key: `k${i}`, value: `v${i}` }] });
      await transaction.sendOffsets({
        consumerGroupId: group,
        topics: [{ topic, partitions: [{ partition: 0, offset: String(i + 1) }] }],
      });
      await transaction.commit();
    }
  } finally {
    stop();
    await producer.disconnect();
  }
  return lookups;
}

/**
 * On a fresh broker the group coordinator answers NOT_COORDINATOR until the offsets topic has loaded,
 * and kafkajs alone gives up on it: a transaction with offsets is tried until one commits.
 */
async function untilGroupsServe(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer({
    transactionalId: uniqueName('warm-up'),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      const transaction = await producer.transaction();
      try {
        await transaction.sendOffsets({
          consumerGroupId: uniqueName('warm-up'),
          topics: [{ topic, partitions: [{ partition: 0, offset: '0' }] }],
        });
        await transaction.commit();
        return;
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        if (attempt >= 30) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await producer.disconnect();
  }
}

describe.skipIf(!brokers)("kafkajs' transactional producers on a real broker", () => {
  let kit: KafkaKit;
  let kafka: Kafka;

  beforeAll(() => {
    kit = new KafkaKit(brokers);
    kafka = new Kafka({
      clientId: 'coordinators-test',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    applyFetchRewrite(kafka);
  });
  afterAll(() => kit.close());

  it('look their coordinators up once, not before every transactional request', async () => {
    const topic = uniqueName('coordinators');
    await kit.createTopics({ [topic]: 1 });
    await untilGroupsServe(kafka, topic);
    const options = (id: string) => ({
      transactionalId: uniqueName(id),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const cached = await coordinatorLookups(
      withClusterWatch(cacheCoordinators, () => kafka.producer(options('cached'))),
      topic,
      uniqueName('cached-group'),
    );
    const uncached = await coordinatorLookups(
      kafka.producer(options('uncached')),
      topic,
      uniqueName('uncached-group'),
    );
    // kafkajs alone: adding partitions, adding offsets (twice) and committing each look one up.
    expect(uncached).toBeGreaterThanOrEqual(4 * TRANSACTIONS);
    // Cached: the transaction's coordinator and the group's, each once.
    expect(cached).toBeLessThanOrEqual(2);
  });
});
