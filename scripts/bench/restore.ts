// A restore without a broker: changelog batches, shaped as a Kafka client hands them over, go through
// the restorer into a word count's LevelDB store (timestamped key-value), one partition after another
// as a worker's tasks restore. What it measures is our part of a restore (the restorer, the store, the
// key index, LevelDB), which `npm run bench:kafka`'s restore case adds to the client's fetching.
//
//   node --conditions=tributary-source scripts/bench/restore.ts [records (500000)] [--rounds N (3)]
//     [--batch N (10000)] [--partitions N (4)] [--no-bulk] [--cpu-prof is node's own flag]
//
// --no-bulk restores record by record (`ManagedStore.restore`) instead of in bulk (`bulkRestore`).
//
// Prints, per round: records/s, CPU µs per record (the process, LevelDB's threads included), the
// longest event-loop delay seen (`monitorEventLoopDelay`: wall time, so a loaded machine's waits for a
// core count too) and the longest main-thread CPU burst between two turns of a 2 ms timer
// (`process.threadCpuUsage`: what our code held the event loop for, whatever the load).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Serdes, Stores } from '../../src/index.ts';
import { silentLogger } from '../../src/common/logger.ts';
import type { LogRecord, PartitionReaderPort, RecordBatch, TopicPartition } from '../../src/kafka/port.ts';
import { savingStore } from '../../src/runtime/changelog-target.ts';
import { Restorer } from '../../src/runtime/worker/restorer.ts';
import { openStore } from '../../src/state/managed-store.ts';
import { describeMachine } from './machine.ts';
import { toOffset } from '../../src/common/offset.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '10000' },
    partitions: { type: 'string', default: '4' },
    'no-bulk': { type: 'boolean', default: false },
  },
});
const RECORDS = Number(positionals[0] ?? 500_000);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);
const PARTITIONS = Number(values.partitions);
const TOPIC = 'bench-restore-word-counts-changelog';

/** One partition's changelog as fetched batches: distinct words, each counted once (8-byte longs). */
function changelog(partition: number): RecordBatch[] {
  const count = Buffer.from(Serdes.Long().serialize(1));
  const records: LogRecord[] = [];
  for (let i = partition; i < RECORDS; i += PARTITIONS)
    records.push({
      topic: TOPIC,
      partition,
      offset: toOffset(records.length),
      key: Buffer.from(`word-${i}`),
      value: count,
      timestamp: 1_700_000_000_000 + i,
      headers: {},
    });
  const batches: RecordBatch[] = [];
  for (let at = 0; at < records.length; at += BATCH) {
    const slice = records.slice(at, at + BATCH);
    batches.push({
      topic: TOPIC,
      partition,
      records: slice,
      nextOffset: toOffset(at + slice.length),
      highWatermark: toOffset(records.length),
    });
  }
  return batches;
}

/**
 * A partition reader over batches in memory that behaves as the Kafka adapters do: a batch is handed
 * over a turn of the event loop after the one before (a fetch's response), and the reader waits for
 * what `onBatch` returns before handing over the next.
 */
class MemoryReader implements PartitionReaderPort {
  private onBatch: ((batch: RecordBatch) => unknown) | undefined;
  private readonly log: Map<number, RecordBatch[]>;
  private readonly reading = new Set<number>();

  constructor(log: Map<number, RecordBatch[]>) {
    this.log = log;
  }

  async start(onBatch: (batch: RecordBatch) => void): Promise<void> {
    this.onBatch = onBatch;
  }

  async assign(position: TopicPartition): Promise<void> {
    this.reading.add(position.partition);
    void this.pump(position.partition);
  }

  async unassign(partition: TopicPartition): Promise<void> {
    this.reading.delete(partition.partition);
  }

  async stop(): Promise<void> {
    this.reading.clear();
  }

  private async pump(partition: number): Promise<void> {
    for (const batch of this.log.get(partition) ?? []) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!this.reading.has(partition)) return;
      await this.onBatch!(batch);
    }
  }
}

/** The most main-thread CPU time spent between two turns of a 2 ms timer, from now until `stop`. */
function burstProbe(): { stop(): number } {
  let last = process.threadCpuUsage();
  let longest = 0;
  const timer = setInterval(() => {
    const now = process.threadCpuUsage();
    longest = Math.max(longest, now.user + now.system - last.user - last.system);
    last = now;
  }, 2);
  return {
    stop: () => {
      clearInterval(timer);
      return longest / 1000;
    },
  };
}

interface RoundResult {
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxDelayMs: number;
  readonly longestBurstMs: number;
}

async function round(log: Map<number, RecordBatch[]>): Promise<RoundResult> {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-bench-restore-'));
  const spec = Stores.timestampedKeyValue({
    name: 'word-counts',
    keySerde: Serdes.String(),
    valueSerde: Serdes.Long(),
  });
  const restorer = new Restorer(new MemoryReader(log), silentLogger);
  await restorer.start();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const started = performance.now();
  const cpu = process.cpuUsage();
  delay.enable();
  const bursts = burstProbe();
  let longestBurstMs: number;
  try {
    // One task after another, as a worker restores them.
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const store = await openStore(spec, { directory: join(directory, `1_${partition}`), now: () => -1 });
      const end = toOffset(log.get(partition)!.at(-1)!.nextOffset);
      // As a task restores: in bulk where the store can (`--no-bulk`: record by record).
      const bulk = values['no-bulk'] ? undefined : await store.bulkRestore?.();
      const target = bulk ?? { apply: store.restore, save: savingStore(store) };
      const restored = await restorer.restore({ topic: TOPIC, partition }, toOffset(0n), end, target);
      await (bulk ? bulk.finish(end) : store.commit(end));
      if (BigInt(restored) !== end) throw new Error(`restored ${restored} of ${end} records`);
      await store.close();
    }
  } finally {
    longestBurstMs = bursts.stop();
    delay.disable();
    await restorer.stop();
  }
  const used = process.cpuUsage(cpu);
  const result = {
    ms: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    maxDelayMs: delay.max / 1e6,
    longestBurstMs,
  };
  rmSync(directory, { recursive: true, force: true });
  return result;
}

const log = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, changelog(p)] as const));
console.log(
  `Restore without a broker on ${describeMachine()}: ${RECORDS.toLocaleString('en')} records, ` +
    `${PARTITIONS} partitions one after another, batches of ${BATCH.toLocaleString('en')}`,
);
for (let i = 0; i < ROUNDS; i++) {
  const r = await round(log);
  console.log(
    `round ${i + 1}: ${Math.round((RECORDS * 1000) / r.ms).toLocaleString('en')} records/s, ` +
      `${((r.cpuMs * 1000) / RECORDS).toFixed(2)} CPU µs/record, longest event-loop delay ${r.maxDelayMs.toFixed(1)} ms, ` +
      `longest main-thread CPU burst ${r.longestBurstMs.toFixed(1)} ms ` +
      `(load average ${loadavg()[0]!.toFixed(1)})`,
  );
}
