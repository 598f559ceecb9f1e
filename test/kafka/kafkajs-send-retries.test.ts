import { createRequire } from 'node:module';
import { KafkaJSConnectionError, type Kafka, type RecordMetadata } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TributaryError, errorKind } from '../../src/errors.ts';
import { writtenOffsets } from '../../src/kafka/kafkajs/convert.ts';
import {
  SentAgainError,
  settleProduceRequestsBeforeRetries,
} from '../../src/kafka/kafkajs/produce-settling.ts';
import { KafkajsProducer, TRANSACTION_TIMEOUT_MS } from '../../src/kafka/kafkajs/producers.ts';
import type { OutgoingRecord } from '../../src/kafka/port.ts';
import { roomyLimits, transactionalProducerOver } from './kafkajs-fakes.ts';

const require = createRequire(import.meta.url);

interface ProduceArgs {
  producerId: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence: number; messages: unknown[] }[];
  }[];
}
type SendMessages = (options: {
  acks: number;
  topicMessages: { topic: string; messages: { partition: number; value: Buffer }[] }[];
}) => Promise<RecordMetadata[]>;
// kafkajs' own produce path with its retries (kafkajs 2.2.4), driven below by a scripted cluster.
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (options: unknown) => SendMessages;
const createRetry = require('kafkajs/src/retry') as (options: unknown) => unknown;
const ConnectionError = KafkaJSConnectionError as unknown as new (
  message: string,
  o: { broker: string },
) => Error;

const TOPIC = 'validations';

/**
 * Three brokers that keep each partition's log as a broker does, appending a batch unless its producer
 * and first sequence number repeat the partition's last batch (Kafka's duplicate detection). `fail`
 * makes a broker's next produce request fail without writing (it was killed); `onRefresh` is what a
 * metadata refresh finds (a leader that moved).
 */
function scriptedCluster(leaders: Map<number, number>, options: { settleBeforeRetries?: boolean } = {}) {
  const logs = new Map<number, { sequence: number; count: number; base: number }[]>();
  const failing = new Set<number>();
  const slow = new Map<number, number>();
  const addingFails = new Set<number>();
  let onRefresh = () => {};
  const brokers = new Map(
    [1, 2, 3].map((nodeId) => [
      nodeId,
      {
        nodeId,
        produce: async ({ topicData }: ProduceArgs) => {
          const delay = slow.get(nodeId);
          if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
          if (failing.delete(nodeId))
            throw new ConnectionError('Connection error: read ECONNRESET', { broker: `b${nodeId}` });
          return {
            topics: topicData.map(({ topic, partitions }) => ({
              topicName: topic,
              partitions: partitions.map(({ partition, firstSequence, messages }) => {
                const log = logs.get(partition) ?? [];
                logs.set(partition, log);
                const last = log.at(-1);
                if (last && last.sequence === firstSequence)
                  return { partition, errorCode: 0, baseOffset: String(last.base) };
                const base = log.reduce((end, b) => end + b.count, 0);
                log.push({ sequence: firstSequence, count: messages.length, base });
                return { partition, errorCode: 0, baseOffset: String(base) };
              }),
            })),
          };
        },
      },
    ]),
  );
  const cluster = {
    refreshMetadataIfNecessary: async () => {},
    refreshMetadata: async () => onRefresh(),
    addMultipleTargetTopics: async () => {},
    isConnected: () => true,
    removeBroker: () => {},
    findTopicPartitionMetadata: () => [...leaders].map(([partitionId, leader]) => ({ partitionId, leader })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const byLeader: Record<string, number[]> = {};
      for (const p of partitions) (byLeader[leaders.get(Number(p))!] ??= []).push(Number(p));
      return byLeader;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
  };
  if (options.settleBeforeRetries) {
    const track = settleProduceRequestsBeforeRetries(cluster);
    for (const broker of brokers.values()) track(broker);
  }
  const sequences = new Map<number, number>();
  const eosManager = {
    acquireBrokerLock: async () => {},
    releaseBrokerLock: async () => {},
    isTransactional: () => true,
    addPartitionsToTransaction: async (topicData: ProduceArgs['topicData']) => {
      for (const { partitions } of topicData)
        for (const { partition } of partitions)
          if (addingFails.delete(partition))
            throw new ConnectionError('Connection error: read ECONNRESET', { broker: 'coordinator' });
    },
    getTransactionalId: () => 'validations-0_1',
    getProducerId: () => 7,
    getProducerEpoch: () => 0,
    getSequence: (_topic: string, partition: number) => sequences.get(partition) ?? 0,
    updateSequence: (_topic: string, partition: number, increment: number) =>
      sequences.set(partition, (sequences.get(partition) ?? 0) + increment),
  };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const sendMessages = createSendMessages({
    logger,
    cluster,
    eosManager,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
  return {
    sendMessages,
    logs,
    failNext: (nodeId: number) => failing.add(nodeId),
    /** Adding the partition to the transaction fails once (its coordinator was killed). */
    failAddingPartition: (partition: number) => addingFails.add(partition),
    /** The broker answers after `ms` (it waits for a follower to replicate). */
    slowDown: (nodeId: number, ms: number) => slow.set(nodeId, ms),
    whenRefreshed: (action: () => void) => (onRefresh = action),
  };
}

function records(partition: number, count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: TOPIC,
    partition,
    key: null,
    value: Buffer.from(`check ${partition}-${i}`),
    timestamp: 0,
    headers: {},
  }));
}

