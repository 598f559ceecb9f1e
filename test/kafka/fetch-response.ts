/**
 * Fetch responses as a broker sends them (Fetch v4 to v11, record batches v2), built from the
 * transaction-log model and decoded by kafkajs' own decoder: what kafkajs' consumer group turns into
 * batches.
 */
import { createRequire } from 'node:module';
import type { AbortedTransaction } from '../../src/kafka/aborted-filter.ts';
import type { LogBatch } from './transaction-log-model.ts';
import { crc32c } from '../../src/kafka/kafkajs/crc32c.ts';

const require = createRequire(import.meta.url);

/** Big-endian fields and Kafka's zigzag varints, appended to a growing list of chunks. */
class Writer {
  private readonly chunks: Buffer[] = [];

  int8(v: number): this {
    return this.push(Buffer.of(v & 0xff));
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.push(b);
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }
  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    return this.push(b);
  }
  varint(v: number | bigint): this {
    let n = BigInt(v);
    n = n >= 0n ? n << 1n : (-n << 1n) - 1n;
    const bytes: number[] = [];
    do {
      const low = Number(n & 0x7fn);
      n >>= 7n;
      bytes.push(n > 0n ? low | 0x80 : low);
    } while (n > 0n);
    return this.push(Buffer.from(bytes));
  }
  varBytes(b: Buffer | null): this {
    return b === null ? this.varint(-1) : this.varint(b.length).push(b);
  }
  string(s: string): this {
    const b = Buffer.from(s);
    return this.int16(b.length).push(b);
  }
  push(b: Buffer): this {
    this.chunks.push(b);
    return this;
  }
  get length(): number {
    return this.chunks.reduce((n, b) => n + b.length, 0);
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** One record batch, magic 2, with its CRC-32C (kafkajs does not check it; the adapter's decoder does). */
export function encodeBatch(batch: LogBatch): Buffer {
  const body = new Writer()
    .int16((batch.transactional ? TRANSACTIONAL : 0) | (batch.control ? CONTROL : 0))
    .int32(Number(batch.lastOffset - batch.baseOffset))
    .int64(1_700_000_000_000n)
    .int64(1_700_000_000_000n)
    .int64(batch.producerId)
    .int16(batch.producerId >= 0n ? 0 : -1)
    .int32(-1)
    .int32(batch.records.length);
  for (const record of batch.records) {
    const key = batch.control
      ? Buffer.of(0, 0, 0, batch.control === 'abort' ? 0 : 1)
      : Buffer.from(record.key);
    const value = batch.control ? Buffer.of(0, 0, 0, 0, 0, 0) : Buffer.from(`value-${record.key}`);
    const fields = new Writer()
      .int8(0)
      .varint(0)
      .varint(record.offset - batch.baseOffset)
      .varBytes(key)
      .varBytes(value)
      .varint(0)
      .bytes();
    body.varint(fields.length).push(fields);
  }
  const checked = body.bytes();
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(checked));
  const afterLength = new Writer().int32(0).int8(2).push(crc).push(checked).bytes();
  return new Writer().int64(batch.baseOffset).int32(afterLength.length).push(afterLength).bytes();
}

export interface EncodedPartition {
  readonly partition: number;
  readonly batches: readonly LogBatch[];
  readonly aborted: readonly AbortedTransaction[];
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  /** Bytes cut off the end of the record set, as a fetch's byte limit cuts the last batch. */
  readonly cut?: number;
}

/** A Fetch response of `version` (4 to 11), laid out as a broker sends it. */
export function encodeFetchResponse(
  version: number,
  topics: readonly { topic: string; partitions: readonly EncodedPartition[] }[],
): Buffer {
  const response = new Writer().int32(0);
  if (version >= 7) response.int16(0).int32(0);
  response.int32(topics.length);
  for (const { topic, partitions } of topics) {
    response.string(topic).int32(partitions.length);
    for (const p of partitions) {
      const whole = Buffer.concat(p.batches.map(encodeBatch));
      const records = whole.subarray(0, whole.length - (p.cut ?? 0));
      response.int32(p.partition).int16(0).int64(p.highWatermark).int64(p.lastStableOffset);
      if (version >= 5) response.int64(0n);
      response.int32(p.aborted.length);
      for (const aborted of p.aborted) response.int64(aborted.producerId).int64(aborted.firstOffset);
      if (version >= 11) response.int32(-1);
      response.int32(records.length).push(records);
    }
  }
  return response.bytes();
}

export interface DecodedFetchResponse {
  responses: { topicName: string; partitions: Record<string, unknown>[] }[];
}

/** Decodes a Fetch response with kafkajs' own decoder for that version. */
export async function kafkajsDecode(version: number, raw: Buffer): Promise<DecodedFetchResponse> {
  const protocol = require(`kafkajs/src/protocol/requests/fetch/v${version}/response.js`) as {
    decode(buffer: Buffer): Promise<unknown>;
    parse(decoded: unknown): Promise<unknown>;
  };
  return (await protocol.parse(await protocol.decode(raw))) as DecodedFetchResponse;
}
