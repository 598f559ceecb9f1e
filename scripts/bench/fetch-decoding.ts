/**
 * What a kafkajs consumer of the adapter spends on one Fetch response, from its bytes to the
 * LogRecords handed to the runtime: kafkajs' own record-set decoder against the adapter's
 * (src/kafka/kafkajs/fetch-decoding.ts), each followed by the same fetch rewrite, kafkajs' Batch and
 * the adapter's conversion, in one process, alternating rounds. Prints CPU µs per record, bytes
 * allocated per record, bytes per record still held while the records wait in a queue (after a full
 * collection), and the garbage collector's time.
 *
 *   bash scripts/with-node.sh node --conditions=tributary-source --expose-gc --max-semi-space-size=256 \
 *     scripts/bench/fetch-decoding.ts [partitions] [rounds]
 *
 * The records are the word count's: a word as key and value (the repartition topic) with a
 * timestamp and no headers, in batches of 500 as the worker's producers write them, 256 KiB per
 * partition and fetch (the worker's default fetch size).
 */
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { fetchDecodingInstalled } from '../../src/kafka/kafkajs/fetch-decoding.ts';
import { produceEncodingInstalled } from '../../src/kafka/kafkajs/produce-encoding.ts';
import { pendingRecord } from '../../src/kafka/kafkajs/produce-encoding.ts';
import { rewriteFetchResponse } from '../../src/kafka/kafkajs/fetch-rewrite.ts';
import { batchEnds } from '../../src/kafka/kafkajs/fetch-batches.ts';
import { logRecords } from '../../src/kafka/kafkajs/convert.ts';
import { compileKafkajsFile } from '../../test/support/kafkajs-files.ts';
import type { KafkaMessage } from 'kafkajs';
import type { LogRecord } from '../../src/common/records.ts';

const require = createRequire(import.meta.url);
const DECODE_MESSAGES = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';
const FETCH_V11 = 'kafkajs/src/protocol/requests/fetch/v11/response.js';
const BATCH = 'kafkajs/src/protocol/recordBatch/v0/index.js';

const partitions = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 4);
const BYTES_PER_PARTITION = 256 * 1024;
const RECORDS_PER_BATCH = 500;
if (!fetchDecodingInstalled || !produceEncodingInstalled) throw new Error('the adapter is not installed');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

interface FetchResponse {
  decode(raw: Buffer): Promise<unknown>;
}
const engines: Record<string, FetchResponse> = {
  kafkajs: compileKafkajsFile(FETCH_V11, {
    '../v4/decodeMessages': compileKafkajsFile(DECODE_MESSAGES),
  }) as FetchResponse,
  tributary: require(FETCH_V11) as FetchResponse,
};
const Batch = require('kafkajs/src/consumer/batch.js') as new (
  topic: string,
  fetchedOffset: string,
  partition: unknown,
) => { messages: KafkaMessage[] };
const { RecordBatch } = require(BATCH) as {
  RecordBatch: (fields: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): unknown };

/** One partition's record set: batches of word-count records up to the fetch size (the last one cut). */
async function recordSet(): Promise<{ bytes: Buffer; records: number }> {
  const batches: Buffer[] = [];
  let size = 0;
  let offset = 0;
  let records = 0;
  const now = Date.now();
  while (size < BYTES_PER_PARTITION) {
    const fields = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => {
      const word = Buffer.from(`word${(offset + i) % 1000}`);
      return pendingRecord({ key: word, value: word, offsetDelta: i, timestampDelta: i % 7 });
    });
    const batch = (
      await RecordBatch({
        firstOffset: Long.fromValue(offset),
        firstTimestamp: now,
        maxTimestamp: now + 6,
        lastOffsetDelta: RECORDS_PER_BATCH - 1,
        producerId: Long.fromValue(1000),
        producerEpoch: 0,
        firstSequence: offset,
        records: fields,
      })
    ).buffer;
    batches.push(batch);
    size += batch.length;
    offset += RECORDS_PER_BATCH;
    if (size <= BYTES_PER_PARTITION) records += RECORDS_PER_BATCH;
  }
  return { bytes: Buffer.concat(batches).subarray(0, BYTES_PER_PARTITION), records };
}

