// Where a raw Fetch response's record batches end, per partition, for every response version kafkajs
// speaks with transactional brokers; checked against the model that encoded the response, with
// kafkajs' own decoder reading the same bytes.
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { batchEnds } from '../../src/kafka/kafkajs/fetch-batches.ts';
import { encodeBatch, encodeFetchResponse, kafkajsDecode, type EncodedPartition } from './fetch-response.ts';
import { compact, fetch, generateLog, type LogBatch } from './transaction-log-model.ts';
import { random } from '../support/random.ts';

const VERSIONS = [4, 5, 6, 7, 8, 9, 10, 11];

/** A random fetched partition: batches (some emptied by compaction), maybe cut inside its last batch. */
function randomPartition(seed: number, partition: number): { encoded: EncodedPartition; end?: bigint } {
  const rnd = random(seed);
  const log = compact(generateLog(rnd), rnd);
  const fetched = fetch(log, 0n, 1 + Math.floor(rnd() * 6), rnd);
  const batches: LogBatch[] = [...fetched.batches];
  const last = batches.length > 0 ? encodeBatch(batches[batches.length - 1]!).length : 0;
  // (kafkajs' decoder fails on a record set shorter than a batch header: only cut after a whole batch.)
  const cut = batches.length > 1 && rnd() < 0.4 ? 1 + Math.floor(rnd() * (last - 1)) : 0;
  const complete = cut > 0 ? batches.slice(0, -1) : batches;
  return {
    encoded: {
      partition,
      batches,
      aborted: fetched.aborted,
      highWatermark: log.endOffset,
      lastStableOffset: log.lastStableOffset,
      cut,
    },
    end: complete.length > 0 ? complete[complete.length - 1]!.lastOffset : undefined,
  };
}

describe('batch ends of a raw fetch response', () => {
  it('are the last offsets of the last complete batches, in every version, for every partition', async () => {
    let partitionsWithEnds = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const version = VERSIONS[seed % VERSIONS.length]!;
      const partitions = [0, 1, 2].map((p) => randomPartition(seed * 31 + p, p));
      const other = randomPartition(seed * 31 + 7, 4);
      const raw = encodeFetchResponse(version, [
        { topic: 'orders', partitions: partitions.map((p) => p.encoded) },
        { topic: 'order-validations', partitions: [other.encoded] },
      ]);
      // kafkajs reads the same bytes as the same partitions.
      const decoded = await kafkajsDecode(version, raw);
      expect(
        decoded.responses.map((r) => r.partitions.length),
        `seed ${seed}`,
      ).toEqual([3, 1]);

      const ends = batchEnds(raw, version)!;
      const expected = (list: { encoded: EncodedPartition; end?: bigint }[]) =>
        new Map(list.filter((p) => p.end !== undefined).map((p) => [p.encoded.partition, p.end!]));
      expect(ends.get('orders'), `seed ${seed}, v${version}`).toEqual(expected(partitions));
      expect(ends.get('order-validations'), `seed ${seed}, v${version}`).toEqual(expected([other]));
      partitionsWithEnds += ends.get('orders')!.size;
    }
    expect(partitionsWithEnds).toBeGreaterThan(500);
  });

  it('count a batch compaction emptied, and not a batch the byte limit cut', () => {
    const emptied: LogBatch = {
      baseOffset: 10n,
      lastOffset: 14n,
      producerId: 2n,
      transactional: true,
      control: null,
      records: [],
    };
    const next: LogBatch = { ...emptied, baseOffset: 15n, lastOffset: 15n, records: [] };
    const partition = (cut: number): EncodedPartition => ({
      partition: 0,
      batches: [emptied, next],
      aborted: [],
      highWatermark: 20n,
      lastStableOffset: 20n,
      cut,
    });
    const ends = (cut: number) =>
      batchEnds(encodeFetchResponse(11, [{ topic: 't', partitions: [partition(cut)] }]), 11)!.get('t');
    expect(ends(0)).toEqual(new Map([[0, 15n]]));
    expect(ends(1)).toEqual(new Map([[0, 14n]]));
    expect(ends(encodeBatch(next).length + 3)).toEqual(new Map());
  });

  it('are not read from versions it does not know', () => {
    expect(batchEnds(Buffer.alloc(0), 3)).toBeUndefined();
    expect(batchEnds(Buffer.alloc(0), 12)).toBeUndefined();
  });

  it('refuse a response that ends before its partitions do', () => {
    const raw = encodeFetchResponse(11, [{ topic: 't', partitions: [randomPartition(5, 0).encoded] }]);
    expect(() => batchEnds(raw.subarray(0, 20), 11)).toThrow(TributaryError);
  });
});
