import type { Kafka, Producer, Transaction } from 'kafkajs';
import {
  ProducerFencedError,
  type OutgoingRecord,
  type ProducerPort,
  type TopicPartitionOffset,
  type TransactionalProducerPort,
  type WrittenOffsets,
} from '../port.ts';
import { TributaryError } from '../../errors.ts';
import { kafkaErrorType, mergeWrittenOffsets, topicMessages, writtenOffsets } from './convert.ts';
import { byTopic } from './group-consumer.ts';
import { produceRequests } from './produce-requests.ts';
import type { TopicLimits } from './topic-limits.ts';

type SendBatch = Producer['sendBatch'];

/**
 * Sends records in produce requests the broker accepts (see `produceRequests`), one after the other so
 * that each partition's records stay in order; resolves with the last offset written per partition.
 */
async function sendInRequests(
  sendBatch: SendBatch,
  limits: TopicLimits,
  records: readonly OutgoingRecord[],
): Promise<WrittenOffsets> {
  const topics = new Set<string>();
  for (const record of records) topics.add(record.topic);
  await limits.load(topics);
  const written: WrittenOffsets = new Map();
  for (const request of produceRequests(records, (topic) => limits.of(topic))) {
    try {
      const metadata = await sendBatch({ topicMessages: topicMessages(request), acks: -1 });
      mergeWrittenOffsets(written, writtenOffsets(request, metadata));
    } catch (error) {
      if (kafkaErrorType(error) !== 'MESSAGE_TOO_LARGE') throw error;
      throw new TributaryError(
        'TRIB_RECORD_TOO_LARGE',
        `the broker refused a produce request as too large (MESSAGE_TOO_LARGE) for ${describePartitions(request)}`,
        { cause: error },
      );
    }
  }
  return written;
}

/** The partitions of a request with the bytes of keys and values each holds, for an error message. */
function describePartitions(records: readonly OutgoingRecord[]): string {
  const bytes = new Map<string, number>();
  for (const r of records) {
    const partition = `topic "${r.topic}" partition ${r.partition}`;
    bytes.set(partition, (bytes.get(partition) ?? 0) + (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0));
  }
  return [...bytes].map(([partition, size]) => `${partition} (${size} bytes of keys and values)`).join(', ');
}

/** At-least-once sends: idempotent and one request in flight, so retries neither duplicate nor reorder. */
export class KafkajsProducer implements ProducerPort {
  private readonly producer: Producer;
  private readonly limits: TopicLimits;
  private connecting: Promise<void> | undefined;

  constructor(kafka: Kafka, limits: TopicLimits) {
    this.limits = limits;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    this.connecting ??= this.producer.connect();
    await this.connecting;
    return sendInRequests((batch) => this.producer.sendBatch(batch), this.limits, records);
  }

  async close(): Promise<void> {
    if (this.connecting) await this.producer.disconnect();
  }
}

const FENCING_ERRORS = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_ID_MAPPING',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/** Answers of a transaction coordinator that is busy for a moment; the request is worth repeating. */
const COORDINATOR_BUSY = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS']);
/** About 15 s of retries with the backoff below. */
const SEND_OFFSETS_ATTEMPTS = 40;

/** One transactional id, one producer: the exactly-once unit of a task. */
export class KafkajsTransactionalProducer implements TransactionalProducerPort {
  readonly transactionalId: string;
  private readonly producer: Producer;
  private readonly limits: TopicLimits;
  private transaction: Transaction | undefined;

  private constructor(transactionalId: string, producer: Producer, limits: TopicLimits) {
    this.transactionalId = transactionalId;
    this.producer = producer;
    this.limits = limits;
  }

  /** Connects and claims the transactional id, which fences older producers and aborts their open transaction. */
  static async create(
    kafka: Kafka,
    transactionalId: string,
    limits: TopicLimits,
  ): Promise<KafkajsTransactionalProducer> {
    const producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
      // Right after a commit the coordinator answers CONCURRENT_TRANSACTIONS for a few milliseconds;
      // kafkajs' default 300 ms first retry would cap a task at about three transactions a second.
      retry: { initialRetryTime: 10, maxRetryTime: 2_000, retries: 30 },
    });
    await producer.connect();
    const instance = new KafkajsTransactionalProducer(transactionalId, producer, limits);
    await instance.guard(async () => {
      const claim = await producer.transaction();
      await claim.abort();
    });
    return instance;
  }

  async begin(): Promise<void> {
    this.transaction = await this.guard(() => this.producer.transaction());
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    const transaction = this.open();
    return this.guard(() => sendInRequests((batch) => transaction.sendBatch(batch), this.limits, records));
  }

  async sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const topics = byTopic(offsets).map(({ topic }) => ({
      topic,
      partitions: offsets
        .filter((o) => o.topic === topic)
        .map((o) => ({ partition: o.partition, offset: o.offset })),
    }));
    // kafkajs retries AddPartitionsToTxn but not AddOffsetsToTxn, which the coordinator answers with
    // CONCURRENT_TRANSACTIONS while it still completes the previous transaction: a transaction that
    // holds only offsets (a task that consumed without producing) meets that right after a commit.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.guard(() => this.open().sendOffsets({ consumerGroupId: groupId, topics }));
        return;
      } catch (error) {
        const type = kafkaErrorType(error);
        if (!type || !COORDINATOR_BUSY.has(type) || attempt >= SEND_OFFSETS_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** (attempt - 1), 500)));
      }
    }
  }

  async commit(): Promise<void> {
    const transaction = this.open();
    this.transaction = undefined;
    await this.guard(() => transaction.commit());
  }

  async abort(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    if (transaction?.isActive()) await this.guard(() => transaction.abort());
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private open(): Transaction {
    if (!this.transaction) throw new Error(`producer "${this.transactionalId}" has no open transaction`);
    return this.transaction;
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const type = kafkaErrorType(error);
      if (type && FENCING_ERRORS.has(type))
        throw new ProducerFencedError(this.transactionalId, { cause: error });
      throw error;
    }
  }
}
