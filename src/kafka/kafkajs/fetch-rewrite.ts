/**
 * What kafkajs' consumers see of a fetch, corrected before kafkajs builds its batches.
 *
 * kafkajs turns each fetched partition into a batch (`new Batch(topic, fetchedOffset, partitionData)`
 * in its consumer group) that exposes the records whose `isControlRecord` is false, and moves the
 * consumer to the offset after its last record. Two things go wrong on the way:
 *
 * - Aborted records. kafkajs 2.2.4 filters them with a rule of its own
 *   (src/consumer/filterAbortedMessages.js): it takes the aborted transactions in the order the broker
 *   lists them (the order their markers were written, not their first offsets) and lets at most one
 *   begin per record. With two aborted transactions interleaved on a partition it delivers records of
 *   one of them, and it can drop committed records of a producer it marks late. Here Kafka's rule
 *   (../aborted-filter.ts) decides instead: the records it rejects are flagged like control records
 *   (kept in the batch, so the position still moves past them) and the aborted list is emptied, which
 *   turns kafkajs' own rule into a no-op.
 * - Batches left empty by compaction. kafkajs' decoder drops them, so a fetch holding only such a
 *   batch gives kafkajs nowhere to move and it fetches it forever (see ./fetch-batches.ts). Here a
 *   hidden record is added at the last offset of the last complete batch, so the consumer moves past
 *   every batch it fetched, as Kafka's Java consumer does.
 * - The partition's end. kafkajs reports the high watermark, which under read_committed counts the
 *   records of transactions still open: a consumer that has read everything committed would look
 *   behind, and a task waiting for that partition (KIP-695) would wait for a transaction it cannot see.
 *   Here a read_committed fetch reports the last stable offset as the end, as Kafka's Java consumer
 *   computes its lag.
 *
 * The records ./fetch-decoding.ts decoded are LogRecords but for their topic and partition, which the
 * decoder does not know: they are given them here.
 *
 * This relies on kafkajs internals, so every assumption is checked (see ./fetch-hook.ts for where):
 * a kafkajs that does not fit fails with KafkaClientMismatchError instead of misbehaving quietly.
 */
import { createRequire } from 'node:module';
import { TributaryError } from '../../errors.ts';
import { ReadCommittedFilter, controlRecordType, type FetchedRecordFacts } from '../aborted-filter.ts';
import type { BatchEnds } from './fetch-batches.ts';
import { FetchedBatch, FetchedRecord } from './record-decoding.ts';
import { toOffset } from '../../common/offset.ts';

const require = createRequire(import.meta.url);

/** Tags the records array of every partition rewritten here (kafkajs keeps it as batch.rawMessages). */
const REWRITTEN = Symbol('tributary.fetchRewritten');

/**
 * A record as kafkajs' own fetch decoder returns it (only what the rewrite reads or changes): from
 * record sets in the legacy message format, which ./fetch-decoding.ts leaves to kafkajs.
 */
interface KafkajsRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  magicByte?: number;
  batchContext?: {
    firstOffset: string;
    lastOffsetDelta: number;
    producerId: string;
    inTransaction: boolean;
    isControlBatch: boolean;
  };
}

/** A fetched record: ./record-decoding.ts' (record batches) or kafkajs' (legacy message sets). */
type DecodedRecord = FetchedRecord | KafkajsRecord;

interface DecodedPartition {
  partition: number;
  highWatermark: string;
  /** From fetch v4 on; -1 when the broker does not know it. */
  lastStableOffset?: string;
  abortedTransactions: { producerId: string; firstOffset: string }[];
  messages: DecodedRecord[];
}

/** kafkajs is not shaped as the adapter expects (its fetch rewrite, decoders, encoders or requests): going on could break its guarantees. */
export class KafkaClientMismatchError extends TributaryError {
  constructor(what: string) {
    super(
      'TRIB_KAFKA_CLIENT',
      `kafkajs ${kafkajsVersion()} does not work the way Tributary's kafkajs adapter relies on (${what}); ` +
        'going on could break its guarantees (records of aborted transactions delivered, offsets committed ' +
        'unfenced). Tributary supports kafkajs 2.2.x.',
    );
  }
}

function kafkajsVersion(): string {
  try {
    return String((require('kafkajs/package.json') as { version?: unknown }).version);
  } catch {
    return '(unknown version)';
  }
}

