import type { Kafka, Producer, Transaction } from 'kafkajs';
import {
  GroupFencedError,
  ProducerFencedError,
  type GroupGeneration,
  type OutgoingRecord,
  type ProducerPort,
  type TopicPartitionOffset,
  type TransactionalProducerPort,
  type WrittenOffsets,
} from '../port.ts';
import { TributaryError } from '../../errors.ts';
import { kafkaErrorType, topicMessages, writtenOffsets } from './convert.ts';
import { sendInRequests, topicsOf } from '../send-in-requests.ts';
import { accessError, type Access } from './access-errors.ts';
import { isFencing, isProducerStateLost, kafkajsError, kafkajsErrorKind } from './errors.ts';
import { byTopic } from './group-consumer.ts';
import type { TopicLimits } from '../topic-limits.ts';
import { formatOffset } from '../../common/offset.ts';
import { withClusterWatch } from './fetch-hook.ts';
import { cacheCoordinators } from './coordinator-cache.ts';
import { sendGroupGenerations, withGeneration } from './txn-offset-commit.ts';

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

/**
 * At-least-once sends: idempotent and one request in flight, so kafkajs' own retries do not reorder.
 * Failures are classified (see errors.ts); the runtime retries the retriable ones. After any failure
 * the producer starts over with a new id (as the Java idempotent producer bumps its epoch when a
 * request's outcome is unknown): sequence numbers of a request that may have been written are never
 * reused for other records, and the broker's state for this producer never matters again (lost, or
 * expired while the producer was idle).
 */
export class KafkajsProducer implements ProducerPort {
  private readonly kafka: Kafka;
  private readonly limits: TopicLimits;
  private producer: Producer;
  private connecting: Promise<void> | undefined;

  constructor(kafka: Kafka, limits: TopicLimits) {
    this.kafka = kafka;
    this.limits = limits;
    this.producer = this.newProducer();
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    const producer = this.producer;
    try {
      await this.connected(producer);
      return await sendInKafkajsRequests((batch) => producer.sendBatch(batch), this.limits, records);
    } catch (error) {
      // Whatever failed, the producer starts over with a new id: kafkajs takes back the sequence numbers
      // of a request that failed and gives them to the next records, so if the broker did write that
      // request (an answer lost with a connection), it would take different records sent with the same
      // numbers for a repeat of it and drop them.
      await this.reset(producer);
      if (isProducerStateLost(error) || isFencing(error))
        throw kafkajsError(error, 'sending records (the producer starts again with a new id)', 'retriable');
      // An idempotent producer needs WRITE on a topic (or IDEMPOTENT_WRITE on the cluster).
      const refused = accessError(error, this.kafka, {
        topics: { names: topicsOf(records), operation: 'WRITE' },
      });
      throw kafkajsError(refused, `sending records to ${topicsOf(records).join(', ')}`);
    }
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    if (connecting) await this.producer.disconnect();
  }

