import { createRequire } from 'node:module';
import { replaceCachedModule } from './module-cache.ts';
import { crc32c } from './crc32c.ts';
import { planRecords, writeRecords, type RecordFields, type RecordsPlan } from './record-encoding.ts';

/**
 * kafkajs' Produce requests (v3 and later) encode every record into an `Encoder` of its own (a
 * zero-filled Buffer, grown by copying, varints written through temporary Buffers), then copy them
 * all into the batch: about a fifth of a worker's CPU, plus its garbage. Here its two modules for a
 * record batch are replaced, before kafkajs loads them, by ones that write a batch's records into one
 * buffer in one pass (record-encoding.ts): the record module only keeps the record's fields, and the
 * batch module writes them all, with the batch's header, into the buffer it returns.
 */
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const BATCH_MODULE = 'kafkajs/src/protocol/recordBatch/v0/index.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';
const COMPRESSION_MODULE = 'kafkajs/src/protocol/message/compression/index.js';
const LONG_MODULE = 'kafkajs/src/utils/long.js';

/** What kafkajs' Produce request gives its `RecordBatch` (defaults as kafkajs has them). */
interface BatchFields {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: readonly unknown[];
}

/** kafkajs' `Encoder`, as far as its Produce request uses what `RecordBatch` returns. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  size(): number;
}

interface Codec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>;
}

interface Kafkajs {
  record: (fields: RecordFields) => unknown;
  batchModule: { RecordBatch: (fields: BatchFields) => Promise<KafkajsEncoder> };
  Encoder: new () => KafkajsEncoder;
  lookupCodec: (compression: number) => Codec | null;
  toLong: (value: unknown) => { value: bigint };
}

/** A record kafkajs asked to encode, kept until its batch writes it. */
class PendingRecord {
  readonly fields: RecordFields;
  constructor(fields: RecordFields) {
    this.fields = fields;
  }
}

const MAGIC = 2;
const TRANSACTIONAL = 0x10;
const CODEC_MASK = 0x07;
/** Where the CRC32C starts: after firstOffset, length, partitionLeaderEpoch, magic and the CRC itself. */
const CRC_START = 8 + 4 + 4 + 1 + 4;
/** The batch's bytes before its records: the above, attributes to firstSequence, the record count. */
const HEADER_SIZE = CRC_START + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

function loadKafkajs(require: NodeJS.Require): Kafkajs | undefined {
  try {
    const batchModule = require(BATCH_MODULE) as Kafkajs['batchModule'];
    const record = require(RECORD_MODULE) as Kafkajs['record'];
    const Encoder = require(ENCODER_MODULE) as Kafkajs['Encoder'];
    const { lookupCodec } = require(COMPRESSION_MODULE) as Pick<Kafkajs, 'lookupCodec'>;
    const Long = require(LONG_MODULE) as { fromValue: Kafkajs['toLong'] };
    const probe = new Encoder();
    if (
      typeof batchModule.RecordBatch !== 'function' ||
      typeof record !== 'function' ||
      typeof lookupCodec !== 'function' ||
      typeof Long.fromValue !== 'function' ||
      !Buffer.isBuffer(probe.buf) ||
      probe.offset !== 0
    ) {
      return undefined;
    }
    return { batchModule, record, Encoder, lookupCodec, toLong: (value) => Long.fromValue(value) };
  } catch {
    return undefined;
  }
}

/** kafkajs' `Encoder` holding `buffer` as what it has written, without copying it. */
function asEncoder(kafkajs: Kafkajs, buffer: Buffer): KafkajsEncoder {
  const encoder = Object.create(kafkajs.Encoder.prototype) as KafkajsEncoder;
  encoder.buf = buffer;
  encoder.offset = buffer.length;
  return encoder;
}

function writeInt64(kafkajs: Kafkajs, target: Buffer, offset: number, value: unknown): void {
  target.writeBigInt64BE(BigInt.asIntN(64, kafkajs.toLong(value).value), offset);
}

