import {
  addOffsetsToTxnV4,
  Producer,
  txnOffsetCommitV4,
  type MessageToProduce,
  type ProducerOptions,
} from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
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
import { sendInRequests, topicsOf } from '../send-in-requests.ts';
import type { Access } from '../security-errors.ts';
import type { TopicLimits } from '../topic-limits.ts';
import { isFencing, platformaticError, platformaticErrorKind } from './errors.ts';
import { hasProtocolError, type Wire } from './wire.ts';
import { toOffset } from '../../common/offset.ts';
import { asBuffer } from '../../common/bytes.ts';

/**
 * Records per produce request. The library encodes a request in time linear in its records, so the
 * request is bounded by bytes (MAX_REQUEST_BYTES) before records; this keeps one request's encoding
 * to a few milliseconds even for tiny records.
 */
const MAX_REQUEST_RECORDS = 10_000;
/** The group's answers to offsets of a generation that is over, or of a member it no longer has. */
const GROUP_FENCING = ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID'];
/** A transaction coordinator busy for a moment (finishing the previous transaction, loading, moving). */
const COORDINATOR_BUSY = [
  'CONCURRENT_TRANSACTIONS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
];
/**
 * Kafka Streams' `transaction.timeout.ms` under exactly-once (10 s, where the Java producer's default
 * is 60 s): a transaction its producer stopped tending (a stalled or crashed worker) is aborted by the
 * coordinator within 10 s, so read_committed readers of its partitions are not held back longer.
 */
export const TRANSACTION_TIMEOUT_MS = 10_000;
/** About 15 s of retries with the backoff of `retryDelay`. */
const BUSY_ATTEMPTS = 40;

/** The package does not export its Transaction class by name: the type beginTransaction resolves to. */
type Transaction<K, V, HK, HV> = Awaited<ReturnType<Producer<K, V, HK, HV>['beginTransaction']>>;

type Refused = (error: unknown, access?: Access) => Error;

/** The library's options every producer of the adapter shares, and how it retries. */
export type SharedProducerOptions = Omit<ProducerOptions<Buffer, Buffer, Buffer, Buffer>, 'transactionalId'>;

/**
 * A short backoff: right after a commit the coordinator answers CONCURRENT_TRANSACTIONS for a few
 * milliseconds, and the library's default of a second between attempts would cap a task at about
 * one transaction a second.
 */
export function retryDelay(attempt: number): number {
  return Math.min(10 * 2 ** attempt, 1_000);
}

/** At-least-once sends: idempotent, one request at a time, so retries neither duplicate nor reorder. */
export class PlatformaticProducer implements ProducerPort {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private readonly ready: () => Promise<void>;
  private readonly limits: TopicLimits;
  private readonly refused: Refused;