async function send(cluster: ReturnType<typeof scriptedCluster>, request: OutgoingRecord[]) {
  const metadata = await cluster.sendMessages({
    acks: -1,
    topicMessages: [
      {
        topic: TOPIC,
        messages: request.map((r) => ({ partition: r.partition, value: Buffer.from(r.value!) })),
      },
    ],
  });
  return { metadata, written: () => writtenOffsets(request, metadata) };
}

describe("a send through kafkajs' retries while partition leaders move", () => {
  it('answers the last offset per partition when every partition was written once', async () => {
    const cluster = scriptedCluster(
      new Map([
        [0, 1],
        [1, 2],
      ]),
    );
    const { written } = await send(cluster, [...records(0, 4), ...records(1, 3)]);
    expect(written().get(TOPIC)).toEqual(
      new Map([
        [0, 3n],
        [1, 2n],
      ]),
    );
  });

  it('fails, retriable, when kafkajs wrote a partition twice (its leader moved to a broker that had not answered)', async () => {
    // Partition 0 is written by broker 1; broker 2, leader of partition 1, is killed and the request to
    // it fails. Meanwhile partition 0's leader moves to broker 3, which has not answered this send yet.
    const leaders = new Map([
      [0, 1],
      [1, 2],
    ]);
    const cluster = scriptedCluster(leaders);
    cluster.failNext(2);
    cluster.whenRefreshed(() => leaders.set(0, 3).set(1, 3));
    const { metadata, written } = await send(cluster, [...records(0, 4), ...records(1, 3)]);
    // kafkajs sent partition 0 again with the next sequence numbers: the log holds its 4 records twice.
    expect(cluster.logs.get(0)).toEqual([
      { sequence: 0, count: 4, base: 0 },
      { sequence: 4, count: 4, base: 4 },
    ]);
    expect(metadata.filter((m) => m.partition === 0)).toHaveLength(2);
    const error = catching(written);
    expect(errorKind(error)).toBe('retriable');
    expect((error as Error).message).toMatch(
      /4 records for topic "validations" partition 0 twice \(at offsets 0 and 4\)/,
    );
  });

  it('fails, retriable, when kafkajs never wrote a partition (it moved to a broker that had answered)', async () => {
    // The request to broker 2 fails and partition 1 moves to broker 1, which answered for partition 0:
    // kafkajs sends nothing more and reports the send done.
    const leaders = new Map([
      [0, 1],
      [1, 2],
    ]);
    const cluster = scriptedCluster(leaders);
    cluster.failNext(2);
    cluster.whenRefreshed(() => leaders.set(1, 1));
    const { metadata, written } = await send(cluster, [...records(0, 4), ...records(1, 3)]);
    expect(cluster.logs.get(1)).toBeUndefined();
    expect(metadata.map((m) => m.partition)).toEqual([0]);
    const error = catching(written);
    expect(errorKind(error)).toBe('retriable');
    expect((error as Error).message).toMatch(
      /did not write the 3 records for topic "validations" partition 1/,
    );
  });

  it('writes a partition once when a request to another broker fails while its own is in flight', async () => {
    // Broker 1, leader of partition 1, is killed: its request fails at once. Broker 2 answers for
    // partition 0 only later (it waits for its followers, broker 1 among them). kafkajs alone retries at
    // once and sends partition 0 to broker 2 again behind the request in flight, with the next sequence
    // numbers: written twice, and its answer names it once, the second time.
    const alone = scriptedCluster(
      new Map([
        [0, 2],
        [1, 1],
      ]),
    );
    alone.failNext(1);
    alone.slowDown(2, 30);
    const unsettled = await send(alone, [...records(0, 4), ...records(1, 3)]);
    expect(alone.logs.get(0)?.map((b) => b.sequence)).toEqual([0, 4]);
    expect(unsettled.metadata.filter((m) => m.partition === 0)).toHaveLength(1);

    // With each attempt waiting for the requests before it, the retry finds broker 2 answered.
    const settling = scriptedCluster(
      new Map([
        [0, 2],
        [1, 1],
      ]),
      { settleBeforeRetries: true },
    );
    settling.failNext(1);
    settling.slowDown(2, 30);
    const { written } = await send(settling, [...records(0, 4), ...records(1, 3)]);
    expect(settling.logs.get(0)?.map((b) => b.sequence)).toEqual([0]);
    expect(settling.logs.get(1)?.map((b) => b.sequence)).toEqual([0]);
    expect(written().get(TOPIC)).toEqual(
      new Map([
        [0, 3n],
        [1, 2n],
      ]),
    );
  });

  it('writes a partition once when adding another partition to the transaction fails while its request is in flight', async () => {
    for (const settleBeforeRetries of [false, true]) {
      const cluster = scriptedCluster(
        new Map([
          [0, 2],
          [1, 1],
        ]),
        { settleBeforeRetries },
      );
      cluster.failAddingPartition(1);
      cluster.slowDown(2, 30);
      const { written } = await send(cluster, [...records(0, 4), ...records(1, 3)]);
      if (!settleBeforeRetries) {
        expect(cluster.logs.get(0)?.map((b) => b.sequence)).toEqual([0, 4]);
        continue;
      }
      expect(cluster.logs.get(0)?.map((b) => b.sequence)).toEqual([0]);
      expect(written().get(TOPIC)).toEqual(
        new Map([
          [0, 3n],
          [1, 2n],
        ]),
      );
    }
  });

  it('refuses to send again records a broker has written in this send, whatever path the retry took', async () => {
    // A retry can reach a broker again before the request that writes the records there has started
    // (it waits for the broker's lock): the records would go out twice, with consecutive sequences.
    const sent: unknown[] = [];
    const broker = { produce: async (request: unknown) => void sent.push(request) };
    const cluster = { refreshMetadataIfNecessary: async () => {} };
    settleProduceRequestsBeforeRetries(cluster)(broker);
    const message = { value: Buffer.from('check') };
    const request = { topicData: [{ topic: TOPIC, partitions: [{ partition: 0, messages: [message] }] }] };
    await broker.produce(request);
    const again = await broker.produce(request).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(SentAgainError);
    expect(errorKind(again)).toBe('retriable');
    // kafkajs' own retrier gives up on it instead of trying once more.
    expect((again as { retriable: boolean }).retriable).toBe(false);
    expect(sent).toHaveLength(1);
  });

  it("makes the task's transaction abortable: the producer refuses to commit it", async () => {
    // kafkajs' transaction answers the send as after a retry that wrote partition 0 twice.
    const request = records(0, 2);
    const answered: RecordMetadata[] = [
      { topicName: TOPIC, partition: 0, errorCode: 0, baseOffset: '10' },
      { topicName: TOPIC, partition: 0, errorCode: 0, baseOffset: '12' },
    ];
    let committed = false;
    const transaction = {
      sendBatch: async () => answered,
      commit: async () => void (committed = true),
      abort: async () => {},
      isActive: () => true,
    };
    const producer = await transactionalProducerOver(transaction, 'validations-0_1');
    await producer.begin();
    const failure = await producer.send(request).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TributaryError);
    expect(errorKind(failure)).toBe('abortable');
    await expect(producer.commit()).rejects.toBe(failure);
    expect(committed).toBe(false);
  });
});