  private newProducer(): Producer {
    return this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  /** Connects once; a failed attempt is forgotten, so the next send tries again. */
  private async connected(producer: Producer): Promise<void> {
    const connecting = (this.connecting ??= producer.connect());
    try {
      await connecting;
    } catch (error) {
      if (this.connecting === connecting) this.connecting = undefined;
      throw error;
    }
  }

  private async reset(producer: Producer): Promise<void> {
    if (this.producer !== producer) return;
    this.producer = this.newProducer();
    this.connecting = undefined;
    await producer.disconnect().catch(() => undefined);
  }
}

/**
 * The transaction timeout the coordinator aborts an open transaction at, and the longest any request of
 * a transactional producer may take (with kafkajs' own retries) before it counts as failed: past it the
 * transaction is being aborted anyway, and a call that never settles (a request lost with its
 * connection) must not hold its tasks, and with them the worker's commits, for ever. Kafka Streams'
 * `transaction.timeout.ms` under exactly-once (10 s): a transaction its producer stopped tending (a
 * stalled or crashed worker), which holds back read_committed readers of every partition of the
 * member's tasks, is aborted within 10 s.
 */
export const TRANSACTION_TIMEOUT_MS = 10_000;

/** Answers of a transaction coordinator that is busy for a moment; the request is worth repeating. */
const COORDINATOR_BUSY = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS']);
/** About 15 s of retries with the backoff below. */
const SEND_OFFSETS_ATTEMPTS = 40;
/** The group's answers to offsets of a generation that is over, or of a member it no longer has (KIP-447). */
const GROUP_FENCING = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/**
 * The cluster of a transactional producer: it remembers its coordinators (./coordinator-cache.ts) and
 * sends TxnOffsetCommit v3, with the group generation (./txn-offset-commit.ts).
 */
function transactionalCluster(cluster: unknown): (broker: object) => void {
  const cacheOn = cacheCoordinators(cluster);
  return (broker) => {
    sendGroupGenerations(broker);
    cacheOn(broker);
  };
}

/**
 * One transactional id, one producer: the exactly-once unit of a task, or of a group member (one
 * producer for all its tasks): its offsets carry the member's group generation (TxnOffsetCommit v3,
 * KIP-447), so the group refuses those of a member it has moved on from (GroupFencedError).
 *
 * kafkajs cannot go on with a transaction after any of its requests failed (its transaction state
 * stays where the failure left it, e.g. "committing"), so the first failure is final for this
 * producer: a fenced producer is `task-migrated`, a failure that is not fatal is `abortable` (the
 * runtime closes the task and creates it again, with a new producer whose initialization aborts
 * or completes what this one left open), and every later call fails the same way.
 */
export class KafkajsTransactionalProducer implements TransactionalProducerPort {
  readonly transactionalId: string;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly limits: TopicLimits;
  private transaction: Transaction | undefined;
  private failure: TributaryError | undefined;

  private constructor(kafka: Kafka, transactionalId: string, producer: Producer, limits: TopicLimits) {
    this.kafka = kafka;
    this.transactionalId = transactionalId;
    this.producer = producer;
    this.limits = limits;
  }

  /**
   * Connects and claims the transactional id, which fences older producers and aborts their open
   * transaction (or waits for the one they were committing to complete). A failure to do so is
   * classified as usual (retriable while the coordinator is unavailable).
   */
  static async create(
    kafka: Kafka,
    transactionalId: string,
    limits: TopicLimits,
  ): Promise<KafkajsTransactionalProducer> {
    const producer = withClusterWatch(transactionalCluster, () =>
      kafka.producer({
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: TRANSACTION_TIMEOUT_MS,
        allowAutoTopicCreation: false,
        // Right after a commit the coordinator answers CONCURRENT_TRANSACTIONS for a few milliseconds;
        // kafkajs' default 300 ms first retry would cap a task at about three transactions a second.
        retry: { initialRetryTime: 10, maxRetryTime: 2_000, retries: 30 },
      }),
    );
    try {
      await producer.connect();
      const claim = await producer.transaction();
      await claim.abort();
    } catch (error) {
      // Nothing else will close it: its connections would keep the process alive.
      await producer.disconnect().catch(() => undefined);
      throw kafkajsError(
        accessError(error, kafka, { transactionalId }),
        `claiming transactional id "${transactionalId}"`,
      );
    }
    return new KafkajsTransactionalProducer(kafka, transactionalId, producer, limits);
  }

  async begin(): Promise<void> {
    this.transaction = await this.guard('beginning a transaction', () => this.producer.transaction());
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    return this.guard(
      'sending records in a transaction',
      () => {
        const transaction = this.open();
        return sendInKafkajsRequests((batch) => transaction.sendBatch(batch), this.limits, records);
      },
      { topics: { names: topicsOf(records), operation: 'WRITE' } },
    );
  }

