import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
// The adapter first, as the worker loads it: it must install the encoding before kafkajs loads.
import '../../src/kafka/event-log.ts';
import {
  installProduceEncoding,
  pendingRecord,
  produceEncodingInstalled,
} from '../../src/kafka/kafkajs/produce-encoding.ts';
import { crc32c } from '../../src/kafka/kafkajs/crc32c.ts';
import { compileKafkajsFile } from '../support/kafkajs-files.ts';
import { randomValues, type RandomValues } from '../support/random.ts';

const require = createRequire(import.meta.url);
const RECORD = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const BATCH = 'kafkajs/src/protocol/recordBatch/v0/index.js';
const PRODUCE_V3 = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const PRODUCE_V7 = 'kafkajs/src/protocol/requests/produce/v7/request.js';
const GZIP = 1;

interface Encoded {
  buffer: Buffer;
}
interface ProduceRequest {
  encode(): Promise<Encoded>;
}
type ProduceRequestBuilder = (args: Record<string, unknown>) => ProduceRequest;
type RecordBatch = (fields: Record<string, unknown>) => Promise<Encoded>;

/** kafkajs' own record and batch encoders, and its Produce v3 request built on them. */
function kafkajsOwn(): { record: unknown; RecordBatch: RecordBatch; produce: ProduceRequestBuilder } {
  const record = compileKafkajsFile(RECORD);
  const batchModule = compileKafkajsFile(BATCH) as { RecordBatch: RecordBatch };
  const produce = compileKafkajsFile(PRODUCE_V3, {
    '../../../recordBatch/record/v0': record,
    '../../../recordBatch/v0': batchModule,
  }) as ProduceRequestBuilder;
  return { record, RecordBatch: batchModule.RecordBatch, produce };
}

function keyOrValue(g: RandomValues): unknown {
  switch (g.int(7)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return Buffer.alloc(0);
    case 3:
      return '';
    case 4:
      return g.text(g.int(40));
    case 5:
      return g.bytes(g.pick([1, 20, 100, 127, 128, 300, 20_000]));
    default:
      return g.bytes(g.int(64));
  }
}

function headerValue(g: RandomValues): unknown {
  return g.int(2) === 0 ? g.text(g.int(20)) : g.bytes(g.int(200));
}

function headers(g: RandomValues): unknown {
  if (g.int(3) === 0) return undefined;
  const result: Record<string, unknown> = {};
  const count = g.int(g.int(8) === 0 ? 70 : 4);
  for (let i = 0; i < count; i += 1) {
    const key = g.pick(['', `k${i}`, `ключ-${i}`, `${i}`, `頭-${i}-😀`]);
    result[key] = g.int(4) === 0 ? Array.from({ length: g.int(4) }, () => headerValue(g)) : headerValue(g);
  }
  return result;
}

/** kafkajs takes timestamps as strings (Tributary sends them so) or numbers; some records lack one. */
function timestamp(g: RandomValues, base: number): unknown {
  const spread = g.pick([0, 1, 1000, 2 ** 31, 2 ** 40, 2 ** 51]);
  const at = base + g.int(2) * (g.int(2) === 0 ? spread : -Math.min(spread, base));
  switch (g.int(4)) {
    case 0:
      return undefined;
    case 1:
      return at;
    default:
      return String(at);
  }
}

function messages(g: RandomValues, count: number): unknown[] {
  const base = g.pick([0, 9, 1_733_500_000_000, 2 ** 52]);
  return Array.from({ length: count }, () => ({
    key: keyOrValue(g),
    value: keyOrValue(g),
    headers: headers(g),
    timestamp: timestamp(g, base),
  }));
}