  constructor(
    options: SharedProducerOptions,
    ready: () => Promise<void>,
    limits: TopicLimits,
    refused: Refused,
  ) {
    this.producer = new Producer({ ...options, idempotent: true, acks: -1 });
    this.ready = ready;
    this.limits = limits;
    this.refused = refused;
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    try {
      await this.ready();
      return await sendThrough((messages) => this.producer.send({ messages }), this.limits, records);
    } catch (error) {
      // An idempotent producer needs WRITE on a topic (or IDEMPOTENT_WRITE on the cluster). A broker
      // restarting is retriable: the library has dropped the producer id and sequence numbers of a
      // failed send, so the next one starts over with a new id, as the Java idempotent producer does.
      const topics = topicsOf(records);
      throw platformaticError(
        this.refused(error, { topics: { names: topics, operation: 'WRITE' } }),
        `sending records to ${describeTopics(topics)}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

/**
 * One transactional id, one producer: the exactly-once unit of a task. Records go through the
 * library's transaction; consumed offsets are added with AddOffsetsToTxn and TxnOffsetCommit sent
 * here, all partitions of a group in one request.
 */
export class PlatformaticTransactionalProducer implements TransactionalProducerPort {
  readonly transactionalId: string;
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private readonly wire: Wire;
  private readonly limits: TopicLimits;
  private readonly refused: Refused;
  private transaction: Transaction<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** True once the open transaction holds records or offsets: an empty one is never sent to end. */
  private touched = false;
  private readonly groupsAdded = new Set<string>();

  private constructor(
    transactionalId: string,
    producer: Producer<Buffer, Buffer, Buffer, Buffer>,
    wire: Wire,
    limits: TopicLimits,
    refused: Refused,
  ) {
    this.transactionalId = transactionalId;
    this.producer = producer;
    this.wire = wire;
    this.limits = limits;
    this.refused = refused;
  }

  /** Claims the transactional id (InitProducerId), which fences older producers and aborts their open transaction. */
  static async create(
    transactionalId: string,
    options: SharedProducerOptions,
    wire: Wire,
    limits: TopicLimits,
    refused: Refused,
  ): Promise<PlatformaticTransactionalProducer> {
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      ...options,
      transactionalId,
      idempotent: true,
      acks: -1,
      // InitProducerId as a new producer (-1, -1): the library's default (0, 0) claims to be producer 0,
      // which the coordinator refuses as fenced once the id belongs to another producer.
      producerId: -1n,
      producerEpoch: -1,
      // The library sends this (its produce requests' timeout too) as InitProducerId's transaction timeout.
      timeout: TRANSACTION_TIMEOUT_MS,
    });
    try {
      // The first transaction claims the id; it is dropped without a request, as nothing is in it.
      // A failure to claim it is classified as usual (retriable while the coordinator is unavailable).
      const claim = await producer.beginTransaction();
      await claim.cancel();
    } catch (error) {
      const failure = platformaticError(
        refused(error, { transactionalId }),
        `claiming transactional id "${transactionalId}"`,
      );
      // Nothing else will close it: its connections would keep the process alive.
      await producer.close().catch(() => undefined);
      await wire.close().catch(() => undefined);
      throw failure;
    }
    return new PlatformaticTransactionalProducer(transactionalId, producer, wire, limits, refused);
  }

  async begin(): Promise<void> {
    this.touched = false;
    this.groupsAdded.clear();
    this.transaction = await this.guard('beginning a transaction', () => this.producer.beginTransaction());
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    const transaction = this.open();
    this.touched = true;
    const topics = topicsOf(records);
    return this.guard(
      `sending records to ${describeTopics(topics)}`,
      () => sendThrough((messages) => transaction.send({ messages }), this.limits, records),
      { topics: { names: topics, operation: 'WRITE' } },
    );
  }

  async sendOffsets(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    generation?: GroupGeneration,
  ): Promise<void> {
    if (offsets.length === 0) return;
    this.open();
    this.touched = true;
    const producerId = this.producer.producerId!;
    const producerEpoch = this.producer.producerEpoch!;
    const access: Access = { group: { name: groupId, operation: 'READ' } };
    if (!this.groupsAdded.has(groupId)) {
      await this.whileBusy(
        `adding offsets of group "${groupId}" to a transaction`,
        async () => {
          const coordinator = await this.wire.node(await this.wire.coordinator(1, this.transactionalId));
          await addOffsetsToTxnV4.api.async(
            coordinator,
            this.transactionalId,
            producerId,
            producerEpoch,
            groupId,
          );
        },
        access,
      );
      this.groupsAdded.add(groupId);
    }
    const topics = new Map<
      string,
      { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number }[]
    >();
    for (const o of offsets) {
      let list = topics.get(o.topic);
      if (!list) topics.set(o.topic, (list = []));
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1 });
    }
    await this.whileBusy(
      `committing offsets of group "${groupId}" in a transaction`,
      async () => {
        const coordinator = await this.wire.node(await this.wire.coordinator(0, groupId));
        // With the member's generation the group refuses the offsets of a member it has moved on from
        // (KIP-447). Without it (generation -1, no member id) they are fenced by the transactional id
        // alone, which is enough where each task has its own producer.
        await txnOffsetCommitV4.api
          .async(
            coordinator,
            this.transactionalId,
            groupId,
            producerId,
            producerEpoch,
            generation?.generationId ?? -1,
            generation?.memberId ?? '',
            generation?.groupInstanceId ?? null,
            [...topics].map(([name, partitions]) => ({ name, partitions })),
          )
          .catch((error: unknown) => {
            if (generation && hasProtocolError(error, ...GROUP_FENCING))
              throw new GroupFencedError(groupId, generation, { cause: error });
            // The group is between generations: this transaction cannot carry the offsets; the tasks
            // start again from their last commit under the next assignment.
            if (hasProtocolError(error, 'REBALANCE_IN_PROGRESS'))
              throw new TributaryError(
                'TRIB_REBALANCE',
                `group "${groupId}" is rebalancing; the transaction's offsets were refused`,
                { cause: error, kind: 'abortable' },
              );
            throw error;
          });
      },
      access,
    );
  }

  async commit(): Promise<void> {
    const transaction = this.open();
    this.transaction = undefined;
    if (!this.touched) return void (await transaction.cancel());
    await this.guard('committing a transaction', () => transaction.commit());
  }

  async abort(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    if (!transaction || transaction.completed) return;
    if (!this.touched) return void (await transaction.cancel());
    await this.guard('aborting a transaction', () => transaction.abort());
  }

  async close(): Promise<void> {
    await this.producer.close().catch(() => undefined);
    await this.wire.close();
  }

  private open(): Transaction<Buffer, Buffer, Buffer, Buffer> {
    if (!this.transaction)
      throw new TributaryError('TRIB_INTERNAL', `producer "${this.transactionalId}" has no open transaction`);
    return this.transaction;
  }

  /** Repeats a request the coordinator answered as busy, with the coordinator found again. */
  private async whileBusy(doing: string, request: () => Promise<void>, access: Access): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await request();
        return;
      } catch (error) {
        if (!hasProtocolError(error, ...COORDINATOR_BUSY) || attempt >= BUSY_ATTEMPTS)
          throw this.failure(error, doing, access);
        await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)));
      }
    }
  }

  private async guard<T>(doing: string, operation: () => Promise<T>, access: Access = {}): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.failure(error, doing, access);
    }
  }

  /**
   * What a failed operation means for the transaction: fencing is ProducerFencedError, a refusal by
   * the authorizer names what was refused (fatal), and what passes (a broker restarting, a coordinator
   * moving) is `abortable`: the transaction is aborted and its work done again from the last commit.
   * Errors this adapter raised itself (the group refusing the offsets) keep their kind.
   */
  private failure(error: unknown, doing: string, access: Access): Error {
    if (error instanceof TributaryError && error.kind !== 'retriable') return error;
    if (isFencing(error)) return new ProducerFencedError(this.transactionalId, { cause: error });
    const refused = this.refused(error, { ...access, transactionalId: this.transactionalId });
    return platformaticError(
      refused,
      `${doing} (producer "${this.transactionalId}")`,
      platformaticErrorKind(refused) === 'fatal' ? 'fatal' : 'abortable',
    );
  }
}

