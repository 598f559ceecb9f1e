import type { Headers, LogRecord } from '../../common/records.ts';
import { toOffset, type Offset } from '../../common/offset.ts';
import { TributaryError } from '../../errors.ts';
import { crc32c } from './crc32c.ts';

/**
 * Kafka's record batches (magic 2) decoded into the records the adapter hands on, in one pass and
 * without kafkajs' per-record garbage: kafkajs made each record an object of about 600 bytes of heap
 * (offsets and timestamps through its `Long` into strings, a Decoder per record, a headers object
 * rebuilt per header), which the adapter then turned into a LogRecord. Here each record is its
 * LogRecord from the start, a FetchedRecord: offset as the Offset the runtime uses, timestamp a
 * number, key and value views of the fetched bytes.
 *
 * A FetchedRecord also carries what kafkajs' consumer and ./fetch-rewrite.ts read of a fetched record
 * (`isControlRecord`, `batchContext`); kafkajs reads `offset` only through its `Long.fromValue`, which
 * takes a bigint. Its `topic` and `partition` are filled in by the rewrite, which knows them.
 */

/** What all records of one batch share: kafkajs' `batchContext`, plus the same as bigints. */
export class FetchedBatch {
  readonly baseOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly producer: bigint;
  readonly inTransaction: boolean;
  readonly isControlBatch: boolean;

  constructor(
    baseOffset: bigint,
    lastOffsetDelta: number,
    producer: bigint,
    inTransaction: boolean,
    isControlBatch: boolean,
  ) {
    this.baseOffset = baseOffset;
    this.lastOffsetDelta = lastOffsetDelta;
    this.producer = producer;
    this.inTransaction = inTransaction;
    this.isControlBatch = isControlBatch;
  }

  /** kafkajs' text of the first offset (read by its aborted-transaction filter only through Long). */
  get firstOffset(): string {
    return this.baseOffset.toString();
  }

  get producerId(): string {
    return this.producer.toString();
  }
}

/** A fetched record: the LogRecord the runtime receives, and the message kafkajs' consumer sorts. */
export class FetchedRecord implements LogRecord {
  topic = '';
  partition = -1;
  readonly offset: Offset;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Headers;
  /** True for transaction markers, and for records ./fetch-rewrite.ts hides (aborted, end of batches). */
  isControlRecord: boolean;
  readonly batchContext: FetchedBatch;

  constructor(
    offset: Offset,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number,
    headers: Headers,
    batch: FetchedBatch,
  ) {
    this.offset = offset;
    this.key = key;
    this.value = value;
    this.timestamp = timestamp;
    this.headers = headers;
    this.isControlRecord = batch.isControlBatch;
    this.batchContext = batch;
  }
}

/** Decompresses a batch's records (kafkajs' codec for the batch's attributes). */
export type Decompress = (attributes: number, compressed: Buffer) => Promise<Buffer>;

/** The batch header (record batch v2): offsets within a batch. */
const LENGTH_AT = 8;
const MAGIC_AT = 16;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const LAST_OFFSET_DELTA_AT = 23;
const FIRST_TIMESTAMP_AT = 27;
const MAX_TIMESTAMP_AT = 35;
const PRODUCER_ID_AT = 43;
const RECORD_COUNT_AT = 57;
const RECORDS_AT = 61;
/** kafkajs reads a batch only when at least this many bytes are left (its RECORD_BATCH_OVERHEAD). */
const BATCH_OVERHEAD = 49;

const CODEC_MASK = 0x07;
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/**
 * Decodes the record batches of one partition's record set, as kafkajs' decoder did: batch after
 * batch while at least a batch's overhead is left, stopping at a batch the fetch's byte limit cut
 * short. Unlike kafkajs it checks each complete batch's CRC-32C (as Kafka's Java consumer does by
 * default) and fails on a corrupt one. Compressed batches are decompressed by `decompress`; their
 * records are then read the same way.
 */
