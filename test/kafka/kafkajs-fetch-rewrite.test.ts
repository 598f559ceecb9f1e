// kafkajs' consumers behind the fetch rewrite: fetch responses encoded as a broker sends them, decoded
// by kafkajs, rewritten by the adapter and turned into batches by kafkajs' own Batch, must expose
// exactly the committed records and move past everything fetched; kafkajs alone does neither. And the
// checks that make a kafkajs whose internals moved fail loudly.
import { createRequire } from 'node:module';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { batchEnds } from '../../src/kafka/kafkajs/fetch-batches.ts';
import { applyFetchRewrite } from '../../src/kafka/kafkajs/fetch-hook.ts';
import {
  assertRewrittenBatch,
  KafkaClientMismatchError,
  rewriteFetchResponse,
  rewritePartition,
} from '../../src/kafka/kafkajs/fetch-rewrite.ts';
import { encodeFetchResponse, kafkajsDecode } from './fetch-response.ts';
import {
  committedFrom,
  compact,
  consume,
  generateLog,
  startOffsets,
  type LogBatch,
  type ModelFetch,
  type TransactionLog,
} from './transaction-log-model.ts';
import { random } from '../support/random.ts';

const require = createRequire(import.meta.url);

interface KafkajsBatch {
  messages: { offset: string; key: Buffer | null }[];
  rawMessages: unknown[];
  highWatermark: string;
  isEmpty(): boolean;
  lastOffset(): string;
}
const Batch = require('kafkajs/src/consumer/batch.js') as new (
  topic: string,
  fetchedOffset: string,
  partition: unknown,
) => KafkajsBatch;

/** One fetched partition as raw bytes, decoded by kafkajs, then rewritten for a read_committed consumer or not. */
async function fetchedPartition(
  log: TransactionLog,
  fetched: ModelFetch,
  options: { rewrite: false } | { rewrite: true; readCommitted: boolean },
  cut = 0,
) {
  const raw = encodeFetchResponse(11, [
    {
      topic: 't',
      partitions: [
        {
          partition: 0,
          batches: fetched.batches,
          aborted: fetched.aborted,
          highWatermark: log.endOffset,
          lastStableOffset: log.lastStableOffset,
          cut,
        },
      ],
    },
  ]);
  const response = await kafkajsDecode(11, raw);
  if (options.rewrite) {
    rewriteFetchResponse(response, { readCommitted: options.readCommitted, ends: batchEnds(raw, 11) });
  }
  return response.responses[0]!.partitions[0]!;
}

/**
 * What kafkajs' consumer does with one fetch: the records its batch exposes, and where it fetches
 * next (its runner resolves the batch's last offset; a batch without any record resolves nothing).
 */
async function kafkajsDeliver(log: TransactionLog, fetched: ModelFetch, rewrite: boolean) {
  // Every third fetch ends inside its last batch, as a fetch's byte limit cuts it (kafkajs drops that
  // batch; the next fetch brings it again).
  const cut = fetched.batches.length > 1 && fetched.fetchOffset % 3n === 0n ? 5 : 0;
  const options = rewrite ? { rewrite: true as const, readCommitted: true } : { rewrite: false as const };
  const partition = await fetchedPartition(log, fetched, options, cut);
  const batch = new Batch('t', String(fetched.fetchOffset), partition);
  return {
    keys: batch.messages.map((m) => m.key!.toString()),
    nextOffset: batch.rawMessages.length === 0 ? fetched.fetchOffset : BigInt(batch.lastOffset()) + 1n,
  };
}

/** The first start offset whose delivery through kafkajs differs from the committed records, if any. */
async function firstMismatch(log: TransactionLog, rnd: () => number, rewrite: boolean) {
  for (const from of startOffsets(log, rnd)) {
    let delivered: string[];
    try {
      delivered = await consume(log, from, rnd, (fetched) => kafkajsDeliver(log, fetched, rewrite));
    } catch (error) {
      return { from, error: (error as Error).message };
    }
    const expected = committedFrom(log, from);
    if (JSON.stringify(delivered) !== JSON.stringify(expected)) return { from, delivered, expected };
  }
  return undefined;
}

