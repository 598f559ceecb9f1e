/**
 * Encoding a Produce request's record batch, kafkajs' own encoder against Tributary's
 * (src/kafka/kafkajs/produce-encoding.ts), in one process, alternating rounds: CPU µs per record,
 * heap and Buffer bytes allocated per record, and the garbage collector's time.
 *
 *   bash scripts/with-node.sh node --conditions=tributary-source --expose-gc --max-semi-space-size=256 \
 *     scripts/bench/produce-encoding.ts [records per request] [rounds]
 */
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { crc32c } from '../../src/kafka/kafkajs/crc32c.ts';
import { produceEncodingInstalled } from '../../src/kafka/kafkajs/produce-encoding.ts';
import { compileKafkajsFile } from '../../test/support/kafkajs-files.ts';

const require = createRequire(import.meta.url);
const RECORD = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const BATCH = 'kafkajs/src/protocol/recordBatch/v0/index.js';
const PRODUCE_V3 = 'kafkajs/src/protocol/requests/produce/v3/request.js';

type ProduceRequest = (args: Record<string, unknown>) => { encode(): Promise<{ size(): number }> };

const recordsPerRequest = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);
const requestsPerRound = Math.max(1, Math.round(200_000 / recordsPerRequest));
if (!produceEncodingInstalled) throw new Error('the produce encoding is not installed');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const engines: Record<string, ProduceRequest> = {
  kafkajs: compileKafkajsFile(PRODUCE_V3, {
    '../../../recordBatch/record/v0': compileKafkajsFile(RECORD),
    '../../../recordBatch/v0': compileKafkajsFile(BATCH),
  }) as ProduceRequest,
  tributary: require(PRODUCE_V3) as ProduceRequest,
};

// As the worker sends them: Buffer keys and values, string timestamps, two headers.
const now = Date.now();
const messages = Array.from({ length: recordsPerRequest }, (_, i) => ({
  key: Buffer.from(`word-${String(i).padStart(15, '0')}`),
  value: Buffer.alloc(100, i % 251),
  timestamp: String(now + i),
  headers: { 'content-type': 'application/avro', trace: Buffer.from(`trace-${i}`) },
}));
const args = {
  acks: -1,
  timeout: 30_000,
  transactionalId: null,
  topicData: [{ topic: 'words', partitions: [{ partition: 0, firstSequence: 0, messages }] }],
};

let gcMs = 0;
new PerformanceObserver((entries) => {
  for (const entry of entries.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

/**
 * Bytes one request allocates: heap and ArrayBuffers, after a full collection. Run with a young
 * generation large enough that none starts during the request (--max-semi-space-size=256).
 */
async function allocatedPerRecord(produce: ProduceRequest): Promise<number> {
  gc!();
  await new Promise((resolve) => setTimeout(resolve, 20)); // ArrayBuffers are freed after the collection
  gc!();
  const heapBefore = getHeapStatistics().used_heap_size;
  const buffersBefore = process.memoryUsage().arrayBuffers;
  const encoded = await produce(args).encode();
  const heap = getHeapStatistics().used_heap_size - heapBefore;
  const buffers = process.memoryUsage().arrayBuffers - buffersBefore;
  if (encoded.size() <= 0) throw new Error('nothing encoded');
  return (heap + buffers) / recordsPerRequest;
}

async function round(name: string, produce: ProduceRequest): Promise<void> {
  for (let i = 0; i < 20; i += 1) await produce(args).encode(); // warm-up
  const allocated = await allocatedPerRecord(produce);
  gc!();
  await new Promise((resolve) => setTimeout(resolve, 10));
  gcMs = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < requestsPerRound; i += 1) await produce(args).encode();
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const records = requestsPerRound * recordsPerRequest;
  console.log(
    `${name.padEnd(9)} ${(((used.user + used.system) / records) as number).toFixed(3)} CPU µs/record, ` +
      `${Math.round(allocated)} bytes allocated/record, GC ${((gcMs * 1000) / records).toFixed(3)} µs/record`,
  );
}

console.log(
  `${requestsPerRound} requests of ${recordsPerRequest} records (20-byte keys, 100-byte values, 2 headers) per round`,
);
/** The batch's checksum alone, over 1 MiB: kafkajs' byte-at-a-time CRC-32C against ours. */
function checksums(): void {
  const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
  const bytes = Buffer.alloc(1 << 20, 7);
  for (const [name, crc] of [
    ['kafkajs', kafkajsCrc32c],
    ['tributary', crc32c],
  ] as const) {
    for (let i = 0; i < 5; i += 1) crc(bytes);
    const cpu = process.cpuUsage();
    for (let i = 0; i < 50; i += 1) crc(bytes);
    const used = process.cpuUsage(cpu);
    console.log(`${name.padEnd(9)} CRC-32C ${((used.user + used.system) / 50 / 1024).toFixed(3)} CPU µs/KiB`);
  }
}

for (let r = 1; r <= rounds; r += 1) {
  checksums();
  console.log(`round ${r}`);
  await round('kafkajs', engines.kafkajs!);
  await round('tributary', engines.tributary!);
}