/**
 * Rewrites a decoded fetch response in place. `ends` (from the raw response) says where each
 * partition's batches end; undefined when the response version is not read.
 */
export function rewriteFetchResponse(
  decoded: unknown,
  options: { readCommitted: boolean; ends: BatchEnds | undefined },
): void {
  const responses = (decoded as { responses?: unknown } | null)?.responses;
  if (!Array.isArray(responses)) throw new KafkaClientMismatchError('a fetch response has no responses list');
  for (const topicResponse of responses as { topicName?: unknown; partitions?: unknown }[]) {
    const topic = topicResponse.topicName;
    if (typeof topic !== 'string' || !Array.isArray(topicResponse.partitions)) {
      throw new KafkaClientMismatchError('a fetch response lists a topic without a name or partitions');
    }
    for (const partition of topicResponse.partitions as { partition?: unknown }[]) {
      const end =
        typeof partition.partition === 'number'
          ? options.ends?.get(topic)?.get(partition.partition)
          : undefined;
      rewritePartition(topic, partition, { readCommitted: options.readCommitted, batchesEnd: end });
    }
  }
}

/**
 * Hides the records of one fetched partition that read_committed does not deliver (when reading
 * committed), and makes the records end where the fetched batches end.
 */
export function rewritePartition(
  topic: string,
  decoded: unknown,
  options: { readCommitted: boolean; batchesEnd: bigint | undefined },
): void {
  const partition = decoded as Partial<DecodedPartition>;
  const where = `topic ${topic}, partition ${String(partition.partition)}`;
  if (!Array.isArray(partition.abortedTransactions) || !Array.isArray(partition.messages)) {
    throw new KafkaClientMismatchError(
      `the fetch response for ${where} has no aborted-transaction or record list`,
    );
  }
  const records = partition.messages;
  // The records become whole LogRecords here, where their topic and partition are known.
  if (typeof partition.partition === 'number') {
    for (const record of records) {
      if (record instanceof FetchedRecord) {
        record.topic = topic;
        record.partition = partition.partition;
      }
    }
  }
  if (options.readCommitted && partition.abortedTransactions.length > 0) {
    const filter = new ReadCommittedFilter(
      partition.abortedTransactions.map((t) => ({
        producerId: BigInt(t.producerId),
        firstOffset: BigInt(t.firstOffset),
      })),
    );
    for (const record of records) {
      if (!filter.accepts(factsOf(record, where))) record.isControlRecord = true;
    }
    partition.abortedTransactions = [];
  }
  if (options.readCommitted) reportStableEnd(partition);
  const last = records.length > 0 ? BigInt(records[records.length - 1]!.offset) : undefined;
  if (options.batchesEnd !== undefined && (last === undefined || last < options.batchesEnd)) {
    records.push(endOfBatches(topic, partition.partition, options.batchesEnd));
  }
  Object.defineProperty(records, REWRITTEN, { value: true });
}

/** Makes kafkajs' batch report the last stable offset as the partition's end (its `highWatermark`). */
function reportStableEnd(partition: Partial<DecodedPartition>): void {
  const stable = partition.lastStableOffset;
  if (typeof stable === 'string' && BigInt(stable) >= 0n) partition.highWatermark = stable;
}

/** A hidden record at the fetched batches' last offset: kafkajs resolves the batch up to it. */
function endOfBatches(topic: string, partition: number | undefined, offset: bigint): FetchedRecord {
  const record = new FetchedRecord(
    toOffset(offset),
    null,
    null,
    0,
    {},
    new FetchedBatch(offset, 0, -1n, false, true),
  );
  record.topic = topic;
  record.partition = partition ?? -1;
  return record;
}