/** The batch's header (everything before the records) and its CRC over attributes to the end. */
function writeBatch(kafkajs: Kafkajs, fields: BatchFields, batch: Buffer, recordCount: number): Buffer {
  const {
    compression = 0,
    firstOffset = 0,
    firstTimestamp = Date.now(),
    maxTimestamp = Date.now(),
    partitionLeaderEpoch = 0,
    lastOffsetDelta = 0,
    transactional = false,
    producerId = -1,
    producerEpoch = 0,
    firstSequence = 0,
  } = fields;
  writeInt64(kafkajs, batch, 0, firstOffset);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(partitionLeaderEpoch, 12);
  batch.writeInt8(MAGIC, 16);
  batch.writeInt16BE((compression & CODEC_MASK) | (transactional ? TRANSACTIONAL : 0), CRC_START);
  batch.writeInt32BE(lastOffsetDelta, CRC_START + 2);
  writeInt64(kafkajs, batch, CRC_START + 6, firstTimestamp);
  writeInt64(kafkajs, batch, CRC_START + 14, maxTimestamp);
  writeInt64(kafkajs, batch, CRC_START + 22, producerId);
  batch.writeInt16BE(producerEpoch, CRC_START + 30);
  batch.writeInt32BE(firstSequence, CRC_START + 32);
  batch.writeInt32BE(recordCount, CRC_START + 36);
  batch.writeUInt32BE(crc32c(batch.subarray(CRC_START)), 17);
  return batch;
}

async function encodeBatch(
  kafkajs: Kafkajs,
  fields: BatchFields,
  plan: RecordsPlan,
  codec: Codec | undefined,
): Promise<KafkajsEncoder> {
  const count = plan.records.length;
  if (codec === undefined) {
    const batch = Buffer.allocUnsafe(HEADER_SIZE + plan.size);
    writeRecords(plan, batch, HEADER_SIZE);
    return asEncoder(kafkajs, writeBatch(kafkajs, fields, batch, count));
  }
  const records = Buffer.allocUnsafe(plan.size);
  writeRecords(plan, records, 0);
  // kafkajs' codecs (and ones registered with it) take an Encoder.
  const compressed = await codec.compress(asEncoder(kafkajs, records));
  const batch = Buffer.allocUnsafe(HEADER_SIZE + compressed.length);
  compressed.copy(batch, HEADER_SIZE);
  return asEncoder(kafkajs, writeBatch(kafkajs, fields, batch, count));
}

/** The replacement for kafkajs' `RecordBatch`: ours when every record is, kafkajs' own otherwise. */
function recordBatch(kafkajs: Kafkajs): (fields: BatchFields) => Promise<KafkajsEncoder> {
  return async (fields) => {
    const { records = [], compression = 0 } = fields;
    // kafkajs looks its codec up the same way (and throws the same error for one it lacks).
    const codec = compression === 0 ? undefined : (kafkajs.lookupCodec(compression) ?? null);
    let pending = codec !== null;
    for (const record of records) if (!(record instanceof PendingRecord)) pending = false;
    const plan = pending ? planRecords(records.map((record) => (record as PendingRecord).fields)) : undefined;
    if (plan === undefined || codec === null) {
      const encoded = records.map((record) =>
        record instanceof PendingRecord ? kafkajs.record(record.fields) : record,
      );
      return kafkajs.batchModule.RecordBatch({ ...fields, records: encoded });
    }
    return encodeBatch(kafkajs, fields, plan, codec);
  };
}

/**
 * Puts the two replacements in Node's module cache, both or neither, before kafkajs' Produce
 * requests load them: this module must be imported before kafkajs is (the adapter imports it first).
 * If kafkajs loaded either module before, or is laid out otherwise, it keeps its own encoding, which
 * gives the same bytes.
 */
export function installProduceEncoding(require: NodeJS.Require = createRequire(import.meta.url)): boolean {
  let recordPath: string;
  let batchPath: string;
  try {
    recordPath = require.resolve(RECORD_MODULE);
    batchPath = require.resolve(BATCH_MODULE);
  } catch {
    return false;
  }
  const cachedRecord = require.cache[recordPath];
  if (cachedRecord) return cachedRecord.exports === pendingRecord;
  if (require.cache[batchPath]) return false;
  const kafkajs = loadKafkajs(require);
  if (!kafkajs) return false;
  replaceCachedModule(require, recordPath, pendingRecord);
  replaceCachedModule(require, batchPath, { ...kafkajs.batchModule, RecordBatch: recordBatch(kafkajs) });
  return true;
}

/** The replacement for kafkajs' record encoder: the record is written with its batch. */
export function pendingRecord(fields: RecordFields): PendingRecord {
  return new PendingRecord(fields);
}

export const produceEncodingInstalled = installProduceEncoding();
