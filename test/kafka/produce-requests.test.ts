import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { OutgoingRecord } from '../../src/kafka/port.ts';
import {
  MAX_REQUEST_BYTES,
  MAX_REQUEST_RECORDS,
  RECORD_BATCH_OVERHEAD,
  RecordTooLargeError,
  produceRequests,
  recordBytes,
} from '../../src/kafka/produce-requests.ts';

// kafkajs' own record batch encoder is the oracle for sizes: what it writes is what the broker measures.
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: { records: unknown[] }) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
}) => unknown;

const bytes = (n: number) => new Uint8Array(n).fill(7);

function record(topic: string, partition: number, valueBytes: number, headers = {}): OutgoingRecord {
  return { topic, partition, key: bytes(8), value: bytes(valueBytes), timestamp: 1, headers };
}

async function encodedBatchBytes(
  records: readonly OutgoingRecord[],
  timestampDelta: number,
): Promise<number> {
  const encoded = await RecordBatch({
    records: records.map((r, i) =>
      Record({
        offsetDelta: i,
        timestampDelta,
        key: r.key && Buffer.from(r.key),
        value: r.value && Buffer.from(r.value),
        headers: Object.fromEntries(
          Object.entries(r.headers).map(([k, v]) => [k, typeof v === 'string' ? v : Buffer.from(v)]),
        ),
      }),
    ),
  });
  return encoded.buffer.byteLength;
}

const limit = (n: number) => () => n;

describe('produce requests', () => {
  it('counts a record as kafkajs encodes it: exactly alone, at most in any batch', async () => {
    const samples = [
      record('t', 0, 0),
      record('t', 0, 100, { trace: 'abc', 'ü-key': bytes(300) }),
      { ...record('t', 0, 20_000), key: null },
      { ...record('t', 0, 0), value: null },
    ];
    for (const sample of samples) {
      expect(RECORD_BATCH_OVERHEAD + recordBytes(sample, 2)).toBe(await encodedBatchBytes([sample], 0));
      const many = Array.from({ length: 300 }, () => sample);
      const bound = RECORD_BATCH_OVERHEAD + many.length * recordBytes(sample, 15);
      expect(await encodedBatchBytes(many, 2 ** 40)).toBeLessThanOrEqual(bound);
    }
  });

  it('keeps every partition batch within its topic limit and every request within the request bounds', async () => {
    const records = Array.from({ length: 5_000 }, (_, i) =>
      record(i % 3 === 0 ? 'small' : 'large', i % 4, 100 + (i % 7) * 50),
    );
    const limits = new Map([
      ['small', 20_000],
      ['large', 1_048_588],
    ]);
    const requests = [...produceRequests(records, (topic) => limits.get(topic)!)];
    expect(requests.flat()).toEqual(records);
    for (const request of requests) {
      expect(request.length).toBeLessThanOrEqual(MAX_REQUEST_RECORDS);
      const batches = new Map<string, OutgoingRecord[]>();
      for (const r of request) {
        const key = `${r.topic}/${r.partition}`;
        batches.set(key, [...(batches.get(key) ?? []), r]);
      }
      let total = 0;
      for (const batch of batches.values()) {
        const size = await encodedBatchBytes(batch, 1_000);
        expect(size).toBeLessThanOrEqual(limits.get(batch[0]!.topic)!);
        total += size;
      }
      expect(total).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
    // Not one request per record either: requests are filled.
    expect(requests.length).toBeLessThan(40);
  });

  it('sends a record larger than a request alone when its topic accepts it', () => {
    const big = record('t', 0, 3 * 1024 * 1024);
    const requests = [
      ...produceRequests([record('t', 0, 10), big, record('t', 0, 10)], limit(8 * 1024 * 1024)),
    ];
    expect(requests.map((r) => r.length)).toEqual([1, 1, 1]);
  });

  it('refuses a record no request can carry, naming topic, partition, size and limit', () => {
    const big = record('orders', 5, 1_048_588);
    const requests = produceRequests([record('orders', 5, 10), big], limit(1_048_588));
    let error: unknown;
    try {
      for (const request of requests) expect(request.length).toBeGreaterThan(0);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect((error as RecordTooLargeError).code).toBe('TRIB_RECORD_TOO_LARGE');
    expect((error as Error).message).toMatch(
      /record for topic "orders" partition 5 takes 1048670 bytes .* more than the 1048588 bytes/,
    );
  });

  it('bounds the records of a request, so kafkajs grouping them by partition (quadratic) stays cheap', () => {
    const records = Array.from({ length: 20_000 }, () => record('t', 0, 10));
    const requests = [...produceRequests(records, limit(1_048_588))];
    expect(requests.flat()).toEqual(records);
    expect(requests.map((r) => r.length)).toEqual(
      Array.from({ length: 20_000 / MAX_REQUEST_RECORDS }, () => MAX_REQUEST_RECORDS),
    );
  });
});