/** `topic "counts"`, `topics "counts", "totals"`, for messages. */
function describeTopics(topics: readonly string[]): string {
  return `topic${topics.length > 1 ? 's' : ''} ${topics.map((t) => `"${t}"`).join(', ')}`;
}

/** Sends records in bounded requests through one of the library's send functions. */
function sendThrough(
  send: (messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[]) => Promise<{
    offsets?: { topic: string; partition: number; offset: bigint }[];
  }>,
  limits: TopicLimits,
  records: readonly OutgoingRecord[],
): Promise<WrittenOffsets> {
  return sendInRequests(records, {
    limits,
    maxRecords: MAX_REQUEST_RECORDS,
    send: async (request) => writtenOffsets(request, await send(request.map(toMessage))),
    tooLarge: (error) => hasProtocolError(error, 'MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'),
  });
}

function toMessage(record: OutgoingRecord): MessageToProduce<Buffer, Buffer, Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>();
  for (const [key, value] of Object.entries(record.headers))
    headers.set(Buffer.from(key), typeof value === 'string' ? Buffer.from(value) : asBuffer(value));
  return {
    topic: record.topic,
    partition: record.partition,
    key: record.key === null ? undefined : asBuffer(record.key),
    value: record.value === null ? undefined : asBuffer(record.value),
    timestamp: BigInt(record.timestamp),
    headers,
  };
}

/**
 * The last offset written per partition: the library answers each partition's base offset, and a
 * request carries one batch per partition, so the last is the base plus the partition's records less one.
 */
function writtenOffsets(
  request: readonly OutgoingRecord[],
  result: { offsets?: { topic: string; partition: number; offset: bigint }[] },
): WrittenOffsets {
  const counts = new Map<string, number>();
  for (const r of request) {
    const key = `${r.topic}\u0000${r.partition}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const written: WrittenOffsets = new Map();
  for (const { topic, partition, offset } of result.offsets ?? []) {
    const count = counts.get(`${topic}\u0000${partition}`) ?? 1;
    let perTopic = written.get(topic);
    if (!perTopic) written.set(topic, (perTopic = new Map()));
    perTopic.set(partition, toOffset(offset + BigInt(count - 1)));
  }
  return written;
}