describe('the at-least-once producer after a failed send', () => {
  it("starts over with a new producer id, so the failed request's sequence numbers are never reused", async () => {
    // kafkajs takes back the sequence numbers of a failed request and gives them to the next records: had
    // the broker written that request, it would drop those records as a repeat of it.
    const made: { sends: number }[] = [];
    const kafka = {
      producer: () => {
        const instance = { sends: 0 };
        made.push(instance);
        return {
          connect: async () => {},
          disconnect: async () => {},
          sendBatch: async () => {
            instance.sends++;
            if (made.length === 1)
              throw new ConnectionError('Connection error: read ECONNRESET', { broker: 'b1' });
            return [{ topicName: TOPIC, partition: 0, errorCode: 0, baseOffset: '0' }];
          },
        };
      },
    } as unknown as Kafka;
    const producer = new KafkajsProducer(kafka, roomyLimits());
    const failure = await producer.send(records(0, 1)).catch((error: unknown) => error);
    expect(errorKind(failure)).toBe('retriable');
    expect((await producer.send(records(0, 1))).get(TOPIC)).toEqual(new Map([[0, 0n]]));
    expect(made.map((m) => m.sends)).toEqual([1, 1]);
  });
});

describe('a transactional request that never settles', () => {
  afterEach(() => vi.useRealTimers());

  it('fails, abortable, once the transaction timeout has passed, so the task starts again', async () => {
    vi.useFakeTimers();
    const transaction = {
      sendBatch: async () => [],
      commit: () => new Promise<never>(() => {}),
      abort: async () => {},
      isActive: () => true,
    };
    const producer = await transactionalProducerOver(transaction, 'fraud-0_1');
    await producer.begin();
    const commit = producer.commit().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(TRANSACTION_TIMEOUT_MS - 1);
    let settled = false;
    void commit.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const failure = await commit;
    expect(errorKind(failure)).toBe('abortable');
    expect((failure as Error).message).toMatch(
      new RegExp(
        `committing a transaction \\(producer "fraud-0_1"\\): no answer within ${TRANSACTION_TIMEOUT_MS} ms`,
      ),
    );
  });
});

function catching(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}
