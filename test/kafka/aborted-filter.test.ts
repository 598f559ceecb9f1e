// The read_committed rule on its own: which fetched records are committed data, whatever the
// interleaving of producers and transactions, the order of the aborted-transaction list, the fetch
// boundaries and what compaction left. Random logs are checked against the model's truth.
import { describe, expect, it } from 'vitest';
import {
  committedRecords,
  controlRecordType,
  ReadCommittedFilter,
  type AbortedTransaction,
  type FetchedRecordFacts,
} from '../../src/kafka/aborted-filter.ts';
import {
  committedFrom,
  compact,
  consume,
  generateLog,
  startOffsets,
  type LogBatch,
  type ModelFetch,
} from './transaction-log-model.ts';
import { random } from '../support/random.ts';

interface Fetched extends FetchedRecordFacts {
  readonly key: string;
}

/** A fetch's records as a client decodes them: every record with its batch's header. */
function records(batches: readonly LogBatch[]): Fetched[] {
  return batches.flatMap((b) =>
    b.records.map((r) => ({
      key: r.key,
      offset: r.offset,
      batchLastOffset: b.lastOffset,
      producerId: b.producerId,
      transactional: b.transactional,
      control: b.control,
    })),
  );
}

const facts = (r: Fetched) => r;

/** Delivers one fetch through the filter; the next fetch starts after the last fetched batch. */
function deliver(fetched: ModelFetch): { keys: string[]; nextOffset: bigint } {
  const kept = committedRecords(records(fetched.batches), facts, fetched.aborted);
  return {
    keys: kept.filter((r) => r.offset >= fetched.fetchOffset).map((r) => r.key),
    nextOffset: fetched.batches[fetched.batches.length - 1]!.lastOffset + 1n,
  };
}

// Builders for hand-written logs: one record per batch unless said otherwise.
const data = (offset: number, producerId: number, key: string, transactional = true): Fetched => ({
  key,
  offset: BigInt(offset),
  batchLastOffset: BigInt(offset),
  producerId: BigInt(producerId),
  transactional,
  control: null,
});
const marker = (offset: number, producerId: number, type: 'abort' | 'commit'): Fetched => ({
  key: `${type}-${offset}`,
  offset: BigInt(offset),
  batchLastOffset: BigInt(offset),
  producerId: BigInt(producerId),
  transactional: true,
  control: type,
});
const abortedTx = (producerId: number, firstOffset: number): AbortedTransaction => ({
  producerId: BigInt(producerId),
  firstOffset: BigInt(firstOffset),
});
const keysOf = (list: Fetched[], aborted: AbortedTransaction[]) =>
  committedRecords(list, facts, aborted).map((r) => r.key);

