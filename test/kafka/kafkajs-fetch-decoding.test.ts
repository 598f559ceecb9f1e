// The adapter's record-set decoder for kafkajs' Fetch responses against kafkajs' own: record batches
// encoded by kafkajs' encoder and by the adapter's produce encoding (plain, gzip, headers, null keys
// and values, transactional and control batches, log-append time, a batch cut short), decoded by
// both, must give the same records (as the adapter turns kafkajs' into LogRecords), the same
// transaction facts and the same control flags.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// The adapter first, as the worker loads it: it installs its encoding and decoding before kafkajs loads.
import '../../src/kafka/event-log.ts';
import { fetchDecodingInstalled, installFetchDecoding } from '../../src/kafka/kafkajs/fetch-decoding.ts';
import { FetchedRecord } from '../../src/kafka/kafkajs/record-decoding.ts';
import { fromKafkaMessage } from '../../src/kafka/kafkajs/convert.ts';
import { KafkaClientMismatchError } from '../../src/kafka/kafkajs/fetch-rewrite.ts';
import { pendingRecord } from '../../src/kafka/kafkajs/produce-encoding.ts';
import { crc32c } from '../../src/kafka/kafkajs/crc32c.ts';
import { compileKafkajsFile } from '../support/kafkajs-files.ts';
import { randomValues, type RandomValues } from '../support/random.ts';
import type { KafkaMessage } from 'kafkajs';

const require = createRequire(import.meta.url);
const DECODE_MESSAGES = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';
const RECORD = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const BATCH = 'kafkajs/src/protocol/recordBatch/v0/index.js';
const GZIP = 1;

interface Encoded {
  buffer: Buffer;
}
type RecordBatch = (fields: Record<string, unknown>) => Promise<Encoded>;
type DecodeMessages = (decoder: unknown) => Promise<unknown[]>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): unknown };

/** kafkajs' own encoders and decoder, compiled from its files (the module cache holds the adapter's). */
const own = {
  record: compileKafkajsFile(RECORD) as (fields: Record<string, unknown>) => unknown,
  RecordBatch: (compileKafkajsFile(BATCH) as { RecordBatch: RecordBatch }).RecordBatch,
  decodeMessages: compileKafkajsFile(DECODE_MESSAGES) as DecodeMessages,
};
/** The adapter's: the produce encoding's batch (from the module cache) and the fetch decoding. */
const adapter = {
  RecordBatch: (require(BATCH) as { RecordBatch: RecordBatch }).RecordBatch,
  decodeMessages: require(DECODE_MESSAGES) as DecodeMessages,
};

/** A record set as a Fetch response carries it: its size, then its batches. */
function recordSet(batches: readonly Buffer[]): Buffer {
  const bytes = Buffer.concat(batches);
  const size = Buffer.alloc(4);
  size.writeInt32BE(bytes.length);
  return Buffer.concat([size, bytes]);
}

/** Sets attribute bits of an encoded batch (control, log-append time) and its CRC again. */
function withAttributes(batch: Buffer, bits: number): Buffer {
  const copy = Buffer.from(batch);
  copy.writeInt16BE(copy.readInt16BE(21) | bits, 21);
  copy.writeUInt32BE(crc32c(copy.subarray(21)), 17);
  return copy;
}

interface BatchSpec {
  firstOffset: bigint;
  compression?: number;
  transactional?: boolean;
  producerId?: bigint;
  firstTimestamp?: number;
  records: {
    key?: unknown;
    value?: unknown;
    headers?: unknown;
    offsetDelta: number;
    timestampDelta: number;
  }[];
}

