import type { IHeaders, KafkaMessage, Message, RecordMetadata } from 'kafkajs';
import type { Headers } from '../../common/records.ts';
import { TributaryError } from '../../errors.ts';
import type { LogRecord, OutgoingRecord, TopicPartitionOffset, WrittenOffsets } from '../port.ts';
import { formatOffset, nextOffset, parseOffset, toOffset, type Offset } from '../../common/offset.ts';
import { causeOf, typeOf } from '../error-fields.ts';
import { FetchedRecord } from './record-decoding.ts';
import { asBuffer } from '../../common/bytes.ts';

export function fromKafkaHeaders(headers: IHeaders | undefined): Headers {
  if (!headers) return {};
  const result: Record<string, string | Uint8Array> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    // Repeated header keys keep the last value (documented on Headers).
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[key] = last;
  }
  return result;
}

export function toKafkaHeaders(headers: Headers): IHeaders | undefined {
  const keys = Object.keys(headers);
  if (keys.length === 0) return undefined;
  const result: IHeaders = {};
  for (const key of keys) {
    const value = headers[key]!;
    result[key] =
      typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return result;
}

export function toBuffer(bytes: Uint8Array | null): Buffer | null {
  if (bytes === null) return null;
  return asBuffer(bytes);
}

export function fromKafkaMessage(topic: string, partition: number, message: KafkaMessage): LogRecord {
  return {
    topic,
    partition,
    offset: parseOffset(message.offset),
    key: message.key ?? null,
    value: message.value ?? null,
    timestamp: Number(message.timestamp),
    headers: fromKafkaHeaders(message.headers),
  };
}

/**
 * The records of a kafkajs batch as LogRecords: those ./record-decoding.ts decoded already are (the
 * fetch rewrite gave them their topic and partition), kafkajs' own (legacy message sets) are converted.
 */
export function logRecords(
  topic: string,
  partition: number,
  messages: readonly KafkaMessage[],
): readonly LogRecord[] {
  const records = messages as readonly unknown[];
  // kafkajs made the array for this batch and does not change it afterwards.
  if (records.every((record) => record instanceof FetchedRecord)) return records as readonly FetchedRecord[];
  return records.map((record) =>
    record instanceof FetchedRecord ? record : fromKafkaMessage(topic, partition, record as KafkaMessage),
  );
}

/**
 * The offset after a batch whose last offset kafkajs reports: text, or the bigint of a record
 * decoded by ./record-decoding.ts (kafkajs hands a record's offset on as it is).
 */
export function afterLast(lastOffset: string | bigint): Offset {
  return nextOffset(typeof lastOffset === 'bigint' ? toOffset(lastOffset) : parseOffset(lastOffset));
}

/** A position as kafkajs' seek and commit take it, the offset as text. */
export function toKafkaPosition(position: TopicPartitionOffset): {
  topic: string;
  partition: number;
  offset: string;
} {
  return { topic: position.topic, partition: position.partition, offset: formatOffset(position.offset) };
}

export function toKafkaMessage(record: OutgoingRecord): Message {
  return {
    key: toBuffer(record.key),
    value: toBuffer(record.value),
    partition: record.partition,
    timestamp: String(record.timestamp),
    headers: toKafkaHeaders(record.headers),
  };
}

/** Groups records by topic for kafkajs' sendBatch, keeping their order. */
export function topicMessages(records: readonly OutgoingRecord[]): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let messages = byTopic.get(record.topic);
    if (!messages) byTopic.set(record.topic, (messages = []));
    messages.push(toKafkaMessage(record));
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * The last offset written per partition: each partition's records went out in one produce batch, so the
 * last one is at the batch's base offset plus the count minus one.
 *
 * kafkajs' answer to a sendBatch must name each partition the records went to exactly once, and this
 * is checked, because kafkajs 2.2.4 gets it wrong when a partition's leader moves while it retries (a
 * broker killed or restarting): it keeps the answers of the attempts before per broker, not per
 * partition, and on the next attempt sends to each broker that has not answered yet whatever
 * partitions that broker leads now. A partition already written whose leader moved to such a broker is
 * written again, with the next sequence numbers, so the broker appends it a second time (the same
 * records twice, within one transaction); a partition that failed and moved to a broker that had
 * answered is not sent again at all, and the send resolves without it (its records lost). Both show
 * here, as a partition answered twice or not at all: the send fails, retriable, and is not to be
 * trusted — a transaction it was part of must be aborted (the transactional producer makes any failure
 * abortable), and an idempotent producer starts over with a new id before the records go out again.
 */
export function writtenOffsets(
  records: readonly OutgoingRecord[],
  metadata: readonly RecordMetadata[],
): WrittenOffsets {
  const counts = new Map<string, Map<number, number>>();
  for (const record of records) {
    let perTopic = counts.get(record.topic);
    if (!perTopic) counts.set(record.topic, (perTopic = new Map()));
    perTopic.set(record.partition, (perTopic.get(record.partition) ?? 0) + 1);
  }
  const written: WrittenOffsets = new Map();
  for (const entry of metadata) {
    const count = counts.get(entry.topicName)?.get(entry.partition);
    if (count === undefined || entry.baseOffset === undefined) continue;
    let perTopic = written.get(entry.topicName);
    if (!perTopic) written.set(entry.topicName, (perTopic = new Map()));
    const last = toOffset(BigInt(entry.baseOffset) + BigInt(count) - 1n);
    const earlier = perTopic.get(entry.partition);
    if (earlier !== undefined) {
      throw new TributaryError(
        'TRIB_KAFKA',
        `the client wrote the ${count} records for topic "${entry.topicName}" partition ${entry.partition} twice ` +
          `(at offsets ${earlier - BigInt(count) + 1n} and ${entry.baseOffset}): the partition's leader moved while the send was retried`,
        { retriable: true },
      );
    }
    perTopic.set(entry.partition, last);
  }
  for (const [topic, partitions] of counts) {
    for (const [partition, count] of partitions) {
      if (written.get(topic)?.has(partition)) continue;
      throw new TributaryError(
        'TRIB_KAFKA',
        `the client did not write the ${count} records for topic "${topic}" partition ${partition}, ` +
          "though it reported the send done: the partition's leader moved while the send was retried",
        { retriable: true },
      );
    }
  }
  return written;
}

/**
 * The Kafka error code name (`ILLEGAL_GENERATION`, `INVALID_PRODUCER_EPOCH`, ...) of a kafkajs error.
 * kafkajs' retrier wraps the protocol error in KafkaJSNonRetriableError or
 * KafkaJSNumberOfRetriesExceeded, which carry it as their cause; look through the chain.
 */
export function kafkaErrorType(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const type = typeOf(current);
    if (typeof type === 'string') return type;
    current = causeOf(current);
  }
  return undefined;
}
