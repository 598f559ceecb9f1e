// A consumer that starts while its topics' metadata has not reached the broker it asks: right after a
// topic is created, a broker of a cluster answers "This server does not host this topic-partition"
// (UNKNOWN_TOPIC_OR_PARTITION) for it for a moment. On one broker the same answer is had by starting
// before the topic exists and creating it a little later: the start must wait for it, not fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupAssignor, LogRecord, RecordBatch } from '../../src/kafka/port.ts';
import { eventually } from '../support/eventually.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { toOffset } from '../../src/common/offset.ts';

const brokers = kafkaBrokers();
const TOPIC_LATE_MS = 1_500;

const soleMember: GroupAssignor = {
  name: 'sole-member',
  version: 1,
  subscriptionUserData: () => new Uint8Array(),
  assign(members, counts) {
    const partitions = [...counts].flatMap(([topic, n]) =>
      Array.from({ length: n }, (_, partition) => ({ topic, partition })),
    );
    return new Map(
      members.map((m, i) => [
        m.memberId,
        { partitions: i === 0 ? partitions : [], userData: new Uint8Array() },
      ]),
    );
  },
};

describe.skipIf(!brokers)('consumers started before their topic is known to the broker (kafkajs)', () => {
  let kit: KafkaKit;
  beforeAll(() => {
    kit = new KafkaKit(brokers, undefined, undefined, 'kafkajs');
  });
  afterAll(() => kit.close());

  /** Creates the topic a moment after the consumer started, then writes one record to it. */
  async function createLate(topic: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, TOPIC_LATE_MS));
    await kit.createTopics({ [topic]: 1 });
    await kit.produceRaw([
      { topic, partition: 0, key: null, value: Buffer.from('late'), timestamp: Date.now(), headers: {} },
    ]);
  }

  it('the group consumer waits for the topic and then reads it', async () => {
    const topic = uniqueName('late-topic');
    const records: LogRecord[] = [];
    let crash: Error | undefined;
    const consumer = kit.port.groupConsumer({
      groupId: uniqueName('late-topic-group'),
      topics: [topic],
      assignor: soleMember,
      readCommitted: true,
    });
    const created = createLate(topic);
    try {
      await consumer.start({
        onRevoking: () => undefined,
        onAssigned: async (assignment) => consumer.resume(assignment.partitions),
        onBatch: (batch: RecordBatch) => records.push(...batch.records),
        onCrash: (error) => (crash = error),
      });
      await created;
      await eventually(
        async () => {
          if (crash) throw crash;
          expect(records.map((r) => Buffer.from(r.value!).toString())).toEqual(['late']);
        },
        { timeoutMs: 60_000, stopWhen: () => crash !== undefined },
      );
    } finally {
      await created.catch(() => undefined);
      await consumer.stop();
    }
  });

  it('the partition reader waits for the topic and then reads it', async () => {
    const topic = uniqueName('late-changelog');
    const records: LogRecord[] = [];
    let crash: Error | undefined;
    const reader = kit.port.partitionReader({
      readCommitted: true,
      topics: [topic],
      clientId: uniqueName('late'),
    });
    const created = createLate(topic);
    try {
      await reader.start(
        (batch) => void records.push(...batch.records),
        (error) => (crash = error),
      );
      await created;
      await reader.assign({ topic, partition: 0, offset: toOffset(0) });
      await eventually(
        async () => {
          if (crash) throw crash;
          expect(records.map((r) => Buffer.from(r.value!).toString())).toEqual(['late']);
        },
        { timeoutMs: 60_000, stopWhen: () => crash !== undefined },
      );
    } finally {
      await created.catch(() => undefined);
      await reader.stop();
    }
  });
});