describe('kafkajs consumers behind the fetch rewrite', () => {
  it('expose exactly the committed records of random logs, from every start offset', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed);
      expect(await firstMismatch(generateLog(rnd), rnd, true), `seed ${seed}`).toBeUndefined();
    }
  });

  it('do so on compacted logs, moving past batches compaction emptied', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed * 104729);
      const log = compact(generateLog(rnd), rnd);
      expect(await firstMismatch(log, rnd, true), `seed ${seed * 104729}`).toBeUndefined();
    }
  });

  it('are needed: kafkajs alone gets many of the same logs wrong', async () => {
    let wrong = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed);
      if (await firstMismatch(generateLog(rnd), rnd, false)) wrong++;
    }
    expect(wrong).toBeGreaterThan(60);
  });

  it('are needed: kafkajs alone stays on a fetch that holds only an emptied batch', async () => {
    const emptied: LogBatch = {
      baseOffset: 5n,
      lastOffset: 7n,
      producerId: 3n,
      transactional: true,
      control: null,
      records: [],
    };
    const log: TransactionLog = { batches: [emptied], aborted: [], lastStableOffset: 9n, endOffset: 9n };
    const fetched: ModelFetch = { fetchOffset: 5n, batches: [emptied], aborted: [] };
    expect((await kafkajsDeliver(log, fetched, false)).nextOffset).toBe(5n);
    expect(await kafkajsDeliver(log, fetched, true)).toEqual({ keys: [], nextOffset: 8n });
  });

  it('leave a partition without aborted transactions or emptied batches as decoded but for its end and its records’ topic and partition, tagged', async () => {
    const log = generateLog(random(3));
    const fetched: ModelFetch = { fetchOffset: 0n, batches: log.batches.slice(0, 3), aborted: [] };
    // Offsets are bigints; topic and partition are what the rewrite fills in (checked below).
    const text = (value: unknown) =>
      JSON.stringify(value, (key, field: unknown) =>
        key === 'topic' || key === 'partition' ? undefined : typeof field === 'bigint' ? `${field}n` : field,
      );
    const decoded = await fetchedPartition(log, fetched, { rewrite: false });
    const before = text({ ...decoded, highWatermark: decoded.lastStableOffset });
    const partition = await fetchedPartition(log, fetched, { rewrite: true, readCommitted: true });
    expect(text(partition)).toBe(before);
    const records = partition.messages as { topic: string; partition: number }[];
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.topic === 't' && r.partition === 0)).toBe(true);
    expect(() => assertRewrittenBatch(new Batch('t', '0', partition))).not.toThrow();
  });

  it('report the last stable offset as the end to a read_committed consumer, the high watermark otherwise', async () => {
    // A log with a transaction left open: its records count in the high watermark but are not readable yet.
    const log = [...Array(50).keys()]
      .map((seed) => generateLog(random(100 + seed)))
      .find((l) => l.lastStableOffset < l.endOffset)!;
    expect(log).toBeDefined();
    const fetched: ModelFetch = { fetchOffset: 0n, batches: log.batches, aborted: [] };
    const committed = new Batch(
      't',
      '0',
      await fetchedPartition(log, fetched, { rewrite: true, readCommitted: true }),
    );
    const uncommitted = new Batch(
      't',
      '0',
      await fetchedPartition(log, fetched, { rewrite: true, readCommitted: false }),
    );
    expect(committed.highWatermark).toBe(log.lastStableOffset.toString());
    expect(uncommitted.highWatermark).toBe(log.endOffset.toString());
  });

  it('hide no record from a read_uncommitted consumer', async () => {
    const log = generateLog(random(11));
    // A read_uncommitted fetch carries no aborted-transaction list.
    const fetched: ModelFetch = { fetchOffset: 0n, batches: log.batches, aborted: [] };
    const partition = await fetchedPartition(log, fetched, { rewrite: true, readCommitted: false });
    const batch = new Batch('t', '0', partition);
    const data = log.batches.filter((b) => b.control === null).flatMap((b) => b.records.map((r) => r.key));
    expect(batch.messages.map((m) => m.key!.toString())).toEqual(data);
  });
});

