import { TributaryError } from '../errors.ts';
import type { OutgoingRecord } from './port.ts';

/**
 * A produce request's size, as the Java producer bounds it by default (`max.request.size`): large
 * enough that a request's round trip is worth it, small enough that encoding one blocks the event loop
 * for only a few milliseconds. A single record above it still goes out, alone, when its topic allows it.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/**
 * Records per request, for kafkajs: its own request building grouped a request's records by partition
 * in time quadratic in the records of one partition and encoded each record at several microseconds
 * (measured on the benchmark machine: 1,000 records of one partition about 5 ms, 2,000 about 24 ms).
 * The adapter replaces both now (kafkajs/linear-grouping.ts, kafkajs/produce-encoding.ts), and a
 * bound of 5,000 measured no better (docs/benchmarks.md). A client that encodes in linear time passes
 * its own bound (`produceRequests`).
 */
export const MAX_REQUEST_RECORDS = 1_000;
/** The fixed part of a record batch (v2): base offset, length, epoch, magic, CRC, attributes, ... */
export const RECORD_BATCH_OVERHEAD = 61;

/** A record that no request can carry: its batch alone is over the topic's `max.message.bytes`. */
export class RecordTooLargeError extends TributaryError {
  readonly topic: string;
  readonly partition: number;
  readonly bytes: number;
  readonly limit: number;

  constructor(topic: string, partition: number, bytes: number, limit: number) {
    super(
      'TRIB_RECORD_TOO_LARGE',
      `a record for topic "${topic}" partition ${partition} takes ${bytes} bytes in a batch of its own, ` +
        `more than the ${limit} bytes the topic accepts (max.message.bytes, or the broker's message.max.bytes)`,
    );
    this.topic = topic;
    this.partition = partition;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * Splits records into produce requests that the broker accepts: each partition's batch within its
 * topic's `max.message.bytes`, each request within MAX_REQUEST_BYTES and `maxRecords`. Records
 * keep their order (requests are sent one after the other), and the work is linear in the records.
 * Requests are made one at a time, as the caller takes them: a large send never blocks the event loop
 * to split all of it up front. A record no request can carry throws when its request is reached.
 * Sizes are upper bounds (varints at their widest), so a batch is never larger than counted.
 */
export function* produceRequests(
  records: readonly OutgoingRecord[],
  limitOf: (topic: string) => number,
  maxRecords = MAX_REQUEST_RECORDS,
): Generator<OutgoingRecord[]> {
  let request: OutgoingRecord[] = [];
  let requestBytes = 0;
  let batchBytes = new Map<string, number>();
  for (const record of records) {
    const limit = limitOf(record.topic);
    const alone = RECORD_BATCH_OVERHEAD + recordBytes(record, MIN_DELTA_BYTES);
    if (alone > limit) throw new RecordTooLargeError(record.topic, record.partition, alone, limit);
    const size = recordBytes(record, MAX_DELTA_BYTES);
    const batch = `${record.topic}\u0000${record.partition}`;
    const inBatch = batchBytes.get(batch);
    const added = size + (inBatch === undefined ? RECORD_BATCH_OVERHEAD : 0);
    const fits =
      request.length < maxRecords &&
      requestBytes + added <= MAX_REQUEST_BYTES &&
      (inBatch ?? RECORD_BATCH_OVERHEAD) + size <= limit;
    if (!fits && request.length > 0) {
      yield request;
      request = [];
      requestBytes = 0;
      batchBytes = new Map();
    }
    const opened = batchBytes.get(batch);
    const total = (opened ?? RECORD_BATCH_OVERHEAD) + size;
    requestBytes += total - (opened ?? 0);
    batchBytes.set(batch, total);
    request.push(record);
  }
  if (request.length > 0) yield request;
}

/** The widest a record's timestamp delta (varlong) and offset delta (varint) can be together. */
const MAX_DELTA_BYTES = 10 + 5;
/** The narrowest: both deltas zero, as for a batch's first record. */
const MIN_DELTA_BYTES = 2;

/**
 * A record's size in a v2 record batch: length, attributes, timestamp and offset deltas (`deltaBytes`
 * for both), key, value and headers, each with its varint length.
 */
export function recordBytes(record: OutgoingRecord, deltaBytes: number): number {
  let body = 1 + deltaBytes + lengthPrefixed(record.key) + lengthPrefixed(record.value);
  const keys = Object.keys(record.headers);
  body += varintBytes(keys.length);
  for (const key of keys) {
    const value = record.headers[key]!;
    body += lengthPrefixed(Buffer.byteLength(key)) + lengthPrefixed(byteLength(value));
  }
  return varintBytes(body) + body;
}

function byteLength(value: string | Uint8Array): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
}

/** A length-prefixed field: its bytes and their zigzag varint length (-1, one byte, for null). */
function lengthPrefixed(field: Uint8Array | number | null): number {
  if (field === null) return 1;
  const length = typeof field === 'number' ? field : field.byteLength;
  return varintBytes(length) + length;
}

/** Bytes of a non-negative int as a zigzag varint. */
function varintBytes(value: number): number {
  let zigzag = value * 2;
  let bytes = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 0x80);
    bytes++;
  }
  return bytes;
}