/** A Fetch v11 response of `partitions` partitions of one topic, each holding `set`. */
function fetchResponse(set: Buffer): Buffer {
  const topic = Buffer.from('words-repartition');
  const header = Buffer.alloc(4 + 2 + 4 + 4 + 2 + topic.length + 4);
  let at = header.writeInt32BE(0, 0);
  at = header.writeInt16BE(0, at);
  at = header.writeInt32BE(0, at);
  at = header.writeInt32BE(1, at);
  at = header.writeInt16BE(topic.length, at);
  at += topic.copy(header, at);
  header.writeInt32BE(partitions, at);
  const parts: Buffer[] = [header];
  for (let p = 0; p < partitions; p++) {
    const partition = Buffer.alloc(4 + 2 + 8 + 8 + 8 + 4 + 4 + 4);
    let at = partition.writeInt32BE(p, 0);
    at = partition.writeInt16BE(0, at);
    at = partition.writeBigInt64BE(10_000_000n, at); // high watermark
    at = partition.writeBigInt64BE(10_000_000n, at); // last stable offset
    at = partition.writeBigInt64BE(0n, at); // log start offset
    at = partition.writeInt32BE(0, at); // aborted transactions
    at = partition.writeInt32BE(-1, at); // preferred read replica
    partition.writeInt32BE(set.length, at);
    parts.push(partition, set);
  }
  return Buffer.concat(parts);
}

/** What the adapter does with one fetch: decode, rewrite, kafkajs' Batch, LogRecords. */
async function consume(engine: FetchResponse, raw: Buffer): Promise<LogRecord[][]> {
  const decoded = (await engine.decode(raw)) as {
    responses: { topicName: string; partitions: { partition: number }[] }[];
  };
  rewriteFetchResponse(decoded, { readCommitted: true, ends: batchEnds(raw, 11) });
  const out: LogRecord[][] = [];
  for (const { topicName, partitions } of decoded.responses) {
    for (const partition of partitions) {
      const batch = new Batch(topicName, '0', partition);
      out.push(logRecords(topicName, partition.partition, batch.messages) as LogRecord[]);
    }
  }
  return out;
}

let gcMs = 0;
new PerformanceObserver((entries) => {
  for (const entry of entries.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

async function collect(): Promise<void> {
  gc!();
  await new Promise((resolve) => setTimeout(resolve, 20));
  gc!();
}

const { bytes, records: perPartition } = await recordSet();
const raw = fetchResponse(bytes);
const records = perPartition * partitions;
const fetches = Math.max(1, Math.round(400_000 / records));
console.log(
  `fetches of ${partitions} partitions × ${perPartition} records (${raw.length} bytes); ${fetches} fetches per round`,
);

async function round(name: string, engine: FetchResponse): Promise<void> {
  for (let i = 0; i < 5; i++) await consume(engine, raw); // warm-up
  await collect();
  const heapBefore = getHeapStatistics().used_heap_size;
  const held = await consume(engine, raw);
  const allocated = getHeapStatistics().used_heap_size - heapBefore;
  await collect();
  const retained = getHeapStatistics().used_heap_size - heapBefore;
  if (held.flat().length !== records)
    throw new Error(`${name}: ${held.flat().length} records, not ${records}`);
  held.length = 0; // let them go before the timed fetches
  await collect();
  gcMs = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < fetches; i++) await consume(engine, raw);
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const total = fetches * records;
  console.log(
    `${name.padEnd(9)} ${((used.user + used.system) / total).toFixed(3)} CPU µs/record, ` +
      `${Math.round(allocated / records)} bytes allocated/record, ${Math.round(retained / records)} bytes held/record, ` +
      `GC ${((gcMs * 1000) / total).toFixed(3)} µs/record`,
  );
}

for (let r = 1; r <= rounds; r++) {
  console.log(`round ${r}`);
  await round('kafkajs', engines.kafkajs!);
  await round('tributary', engines.tributary!);
}