  async sendOffsets(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    generation?: GroupGeneration,
  ): Promise<void> {
    if (offsets.length === 0) return;
    const topics = byTopic(offsets).map(({ topic }) => ({
      topic,
      partitions: offsets
        .filter((o) => o.topic === topic)
        .map((o) => ({ partition: o.partition, offset: formatOffset(o.offset) })),
    }));
    await this.guard(
      'adding offsets to a transaction',
      async () => {
        // kafkajs retries AddPartitionsToTxn but not AddOffsetsToTxn, which the coordinator answers with
        // CONCURRENT_TRANSACTIONS while it still completes the previous transaction: a transaction that
        // holds only offsets (a task that consumed without producing) meets that right after a commit.
        // AddOffsetsToTxn changes nothing when refused, so kafkajs' transaction can go on after it.
        for (let attempt = 1; ; attempt++) {
          try {
            return await this.open().sendOffsets({
              consumerGroupId: groupId,
              topics: withGeneration(topics, generation),
            });
          } catch (error) {
            const type = kafkaErrorType(error);
            if (!type || !COORDINATOR_BUSY.has(type) || attempt >= SEND_OFFSETS_ATTEMPTS)
              throw groupRefusal(error, groupId, generation);
            await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** (attempt - 1), 500)));
          }
        }
      },
      { group: { name: groupId, operation: 'READ' } },
    );
  }

  async commit(): Promise<void> {
    await this.guard('committing a transaction', () => {
      const transaction = this.open();
      this.transaction = undefined;
      return transaction.commit();
    });
  }

  /**
   * Aborts the open transaction; after a failure there is nothing more this producer can do, but
   * abort a transaction whose offsets the group refused.
   */
  async abort(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    if (!transaction?.isActive()) return;
    if (this.failure) {
      // Refused offsets leave kafkajs' transaction intact: aborting it now frees its partitions for
      // read_committed readers (the member's next owner among them) instead of at the timeout.
      if (isGroupRefusal(this.failure))
        await withDeadline(transaction.abort(), TRANSACTION_TIMEOUT_MS).catch(() => undefined);
      return;
    }
    await this.guard('aborting a transaction', () => transaction.abort());
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private open(): Transaction {
    if (!this.transaction)
      throw new TributaryError('TRIB_INTERNAL', `producer "${this.transactionalId}" has no open transaction`);
    return this.transaction;
  }

  /**
   * The first failure is final (see the class comment): fencing becomes ProducerFencedError, a
   * refusal by the authorizer names what was refused (fatal), anything else is abortable, including
   * an operation that has not settled within the transaction timeout.
   */
  private async guard<T>(doing: string, operation: () => Promise<T>, access: Access = {}): Promise<T> {
    if (this.failure) throw this.failure;
    try {
      return await withDeadline(operation(), TRANSACTION_TIMEOUT_MS);
    } catch (error) {
      if (isGroupRefusal(error)) {
        this.failure = error;
      } else if (isFencing(error)) {
        this.failure = new ProducerFencedError(this.transactionalId, { cause: error });
      } else {
        const refused = accessError(error, this.kafka, { ...access, transactionalId: this.transactionalId });
        this.failure = kafkajsError(
          refused,
          `${doing} (producer "${this.transactionalId}")`,
          kafkajsErrorKind(refused) === 'fatal' ? 'fatal' : 'abortable',
        );
      }
      throw this.failure;
    }
  }
}

/**
 * The group refused the offsets: the generation they were sent with is over, or the member is not in
 * the group (a zombie: `task-migrated`); or the group is between generations (the transaction cannot
 * carry them: `abortable`, the tasks start again from their last commit). kafkajs does not retry
 * these answers (its sendOffsets gives up on any it does not know as transient).
 */
function groupRefusal(error: unknown, groupId: string, generation: GroupGeneration | undefined): unknown {
  const type = kafkaErrorType(error);
  if (generation && type !== undefined && GROUP_FENCING.has(type))
    return new GroupFencedError(groupId, generation, { cause: error });
  if (type === 'REBALANCE_IN_PROGRESS')
    return new TributaryError(
      'TRIB_REBALANCE',
      `group "${groupId}" is rebalancing; the transaction's offsets were refused`,
      { cause: error, kind: 'abortable' },
    );
  return error;
}

function isGroupRefusal(error: unknown): error is TributaryError {
  return (
    error instanceof GroupFencedError || (error instanceof TributaryError && error.code === 'TRIB_REBALANCE')
  );
}

/** The operation's outcome, or a retriable failure once `ms` have passed without one. */
async function withDeadline<T>(operation: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TributaryError('TRIB_KAFKA', `no answer within ${ms} ms`, { retriable: true })),
      ms,
    );
  });
  try {
    return await Promise.race([operation, expired]);
  } finally {
    clearTimeout(timer);
  }
}
