import type { Kafka, Producer, Transaction } from 'kafkajs';
import {
  ProducerFencedError,
  type OutgoingRecord,
  type ProducerPort,
  type TopicPartitionOffset,
  type TransactionalProducerPort,
  type WrittenOffsets,
} from '../port.ts';
import { kafkaErrorType, topicMessages, writtenOffsets } from './convert.ts';
import { sendInRequests, topicsOf } from '../send-in-requests.ts';
import { accessError, type Access } from './access-errors.ts';
import { byTopic } from './group-consumer.ts';
import type { TopicLimits } from '../topic-limits.ts';

type SendBatch = Producer['sendBatch'];

/** One request through kafkajs' sendBatch, within the bound its quadratic grouping allows. */
function sendInKafkajsRequests(
  sendBatch: SendBatch,
  limits: TopicLimits,
  records: readonly OutgoingRecord[],
): Promise<WrittenOffsets> {
  return sendInRequests(records, {
    limits,
    send: async (request) =>
      writtenOffsets(request, await sendBatch({ topicMessages: topicMessages(request), acks: -1 })),
    tooLarge: (error) => kafkaErrorType(error) === 'MESSAGE_TOO_LARGE',
  });
}

/** At-least-once sends: idempotent and one request in flight, so retries neither duplicate nor reorder. */
export class KafkajsProducer implements ProducerPort {
  private readonly producer: Producer;
  private readonly kafka: Kafka;
  private readonly limits: TopicLimits;
  private connecting: Promise<void> | undefined;

  constructor(kafka: Kafka, limits: TopicLimits) {
    this.kafka = kafka;
    this.limits = limits;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    try {
      this.connecting ??= this.producer.connect();
      await this.connecting;
      return await sendInKafkajsRequests((batch) => this.producer.sendBatch(batch), this.limits, records);
    } catch (error) {
      // An idempotent producer needs WRITE on a topic (or IDEMPOTENT_WRITE on the cluster).
      throw accessError(error, this.kafka, { topics: { names: topicsOf(records), operation: 'WRITE' } });
    }
  }

  async close(): Promise<void> {
    if (this.connecting) await this.producer.disconnect();
  }
}

/** A refused transactional id is not fencing but a missing ACL: the guard reports it as such. */
const FENCING_ERRORS = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING']);

/** Answers of a transaction coordinator that is busy for a moment; the request is worth repeating. */
const COORDINATOR_BUSY = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS']);
/** About 15 s of retries with the backoff below. */
const SEND_OFFSETS_ATTEMPTS = 40;

/** One transactional id, one producer: the exactly-once unit of a task. */
export class KafkajsTransactionalProducer implements TransactionalProducerPort {
  readonly transactionalId: string;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly limits: TopicLimits;
  private transaction: Transaction | undefined;

  private constructor(kafka: Kafka, transactionalId: string, producer: Producer, limits: TopicLimits) {
    this.kafka = kafka;
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
    const instance = new KafkajsTransactionalProducer(kafka, transactionalId, producer, limits);
    try {
      await instance.guard(() => producer.connect());
      await instance.guard(async () => {
        const claim = await producer.transaction();
        await claim.abort();
      });
    } catch (error) {
      // Nothing else will close it: its connections would keep the process alive.
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    return instance;
  }

  async begin(): Promise<void> {
    this.transaction = await this.guard(() => this.producer.transaction());
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    const transaction = this.open();
    return this.guard(
      () => sendInKafkajsRequests((batch) => transaction.sendBatch(batch), this.limits, records),
      {
        topics: { names: topicsOf(records), operation: 'WRITE' },
      },
    );
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
        await this.guard(() => this.open().sendOffsets({ consumerGroupId: groupId, topics }), {
          group: { name: groupId, operation: 'READ' },
        });
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

  /** Fencing becomes ProducerFencedError; a refusal by the authorizer names what was refused. */
  private async guard<T>(operation: () => Promise<T>, access: Access = {}): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const type = kafkaErrorType(error);
      if (type && FENCING_ERRORS.has(type))
        throw new ProducerFencedError(this.transactionalId, { cause: error });
      throw accessError(error, this.kafka, { ...access, transactionalId: this.transactionalId });
    }
  }
}