async function encode(spec: BatchSpec, by: 'kafkajs' | 'adapter'): Promise<Buffer> {
  const records = spec.records.map((r) => (by === 'kafkajs' ? own.record(r) : pendingRecord(r)));
  const RecordBatch = by === 'kafkajs' ? own.RecordBatch : adapter.RecordBatch;
  const encoded = await RecordBatch({
    compression: spec.compression ?? 0,
    firstOffset: Long.fromValue(spec.firstOffset),
    firstTimestamp: spec.firstTimestamp ?? 1_733_500_000_000,
    maxTimestamp: (spec.firstTimestamp ?? 1_733_500_000_000) + 5_000,
    lastOffsetDelta: spec.records.length === 0 ? 0 : spec.records[spec.records.length - 1]!.offsetDelta,
    transactional: spec.transactional ?? false,
    producerId: Long.fromValue(spec.producerId ?? -1n),
    producerEpoch: spec.producerId === undefined ? 0 : 3,
    firstSequence: 0,
    records,
  });
  return Buffer.from(encoded.buffer);
}

/** What each decoder makes of a record set: kafkajs' records as the adapter converts them, and the adapter's. */
async function decodeBoth(set: Buffer) {
  const theirs = (await own.decodeMessages(new Decoder(set))) as (KafkaMessage & {
    isControlRecord: boolean;
    batchContext: Record<string, unknown>;
  })[];
  const ours = (await adapter.decodeMessages(new Decoder(set))) as FetchedRecord[];
  const facts = (r: { isControlRecord: boolean; batchContext: object }) => {
    const batch = r.batchContext as Record<string, unknown>;
    return {
      control: r.isControlRecord,
      firstOffset: String(batch.firstOffset),
      lastOffsetDelta: batch.lastOffsetDelta,
      producerId: String(batch.producerId),
      inTransaction: batch.inTransaction,
      isControlBatch: batch.isControlBatch,
    };
  };
  return {
    expected: theirs.map((m) => ({ ...fromKafkaMessage('t', 0, m), topic: '', partition: -1, ...facts(m) })),
    actual: ours.map((r) => {
      expect(r).toBeInstanceOf(FetchedRecord);
      const { topic, partition, offset, key, value, timestamp, headers } = r;
      return { topic, partition, offset, key, value, timestamp, headers: { ...headers }, ...facts(r) };
    }),
  };
}

function randomBatch(g: RandomValues, firstOffset: bigint): BatchSpec {
  const count = g.pick([0, 1, 2, 17, 300]);
  let offsetDelta = 0;
  const keyOrValue = () =>
    g.pick([null, Buffer.alloc(0), g.text(g.int(30)), g.bytes(g.pick([1, 127, 128, 300, 20_000]))]);
  const headers = () => {
    if (g.int(3) === 0) return undefined;
    const result: Record<string, unknown> = {};
    for (let i = g.int(5); i > 0; i--) {
      const key = g.pick(['', `k${i}`, `ключ-${i}`, 'same']);
      // Repeated keys (an array) keep their last value in a LogRecord.
      result[key] = g.int(4) === 0 ? [g.bytes(g.int(10)), g.text(g.int(10))] : g.bytes(g.int(50));
    }
    return result;
  };
  return {
    firstOffset,
    compression: g.int(3) === 0 ? GZIP : 0,
    transactional: g.int(3) === 0,
    producerId: g.int(2) === 0 ? BigInt(g.int(2 ** 40)) : undefined,
    firstTimestamp: g.pick([0, 1_733_500_000_000, 2 ** 50]),
    records: Array.from({ length: count }, () => ({
      key: keyOrValue(),
      value: keyOrValue(),
      headers: headers(),
      offsetDelta: (offsetDelta += 1 + (g.int(4) === 0 ? g.int(1000) : 0)) - 1,
      timestampDelta: g.pick([0, 1, -1, 63, 64, 2 ** 31, -(2 ** 35), 2 ** 45]),
    })),
  };
}