describe('guards against a kafkajs whose internals moved', () => {
  it('refuses a batch that did not come through the rewrite', () => {
    const batch = new Batch('orders', '0', { partition: 3, abortedTransactions: [], messages: [] });
    expect(() => assertRewrittenBatch(batch)).toThrow(KafkaClientMismatchError);
    expect(() => assertRewrittenBatch(batch)).toThrow(/topic orders, partition 3/);
  });

  it('refuses a fetch response without an aborted-transaction list', () => {
    expect(() =>
      rewritePartition(
        'orders',
        { partition: 2, messages: [] },
        { readCommitted: true, batchesEnd: undefined },
      ),
    ).toThrow(/fetch response for topic orders, partition 2 has no aborted-transaction or record list/);
    expect(() => rewriteFetchResponse({ topics: [] }, { readCommitted: true, ends: undefined })).toThrow(
      KafkaClientMismatchError,
    );
  });

  it('refuses records without their batch’s producer and transaction flags', () => {
    const partition = {
      partition: 1,
      abortedTransactions: [{ producerId: '7', firstOffset: '0' }],
      messages: [{ offset: '42', key: null, isControlRecord: false, magicByte: 2 }],
    };
    expect(() => rewritePartition('orders', partition, { readCommitted: true, batchesEnd: 42n })).toThrow(
      /record fetched from topic orders, partition 1 at offset 42 lacks/,
    );
  });

  it('refuses a Kafka object without the private cluster factory, naming the kafkajs version', () => {
    let error: KafkaClientMismatchError | undefined;
    try {
      applyFetchRewrite({} as Kafka);
    } catch (e) {
      error = e as KafkaClientMismatchError;
    }
    expect(error).toBeInstanceOf(KafkaClientMismatchError);
    expect(error?.code).toBe('TRIB_KAFKA_CLIENT');
    expect(error?.message).toMatch(/kafkajs 2\.\d+\.\d+ .*no private createCluster/);
  });

  it('applies to a real kafkajs instance: its brokers’ Fetch responses are rewritten, also after reconnecting', async () => {
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: 0 });
    applyFetchRewrite(kafka);
    // The cluster a consumer gets, and a broker it fetches from, without a network.
    const factory = Object.getOwnPropertySymbols(kafka).find(
      (s) => s.description === 'private:Kafka:createCluster',
    )!;
    const cluster = (kafka as unknown as Record<symbol, (o: object) => unknown>)[factory]!({
      isolationLevel: 1,
    }) as { brokerPool: { findBroker: unknown }; findBroker(a: object): Promise<FakeBroker> };
    type Build = (args: { isolationLevel: number }) => {
      request: { apiVersion: number };
      response: { decode(raw: Buffer): Promise<unknown> };
    };
    interface FakeBroker {
      lookupRequest: (apiKey: number, definition: unknown) => Build;
      produce: () => Promise<unknown>;
    }
    const v11 = require('kafkajs/src/protocol/requests/fetch/v11/response.js');
    const kafkajsLookup = () => (apiKey: number) => () => ({
      request: { apiKey, apiVersion: 11 },
      response: v11,
    });
    const broker: FakeBroker = {
      lookupRequest: kafkajsLookup() as FakeBroker['lookupRequest'],
      produce: async () => ({}),
    };
    cluster.brokerPool.findBroker = async () => broker;
    const found = await cluster.findBroker({ nodeId: 1 });

    // Producer 5's transaction from offset 0 is aborted; its marker is beyond this fetch.
    const batch: LogBatch = {
      baseOffset: 0n,
      lastOffset: 0n,
      producerId: 5n,
      transactional: true,
      control: null,
      records: [{ offset: 0n, key: 'a', committed: false }],
    };
    const raw = encodeFetchResponse(11, [
      {
        topic: 't',
        partitions: [
          {
            partition: 0,
            batches: [batch],
            aborted: [{ producerId: 5n, firstOffset: 0n }],
            highWatermark: 1n,
            lastStableOffset: 1n,
          },
        ],
      },
    ]);
    type Decoded = { responses: { partitions: { messages: { isControlRecord: boolean }[] }[] }[] };
    const hidden = async (isolationLevel: number) => {
      const decoded = (await found.lookupRequest(1, {})({ isolationLevel }).response.decode(raw)) as Decoded;
      return decoded.responses[0]!.partitions[0]!.messages[0]!.isControlRecord;
    };
    expect(await hidden(1)).toBe(true);
    expect(await hidden(0)).toBe(false);
    // A broker reassigns lookupRequest when it reconnects: the new one is wrapped too.
    found.lookupRequest = kafkajsLookup() as FakeBroker['lookupRequest'];
    expect(await hidden(1)).toBe(true);
    // Other requests are built as kafkajs builds them.
    expect(found.lookupRequest(3, {})({ isolationLevel: 1 }).response).toBe(v11);
  });
});