export async function decodeRecordBatches(records: Buffer, decompress: Decompress): Promise<FetchedRecord[]> {
  const out: FetchedRecord[] = [];
  let at = 0;
  while (records.length - at >= BATCH_OVERHEAD) {
    const length = records.readInt32BE(at + LENGTH_AT);
    const end = at + LENGTH_AT + 4 + length;
    if (length < RECORDS_AT - LENGTH_AT - 4 || end > records.length) break; // cut short by the fetch
    const batch = records.subarray(at, end);
    at = end;
    const magic = batch.readInt8(MAGIC_AT);
    if (magic !== 2) {
      throw new TributaryError(
        'TRIB_KAFKA',
        `a fetched record batch at offset ${batch.readBigInt64BE(0)} has format ${magic} among batches of format 2`,
      );
    }
    if (crc32c(batch.subarray(ATTRIBUTES_AT)) !== batch.readUInt32BE(CRC_AT)) {
      throw new TributaryError(
        'TRIB_KAFKA',
        `the fetched record batch at offset ${batch.readBigInt64BE(0)} is corrupt: its CRC-32C does not match its bytes`,
      );
    }
    const attributes = batch.readInt16BE(ATTRIBUTES_AT);
    const context = new FetchedBatch(
      batch.readBigInt64BE(0),
      batch.readInt32BE(LAST_OFFSET_DELTA_AT),
      batch.readBigInt64BE(PRODUCER_ID_AT),
      (attributes & TRANSACTIONAL) !== 0,
      (attributes & CONTROL) !== 0,
    );
    const count = batch.readInt32BE(RECORD_COUNT_AT);
    const firstTimestamp = Number(batch.readBigInt64BE(FIRST_TIMESTAMP_AT));
    // kafkajs gives every record of a log-append-time batch the batch's max timestamp.
    const appendTime =
      (attributes & LOG_APPEND_TIME) !== 0 ? Number(batch.readBigInt64BE(MAX_TIMESTAMP_AT)) : undefined;
    if ((attributes & CODEC_MASK) === 0) {
      readRecords(batch, RECORDS_AT, count, context, firstTimestamp, appendTime, out);
    } else if (count > 0) {
      const plain = await decompress(attributes, batch.subarray(RECORDS_AT));
      readRecords(plain, 0, count, context, firstTimestamp, appendTime, out);
    }
  }
  return out;
}

/** Reads `count` records from `bytes` at `start` (each record: its length, then its fields). */
function readRecords(
  bytes: Buffer,
  start: number,
  count: number,
  batch: FetchedBatch,
  firstTimestamp: number,
  appendTime: number | undefined,
  out: FetchedRecord[],
): void {
  const reader = new VarReader(bytes, start);
  const base = batch.baseOffset;
  for (let n = 0; n < count; n++) {
    const length = reader.varint();
    const next = reader.at + length;
    if (next > bytes.length) {
      throw new TributaryError('TRIB_KAFKA', `a fetched record batch at offset ${base} ends inside a record`);
    }
    reader.at += 1; // attributes (unused by Kafka today)
    const timestampDelta = reader.varlong();
    const offsetDelta = reader.varint();
    const key = reader.bytes();
    const value = reader.bytes();
    const headers = readHeaders(reader);
    reader.at = next;
    out.push(
      new FetchedRecord(
        toOffset(base + BigInt(offsetDelta)),
        key,
        value,
        appendTime ?? firstTimestamp + timestampDelta,
        headers,
        batch,
      ),
    );
  }
}

/** The headers of every record without any: shared, frozen (the runtime copies headers it extends). */
const NO_HEADERS: Headers = Object.freeze({});

/** A record's headers; a key that occurs more than once keeps its last value (see Headers). */
function readHeaders(reader: VarReader): Headers {
  const count = reader.varint();
  if (count <= 0) return NO_HEADERS;
  const headers: Record<string, string | Uint8Array> = {};
  for (let n = 0; n < count; n++) {
    const key = reader.string();
    const value = reader.bytes();
    // As kafkajs and the adapter had it: a null value is kept (as null), a null key is named "null".
    headers[key ?? 'null'] = value as Uint8Array;
  }
  return headers;
}

/** Reads zigzag varints and varint-prefixed bytes from a buffer. */
class VarReader {
  at: number;
  private readonly buffer: Buffer;

  constructor(buffer: Buffer, at: number) {
    this.buffer = buffer;
    this.at = at;
  }

  /** A zigzag varint of up to 32 bits. */
  varint(): number {
    const buffer = this.buffer;
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      if (this.at >= buffer.length || shift > 28) throw this.malformed();
      byte = buffer[this.at++]!;
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return (result >>> 1) ^ -(result & 1);
  }

  /** A zigzag varint of up to 64 bits, as a number (exact within ±2^53: timestamps' deltas are). */
  varlong(): number {
    const buffer = this.buffer;
    let result = 0;
    let scale = 1;
    let byte: number;
    do {
      if (this.at >= buffer.length || scale > 2 ** 63) throw this.malformed();
      byte = buffer[this.at++]!;
      result += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    // zigzag: even n is n / 2, odd n is -(n + 1) / 2
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  bytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    const end = this.at + length;
    if (end > this.buffer.length) throw this.malformed();
    const view = this.buffer.subarray(this.at, end);
    this.at = end;
    return view;
  }

  string(): string | null {
    const length = this.varint();
    if (length < 0) return null;
    const end = this.at + length;
    if (end > this.buffer.length) throw this.malformed();
    const text = this.buffer.toString('utf8', this.at, end);
    this.at = end;
    return text;
  }

  private malformed(): TributaryError {
    return new TributaryError('TRIB_KAFKA', `a fetched record is malformed at byte ${this.at} of its batch`);
  }
}