describe('read_committed filter', () => {
  it('skips two interleaved aborted transactions listed in the order of their markers', () => {
    // A begins first and aborts last, so the broker lists B's abort before A's.
    const log = [
      data(0, 1, 'a1'),
      data(1, 1, 'a2'),
      data(2, 2, 'b1'),
      data(3, 3, 'p1', false),
      data(4, 1, 'a3'),
      marker(5, 2, 'abort'),
      data(6, 4, 'c1'),
      marker(7, 1, 'abort'),
      marker(8, 4, 'commit'),
      data(9, 1, 'a4'),
      marker(10, 1, 'commit'),
    ];
    expect(keysOf(log, [abortedTx(2, 2), abortedTx(1, 0)])).toEqual(['p1', 'c1', 'a4']);
  });

  it('delivers a producer’s committed transaction that follows its aborted one', () => {
    const log = [data(0, 1, 'x1'), marker(1, 1, 'abort'), data(2, 1, 'x2'), marker(3, 1, 'commit')];
    expect(keysOf(log, [abortedTx(1, 0)])).toEqual(['x2']);
  });

  it('skips an aborted transaction whose marker lies beyond the fetched records', () => {
    // The fetch stops at the last stable offset (3, an open transaction of producer 2); 1's marker is at 5.
    const log = [data(0, 1, 'a1'), data(1, 3, 'p1', false), data(2, 1, 'a2')];
    expect(keysOf(log, [abortedTx(1, 0)])).toEqual(['p1']);
  });

  it('skips records of a fetch that starts inside several aborted transactions at once', () => {
    // Three transactions began before the fetch offset (10); each record must see all three.
    const log = [data(10, 3, 'c1'), data(11, 2, 'b1'), data(12, 1, 'a1'), marker(13, 3, 'abort')];
    const aborted = [abortedTx(1, 2), abortedTx(2, 5), abortedTx(3, 7)];
    expect(keysOf(log, aborted)).toEqual([]);
    expect(keysOf(log, [...aborted].reverse())).toEqual([]);
  });

  it('skips the rest of an aborted batch whose first record compaction removed', () => {
    // The transaction began at offset 20, the batch's first record, which is gone.
    const batch = { ...data(21, 1, 'a2'), batchLastOffset: 22n };
    expect(keysOf([batch, { ...batch, offset: 22n, key: 'a3' }], [abortedTx(1, 20)])).toEqual([]);
  });

  it('never delivers transaction markers, of any type, and keeps records without a producer id', () => {
    const log = [
      data(0, -1, 'plain', false),
      marker(1, 5, 'commit'),
      { ...marker(2, 6, 'abort'), control: 'unknown' as const },
      data(3, 7, 'idempotent', false),
    ];
    expect(keysOf(log, [abortedTx(6, 2)])).toEqual(['plain', 'idempotent']);
    expect(keysOf([marker(0, 1, 'abort'), marker(1, 2, 'commit')], [abortedTx(1, 0)])).toEqual([]);
  });

  it('keeps non-transactional records of a producer id that is inside an aborted transaction', () => {
    // Kafka only skips transactional batches of an aborted producer.
    expect(keysOf([data(0, 1, 'idem', false), marker(1, 1, 'abort')], [abortedTx(1, 0)])).toEqual(['idem']);
  });

  it('refuses records out of offset order', () => {
    const filter = new ReadCommittedFilter([]);
    filter.accepts(data(5, 1, 'a'));
    expect(() => filter.accepts(data(4, 1, 'b'))).toThrow(/out of order: offset 4 after 5/);
  });

  it('reads the control type from the marker key', () => {
    expect(controlRecordType(Uint8Array.of(0, 0, 0, 0))).toBe('abort');
    expect(controlRecordType(Uint8Array.of(0, 0, 0, 1))).toBe('commit');
    expect(controlRecordType(Uint8Array.of(0, 1, 0, 0))).toBe('abort');
    expect(controlRecordType(Uint8Array.of(0, 0, 0, 5))).toBe('unknown');
    expect(controlRecordType(null)).toBe('unknown');
  });

  describe('on random logs (seeded; a failure names its seed)', () => {
    it('delivers exactly the committed records from every start offset and any fetch boundaries', async () => {
      let checks = 0;
      for (let seed = 1; seed <= 1500; seed++) {
        const rnd = random(seed);
        const log = generateLog(rnd);
        for (const from of startOffsets(log, rnd)) {
          const delivered = await consume(log, from, rnd, deliver);
          expect(delivered, `seed ${seed}, from ${from}`).toEqual(committedFrom(log, from));
          checks++;
        }
      }
      expect(checks).toBeGreaterThan(10_000);
    });

    it('does so after compaction removed records, emptied batches and dropped markers', async () => {
      for (let seed = 1; seed <= 1500; seed++) {
        const rnd = random(seed * 7919);
        const log = compact(generateLog(rnd), rnd);
        for (const from of startOffsets(log, rnd)) {
          expect(await consume(log, from, rnd, deliver), `seed ${seed * 7919}, from ${from}`).toEqual(
            committedFrom(log, from),
          );
        }
      }
    });

    it('produces logs where kafkajs’ own assumptions fail (the model is not trivially easy)', () => {
      // At least one aborted-transaction list out of first-offset order, and records of two
      // producers inside aborted transactions at the same time.
      let unsorted = 0;
      let overlapping = 0;
      for (let seed = 1; seed <= 300; seed++) {
        const log = generateLog(random(seed));
        const firsts = log.aborted.map((a) => a.firstOffset);
        if (firsts.some((f, i) => i > 0 && f < firsts[i - 1]!)) unsorted++;
        if (
          log.aborted.some((a, i) =>
            log.aborted.some(
              (b, j) => i !== j && b.firstOffset < a.lastOffset && a.firstOffset < b.firstOffset,
            ),
          )
        )
          overlapping++;
      }
      expect(unsorted).toBeGreaterThan(30);
      expect(overlapping).toBeGreaterThan(30);
    });
  });
});