function factsOf(record: DecodedRecord, where: string): FetchedRecordFacts {
  if (record instanceof FetchedRecord) {
    const batch = record.batchContext;
    return {
      offset: record.offset,
      batchLastOffset: batch.baseOffset + BigInt(batch.lastOffsetDelta),
      producerId: batch.producer,
      transactional: batch.inTransaction,
      control: batch.isControlBatch ? controlRecordType(record.key) : null,
    };
  }
  const context = record.batchContext;
  if (context === undefined && record.magicByte !== undefined && record.magicByte < 2) {
    // The old message format has no producers and no transactions.
    const offset = BigInt(record.offset);
    return { offset, batchLastOffset: offset, producerId: -1n, transactional: false, control: null };
  }
  if (
    typeof record.offset !== 'string' ||
    typeof context?.firstOffset !== 'string' ||
    typeof context.lastOffsetDelta !== 'number' ||
    typeof context.producerId !== 'string' ||
    typeof context.inTransaction !== 'boolean' ||
    typeof context.isControlBatch !== 'boolean'
  ) {
    throw new KafkaClientMismatchError(
      `a record fetched from ${where} at offset ${String(record.offset)} lacks its batch's producer and transaction flags`,
    );
  }
  return {
    offset: BigInt(record.offset),
    batchLastOffset: BigInt(context.firstOffset) + BigInt(context.lastOffsetDelta),
    producerId: BigInt(context.producerId),
    transactional: context.inTransaction,
    control: context.isControlBatch ? controlRecordType(record.key) : null,
  };
}

/**
 * Fails when a batch kafkajs handed to a consumer did not come from a rewritten fetch response:
 * kafkajs fetched some other way, and its own rule decided what the batch holds.
 */
export function assertRewrittenBatch(batch: object): void {
  const records = (batch as { rawMessages?: unknown }).rawMessages;
  if (!Array.isArray(records) || (records as unknown as Record<symbol, unknown>)[REWRITTEN] !== true) {
    const { topic, partition } = batch as { topic?: unknown; partition?: unknown };
    throw new KafkaClientMismatchError(
      `a batch of topic ${String(topic)}, partition ${String(partition)} did not come through the rewritten fetch`,
    );
  }
}

let batchVerified = false;

/**
 * Builds a kafkajs Batch from a rewritten partition where kafkajs' own rule goes wrong (two aborted
 * transactions listed out of first-offset order, and a last batch without records) and checks that it
 * exposes exactly the committed record and moves past everything fetched. The records are shaped as
 * ./record-decoding.ts makes them (bigint offsets, which kafkajs' Batch must read through its Long).
 */
export function verifyBatchExposesRewrittenPartition(): void {
  if (batchVerified) return;
  let Batch: new (
    topic: string,
    fetchedOffset: string,
    partition: unknown,
  ) => {
    messages?: { offset: unknown }[];
    lastOffset?: () => unknown;
    highWatermark?: string;
  };
  try {
    Batch = require('kafkajs/src/consumer/batch.js');
  } catch (error) {
    throw new KafkaClientMismatchError(`its consumer Batch cannot be loaded: ${(error as Error).message}`);
  }
  const record = (offset: bigint, producer: bigint, type?: number): DecodedRecord =>
    new FetchedRecord(
      toOffset(offset),
      type === undefined ? Buffer.from(String(offset)) : Buffer.from([0, 0, 0, type]),
      null,
      0,
      {},
      new FetchedBatch(offset, 0, producer, producer !== -1n, type !== undefined),
    );
  // Producer 1 aborts a transaction from offset 0, producer 2 one from offset 1 whose marker comes
  // first; offsets 5 and 6 are an empty batch; a transaction open from offset 7 on.
  const partition: DecodedPartition = {
    partition: 0,
    highWatermark: '9',
    lastStableOffset: '7',
    abortedTransactions: [
      { producerId: '2', firstOffset: '1' },
      { producerId: '1', firstOffset: '0' },
    ],
    messages: [record(0n, 1n), record(1n, 2n), record(2n, -1n), record(3n, 2n, 0), record(4n, 1n, 0)],
  };
  rewritePartition('verification', partition, { readCommitted: true, batchesEnd: 6n });
  let exposed: string | undefined;
  let last: string | undefined;
  let end: string | undefined;
  try {
    const batch = new Batch('verification', '0', partition);
    exposed = batch.messages?.map((m) => String(m.offset)).join(',');
    last = String(batch.lastOffset?.());
    end = batch.highWatermark;
  } catch (error) {
    throw new KafkaClientMismatchError(
      `its consumer Batch fails on a rewritten response: ${(error as Error).message}`,
    );
  }
  if (exposed !== '2' || last !== '6' || end !== '7') {
    throw new KafkaClientMismatchError(
      `a Batch of a rewritten response exposes offsets [${exposed}] up to ${last} of ${end}, not [2] up to 6 of 7`,
    );
  }
  batchVerified = true;
}
