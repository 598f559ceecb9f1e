// What the test driver would pay to run on the embedded event log instead of its in-memory broker:
// the orders system replayed (`replay()`, the engine of the driver) with every record appended as it
// is today, and with every record also written to an embedded-log partition and read back from it
// (encoded, written to the partition's file, read and decoded: the least a driver on that log does per
// record, before any producer, consumer or group). Runs alternate between the two on the same input.
//
//   node --conditions=tributary-source scripts/bench/driver-log.ts [orders] [runs]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddedLog } from '../../src/embedded/index.ts';
import type { ProducedRecord } from '../../src/runtime/records.ts';
import { InMemoryBroker } from '../../src/testing/in-memory-broker.ts';
import { replay } from '../../src/testing/index.ts';
import { loadOrderApps } from '../orders/apps.ts';
import { generateRecording } from '../orders/recording.ts';
import { describeMachine } from './machine.ts';

const orders = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 3);

const apps = await loadOrderApps();
const { records } = generateRecording({ orders, seed: 1 });
const inMemoryAppend = InMemoryBroker.prototype.append;

/** Every append goes through an embedded log in a fresh directory first; the record read back is stored. */
function throughEmbeddedLog(log: EmbeddedLog): void {
  InMemoryBroker.prototype.append = function (this: InMemoryBroker, record: ProducedRecord) {
    if (log.partitionCount(record.topic) === undefined)
      log.createTopic(record.topic, this.partitionCount(record.topic));
    const partition = log.partition(record.topic, record.partition);
    const offset = partition.append([record], 0);
    const read = partition.read(offset, false, 1, Number.MAX_SAFE_INTEGER).records[0]!;
    return inMemoryAppend.call(this, {
      topic: record.topic,
      partition: record.partition,
      key: read.key,
      value: read.value,
      timestamp: read.timestamp,
      headers: read.headers,
    });
  };
}

async function once(
  log: 'in-memory' | 'embedded',
): Promise<{ cpuS: number; wallS: number; written: number }> {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-bench-driver-log-'));
  const embedded = log === 'embedded' ? EmbeddedLog.open(directory) : undefined;
  if (embedded) throughEmbeddedLog(embedded);
  let written = 0;
  const counting = InMemoryBroker.prototype.append;
  InMemoryBroker.prototype.append = function (this: InMemoryBroker, record: ProducedRecord) {
    written++;
    return counting.call(this, record);
  };
  try {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await replay({ apps, input: records, partitions: 3 });
    const used = process.cpuUsage(cpu);
    return { cpuS: (used.user + used.system) / 1e6, wallS: (performance.now() - started) / 1000, written };
  } finally {
    InMemoryBroker.prototype.append = inMemoryAppend;
    embedded?.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

console.log(`driver on its in-memory broker vs through the embedded log, on ${describeMachine()}`);
console.log(`load average at start: ${loadavg()[0]!.toFixed(1)}`);
console.log(`${orders} orders (seed 1, ${records.length} input records), 3 partitions, ${runs} runs each`);
await once('in-memory'); // warm-up
const results = { 'in-memory': [] as number[], embedded: [] as number[] };
for (let i = 0; i < runs; i++) {
  for (const log of ['in-memory', 'embedded'] as const) {
    const { cpuS, wallS, written } = await once(log);
    results[log].push(cpuS);
    console.log(
      `${log.padEnd(9)} CPU ${cpuS.toFixed(1)} s, wall ${wallS.toFixed(1)} s, ${written} records appended`,
    );
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  `median CPU s: in-memory ${median(results['in-memory']).toFixed(1)}, embedded ${median(results.embedded).toFixed(1)}; load average at end: ${loadavg()[0]!.toFixed(1)}`,
);