describe('the adapter’s fetch decoding', () => {
  it('is installed in place of kafkajs’ record-set decoder, once', () => {
    expect(fetchDecodingInstalled).toBe(true);
    expect(installFetchDecoding()).toBe(true);
  });

  for (const by of ['kafkajs', 'adapter'] as const) {
    it(`decodes random record batches encoded by ${by} as kafkajs does`, async () => {
      for (let seed = 1; seed <= 30; seed++) {
        const g = randomValues(seed);
        const batches: Buffer[] = [];
        let offset = BigInt(g.pick([0, 7, 2 ** 40]));
        for (let n = 1 + g.int(4); n > 0; n--) {
          const spec = randomBatch(g, offset);
          let batch = await encode(spec, by);
          if (g.int(5) === 0) batch = withAttributes(batch, 0x08); // log-append time
          batches.push(batch);
          offset += BigInt((spec.records.at(-1)?.offsetDelta ?? 0) + 1);
        }
        const set = recordSet(batches);
        const { expected, actual } = await decodeBoth(set);
        expect(actual, `seed ${seed}`).toEqual(expected);
      }
    });
  }

  it('flags the records of control batches, and keeps transactional batches’ producer', async () => {
    const marker = {
      key: Buffer.of(0, 0, 0, 0),
      value: Buffer.of(0, 0, 0, 0, 0, 0),
      offsetDelta: 0,
      timestampDelta: 0,
    };
    const data = { key: 'k', value: null, offsetDelta: 0, timestampDelta: 0 };
    const set = recordSet([
      await encode({ firstOffset: 10n, transactional: true, producerId: 42n, records: [data] }, 'adapter'),
      withAttributes(
        await encode(
          { firstOffset: 11n, transactional: true, producerId: 42n, records: [marker] },
          'adapter',
        ),
        0x20,
      ),
    ]);
    const { expected, actual } = await decodeBoth(set);
    expect(actual).toEqual(expected);
    expect(actual.map((r) => [r.offset, r.control, r.producerId, r.inTransaction])).toEqual([
      [10n, false, '42', true],
      [11n, true, '42', true],
    ]);
    expect(actual[0]!.value).toBeNull();
  });

  it('stops at a batch the fetch’s byte limit cut short, as kafkajs does', async () => {
    const whole = [
      await encode(
        { firstOffset: 0n, records: [{ key: 'a', value: 'x', offsetDelta: 0, timestampDelta: 0 }] },
        'kafkajs',
      ),
      await encode(
        { firstOffset: 1n, records: [{ key: 'b', value: 'y', offsetDelta: 0, timestampDelta: 0 }] },
        'kafkajs',
      ),
    ];
    for (const cut of [1, 10, 40, whole[1]!.length - 1]) {
      const bytes = Buffer.concat(whole);
      const set = recordSet([bytes.subarray(0, bytes.length - cut)]);
      const { expected, actual } = await decodeBoth(set);
      expect(actual).toEqual(expected);
      expect(actual.map((r) => r.offset)).toEqual([0n]);
    }
  });

  it('leaves record sets in the legacy message format to kafkajs', async () => {
    const MessageSet = require('kafkajs/src/protocol/messageSet/index.js') as (args: unknown) => Encoded;
    const entries = [
      { key: 'a', value: 'one', timestamp: 1_733_500_000_000 },
      { key: null, value: 'two', timestamp: 1_733_500_000_001 },
    ];
    const set = recordSet([Buffer.from(MessageSet({ messageVersion: 1, compression: 0, entries }).buffer)]);
    const theirs = await own.decodeMessages(new Decoder(set));
    const ours = await adapter.decodeMessages(new Decoder(set));
    expect(ours).toEqual(theirs);
    expect(ours.length).toBe(2);
  });

  it('fails on a batch whose CRC does not match its bytes, where kafkajs does not look', async () => {
    const batch = await encode(
      { firstOffset: 5n, records: [{ key: 'a', value: 'x', offsetDelta: 0, timestampDelta: 0 }] },
      'adapter',
    );
    batch.writeUInt8(batch.readUInt8(batch.length - 1) ^ 1, batch.length - 1);
    await expect(own.decodeMessages(new Decoder(recordSet([batch])))).resolves.toHaveLength(1);
    await expect(adapter.decodeMessages(new Decoder(recordSet([batch])))).rejects.toThrow(
      /batch at offset 5 is corrupt/,
    );
  });

  it('refuses to be called with something other than kafkajs’ Decoder', async () => {
    await expect(adapter.decodeMessages({})).rejects.toThrow(KafkaClientMismatchError);
  });
});