function produceArgs(g: RandomValues): Record<string, unknown> {
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): unknown };
  const kind = g.pick(['plain', 'idempotent', 'transactional']);
  const partitions = Array.from({ length: 1 + g.int(3) }, (_, partition) => ({
    partition,
    firstSequence: kind === 'plain' ? 0 : g.int(2 ** 31),
    messages: messages(g, g.pick([0, 1, 2, 17, 300, 1000])),
  }));
  return {
    acks: -1,
    timeout: 30_000,
    compression: g.int(3) === 0 ? GZIP : 0,
    transactionalId: kind === 'transactional' ? `app-${g.text(5)}` : null,
    producerId: kind === 'plain' ? Long.fromValue(-1) : Long.fromValue(g.int(2 ** 40)),
    producerEpoch: kind === 'plain' ? 0 : g.int(2 ** 15),
    topicData: [{ topic: 'words', partitions }],
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("kafkajs' Produce requests write a batch's records in one pass", () => {
  it('uses the replacement once the adapter is loaded', () => {
    expect(produceEncodingInstalled).toBe(true);
    expect(require(RECORD)).toBe(pendingRecord);
    const produce = (require(PRODUCE_V3) as ProduceRequestBuilder)({
      acks: -1,
      timeout: 1000,
      topicData: [
        { topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [{ value: 'v' }] }] },
      ],
    });
    expect(produce).toBeDefined();
    // kafkajs' batch module is replaced too, keeping its other exports.
    const batch = require(BATCH) as { RecordBatch: unknown; MAGIC_BYTE: number };
    expect(batch.RecordBatch).not.toBe(kafkajsOwn().RecordBatch);
    expect(batch.MAGIC_BYTE).toBe(2);
    // Installing again finds it installed.
    expect(installProduceEncoding()).toBe(true);
  });

  it('leaves kafkajs its own encoding where kafkajs is not found', () => {
    const elsewhere = createRequire(join(mkdtempSync(join(tmpdir(), 'no-kafkajs-')), 'index.js'));
    expect(installProduceEncoding(elsewhere)).toBe(false);
  });

  it("writes the bytes kafkajs' own encoder writes, for generated requests", async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_733_500_123_456);
    const own = kafkajsOwn();
    const ours = require(PRODUCE_V3) as ProduceRequestBuilder;
    const ours7 = require(PRODUCE_V7) as ProduceRequestBuilder;
    let records = 0;
    for (let seed = 1; seed <= 40; seed += 1) {
      const args = produceArgs(randomValues(seed));
      const expected = (await own.produce(args).encode()).buffer;
      const allocations = vi.spyOn(Buffer, 'alloc');
      const actual = (await ours(args).encode()).buffer;
      // The request's own Encoders only (request, topic, partitions, their growth), none per record.
      expect(allocations.mock.calls.length).toBeLessThanOrEqual(40);
      allocations.mockRestore();
      expect(actual.equals(expected), `seed ${seed}`).toBe(true);
      expect((await ours7(args).encode()).buffer.equals(expected), `seed ${seed}, v7`).toBe(true);
      records += (args.topicData as { partitions: { messages: unknown[] }[] }[])[0]!.partitions.reduce(
        (sum, partition) => sum + partition.messages.length,
        0,
      );
    }
    expect(records).toBeGreaterThan(5_000);
  });

  it("writes kafkajs' batch fields as kafkajs does, defaults included", async () => {
    const own = kafkajsOwn();
    const ours = (require(BATCH) as { RecordBatch: RecordBatch }).RecordBatch;
    const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): unknown };
    const fields = {
      firstOffset: Long.fromValue(42),
      firstTimestamp: '1733500000000',
      maxTimestamp: 1_733_500_000_999,
      partitionLeaderEpoch: 7,
      lastOffsetDelta: 1,
      transactional: true,
      producerId: Long.fromValue(2n ** 62n),
      producerEpoch: 3,
      firstSequence: 2 ** 31 - 1,
    };
    const record = (value: string, offsetDelta: number) => ({ value, offsetDelta, timestampDelta: -5 });
    const compare = async (batch: Record<string, unknown>, records: Record<string, unknown>[]) => {
      const expected = await own.RecordBatch({
        ...batch,
        records: records.map(own.record as (r: unknown) => unknown),
      });
      const actual = await ours({ ...batch, records: records.map(pendingRecord) });
      expect(actual.buffer.equals(expected.buffer)).toBe(true);
    };
    await compare(fields, [record('a', 0), record('b', 1)]);
    await compare({ ...fields, compression: GZIP }, [record('a', 0), record('b', 1)]);
    await compare({ records: [] }, []);
    vi.spyOn(Date, 'now').mockReturnValue(1_733_500_123_456);
    await compare({}, [{}, { key: 'k' }]);
  });

  it('leaves to kafkajs what it writes otherwise, with its result or its error', async () => {
    const own = kafkajsOwn();
    const ours = (require(BATCH) as { RecordBatch: RecordBatch }).RecordBatch;
    const batch = { firstTimestamp: 1, maxTimestamp: 2, lastOffsetDelta: 0 };
    const outcome = async (encode: () => Promise<Encoded>) => {
      try {
        return (await encode()).buffer;
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    const unusual: Record<string, unknown>[] = [
      // Bytes that are neither a Buffer nor a string: kafkajs measures one way and writes another.
      { value: new Uint8Array([1, 2, 3]) },
      { key: 12 },
      { value: 'v', headers: { h: null } },
      { value: 'v', headers: { h: [Buffer.from('x'), undefined] } },
      { value: 'v', headers: null },
      { value: 'v', headers: 'ab' },
      { value: 'v', timestampDelta: 1.5 },
      { value: 'v', timestampDelta: '12' },
      { value: 'v', timestampDelta: 2 ** 60 },
    ];
    for (const record of unusual) {
      const expected = await outcome(() =>
        Promise.resolve().then(() =>
          own.RecordBatch({ ...batch, records: [(own.record as (r: unknown) => unknown)(record)] }),
        ),
      );
      const actual = await outcome(() => ours({ ...batch, records: [pendingRecord(record)] }));
      expect(actual, JSON.stringify(record)).toEqual(expected);
    }
    // A codec kafkajs lacks: its error.
    const snappy = await outcome(() =>
      ours({ ...batch, compression: 2, records: [pendingRecord({ value: 'v' })] }),
    );
    expect(snappy).toMatch(/Snappy compression not implemented/);
  });

  it("checksums as kafkajs' CRC-32C does, at every length and alignment", () => {
    const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (
      b: Buffer,
    ) => number;
    const g = randomValues(7);
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the standard check value
    for (let length = 0; length < 100; length += 1) {
      for (let start = 0; start < 8; start += 1) {
        const bytes = g.bytes(start + length).subarray(start);
        expect(crc32c(bytes), `${length} bytes at ${start}`).toBe(kafkajsCrc32c(bytes));
      }
    }
    const large = g.bytes(100_003);
    expect(crc32c(large)).toBe(kafkajsCrc32c(large));
  });
});
