// Engine throughput: records per second through the TopologyTestDriver (real tasks, real LevelDB
// stores, commits after every input as the driver does) for three typical topologies, next to raw
// classic-level batch puts and getSync reads measured in the same run as the baseline. Each case is
// warmed up once, then run several times; the table shows the median.
//
//   node --conditions=tributary-source scripts/bench/engine.ts [records per run] [runs]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
// The baseline measures LevelDB itself, without our store in between; src/ never imports it directly.
import { Level } from 'level';
import { Serdes, StreamsBuilder, TimeWindows, defineTopic, type Topology } from '../../src/index.ts';
import { TopologyTestDriver, type TopologyTestDriverOptions } from '../../src/testing/index.ts';
import { describeMachine } from './machine.ts';

export interface EngineBenchOptions {
  /** Input records per run of each case. */
  readonly records?: number;
  /** Measured runs per case (after one warm-up run). */
  readonly runs?: number;
  /** Runs only the cases whose name contains this text. */
  readonly only?: string;
}

export interface CaseResult {
  readonly name: string;
  readonly unit: string;
  readonly count: number;
  /** Operations per second of each measured run. */
  readonly rates: readonly number[];
  /** CPU time per operation (µs) of each measured run: user + system, LevelDB's threads included. */
  readonly cpuMicros: readonly number[];
}

/** A prepared run: `run` is timed, setup and teardown are not. */
interface Run {
  run(): Promise<void>;
  close(): Promise<void>;
}

interface Case {
  readonly name: string;
  readonly unit: string;
  prepare(count: number, directory: string): Promise<Run>;
}

const KEYS = 10_000;
const key = (i: number) => `key-${String(i % KEYS).padStart(5, '0')}`;
const sentence = (i: number) => `order ${i} for customer ${i % KEYS} with two items`;

const events = defineTopic('events', Serdes.String(), Serdes.String());
const customers = defineTopic('customers', Serdes.String(), Serdes.String());

async function driverRun(
  topology: Topology,
  directory: string,
  feed: (driver: TopologyTestDriver) => void,
  options: Omit<TopologyTestDriverOptions, 'stateDir'> = {},
) {
  const driver = await TopologyTestDriver.create(topology, { ...options, stateDir: directory });
  return {
    driver,
    run: async () => {
      feed(driver);
      // Part of the cost: every store write reaches LevelDB before the run counts as done.
      await driver.flush();
    },
    close: () => driver.close(),
  };
}

const cases: Case[] = [
  {
    name: 'stateless: filter → mapValues → flatMapValues → to',
    unit: 'records/s',
    prepare: async (count, directory) => {
      const builder = new StreamsBuilder();
      builder
        .stream(events)
        .filter((k) => !k.endsWith('7'))
        .mapValues((v) => v.toUpperCase())
        .flatMapValues((v) => v.split(' WITH '))
        .to('sentences', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
      return driverRun(builder.build(), directory, (driver) => {
        const input = driver.createInputTopic(events);
        for (let i = 0; i < count; i++) input.pipeInput(key(i), sentence(i), i);
      });
    },
  },
  {
    name: 'count: groupByKey().count() into LevelDB',
    unit: 'records/s',
    prepare: async (count, directory) => {
      const builder = new StreamsBuilder();
      builder.stream(events).groupByKey().count({ storeName: 'counts' });
      return driverRun(builder.build(), directory, (driver) => {
        const input = driver.createInputTopic(events);
        for (let i = 0; i < count; i++) input.pipeInput(key(i), 'x', i);
      });
    },
  },
  {
    name: 'count, record cache off',
    unit: 'records/s',
    prepare: async (count, directory) => {
      const builder = new StreamsBuilder();
      builder.stream(events).groupByKey().count({ storeName: 'counts' });
      return driverRun(
        builder.build(),
        directory,
        (driver) => {
          const input = driver.createInputTopic(events);
          for (let i = 0; i < count; i++) input.pipeInput(key(i), 'x', i);
        },
        { recordCacheMaxBytes: 0 },
      );
    },
  },
  ...(['on', 'off'] as const).map((cache): Case => ({
    // A worker's view: commits every 1,000 records, the counts table streamed to a topic.
    name: `count → to, commit every 1,000 records, record cache ${cache}`,
    unit: 'records/s',
    prepare: async (count, directory) => {
      const builder = new StreamsBuilder();
      builder
        .stream(events)
        .groupByKey()
        .count({ storeName: 'counts' })
        .toStream()
        .to('counts', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
      return driverRun(
        builder.build(),
        directory,
        (driver) => {
          const input = driver.createInputTopic(events);
          // 100 keys: each is counted about 10 times between two commits.
          for (let i = 0; i < count; i++) {
            input.pipeInput(key(i % 100), 'x', i);
            if (i % 1_000 === 999) driver.commit();
          }
          driver.commit();
        },
        { commitEachRecord: false, recordCacheMaxBytes: cache === 'on' ? undefined : 0 },
      );
    },
  })),
  ...(['on', 'off'] as const).map((cache): Case => ({
    // The same for a windowed count: one-minute windows, each holding about 60 updates of a key.
    name: `windowed count → to, commit every 1,000 records, record cache ${cache}`,
    unit: 'records/s',
    prepare: async (count, directory) => {
      const builder = new StreamsBuilder();
      builder
        .stream(events)
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 60_000))
        .count({ storeName: 'windowed-counts' })
        .toStream()
        .to('windowed-counts', {
          keySerde: Serdes.TimeWindowed(Serdes.String(), 60_000),
          valueSerde: Serdes.Long(),
        });
      return driverRun(
        builder.build(),
        directory,
        (driver) => {
          const input = driver.createInputTopic(events);
          // 100 keys, a record every 10 ms: each key is counted about 10 times between two commits.
          for (let i = 0; i < count; i++) {
            input.pipeInput(key(i % 100), 'x', i * 10);
            if (i % 1_000 === 999) driver.commit();
          }
          driver.commit();
        },
        { commitEachRecord: false, recordCacheMaxBytes: cache === 'on' ? undefined : 0 },
      );
    },
  })),
  {
    name: 'stream-table join (10,000-row table in LevelDB)',
    unit: 'records/s',
    prepare: async (count, directory) => {
      const builder = new StreamsBuilder();
      builder
        .stream(events)
        .join(builder.table(customers), (order, customer) => `${order} / ${customer}`)
        .to('enriched', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
      const prepared = await driverRun(builder.build(), directory, (driver) => {
        const input = driver.createInputTopic(events);
        for (let i = 0; i < count; i++) input.pipeInput(key(i), sentence(i), KEYS + i);
      });
      // Loading the table is setup, not measured.
      const table = prepared.driver.createInputTopic(customers);
      for (let i = 0; i < KEYS; i++) table.pipeInput(key(i), `customer ${i}`, i);
      await prepared.driver.flush();
      return prepared;
    },
  },
  {
    name: 'classic-level (raw): batch put, 1,000 per batch',
    unit: 'puts/s',
    prepare: async (count, directory) => {
      const db = new Level<string, string>(join(directory, 'raw'), {
        keyEncoding: 'utf8',
        valueEncoding: 'utf8',
      });
      await db.open();
      return {
        run: async () => {
          for (let i = 0; i < count; i += 1_000) {
            const batch = db.batch();
            for (let j = i; j < Math.min(count, i + 1_000); j++) batch.put(`${key(j)}-${j}`, sentence(j));
            await batch.write();
          }
        },
        close: () => db.close(),
      };
    },
  },
  {
    name: 'classic-level (raw): getSync, random keys',
    unit: 'gets/s',
    prepare: async (count, directory) => {
      const db = new Level<string, string>(join(directory, 'raw'), {
        keyEncoding: 'utf8',
        valueEncoding: 'utf8',
      });
      await db.open();
      const batch = db.batch();
      for (let i = 0; i < KEYS; i++) batch.put(key(i), sentence(i));
      await batch.write();
      // A fixed pseudo-random order, the same every run.
      const order = Array.from({ length: count }, (_, i) => (i * 7_919) % KEYS);
      return {
        run: async () => {
          for (const i of order) db.getSync(key(i));
        },
        close: () => db.close(),
      };
    },
  },
];

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function measureCase(benchCase: Case, count: number, runs: number, root: string): Promise<CaseResult> {
  const rates: number[] = [];
  const cpuMicros: number[] = [];
  for (let attempt = 0; attempt <= runs; attempt++) {
    const directory = mkdtempSync(join(root, 'case-'));
    const prepared = await benchCase.prepare(count, directory);
    const cpu = process.cpuUsage();
    const start = performance.now();
    await prepared.run();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    await prepared.close();
    rmSync(directory, { recursive: true, force: true });
    if (attempt === 0) continue; // warm-up: JIT, caches, LevelDB's first files
    rates.push(count / (ms / 1000));
    cpuMicros.push((used.user + used.system) / count);
  }
  return { name: benchCase.name, unit: benchCase.unit, count, rates, cpuMicros };
}

function table(results: readonly CaseResult[]): string {
  const rows = results.map((r) => {
    const rates = r.rates.map((x) => Math.round(x));
    return [
      r.name,
      r.count.toLocaleString('en'),
      `${Math.round(median(r.rates)).toLocaleString('en')} ${r.unit}`,
      `${Math.min(...rates).toLocaleString('en')}–${Math.max(...rates).toLocaleString('en')}`,
      median(r.cpuMicros).toFixed(1),
    ];
  });
  const header = ['case', 'per run', 'median', 'range of runs', 'CPU µs/op'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export async function run(options: EngineBenchOptions = {}): Promise<CaseResult[]> {
  const records = options.records ?? 20_000;
  const runs = options.runs ?? 5;
  const root = mkdtempSync(join(tmpdir(), 'tributary-bench-engine-'));
  const results: CaseResult[] = [];
  try {
    console.log(`Engine benchmark on ${describeMachine()}`);
    // Other work on the machine slows wall-clock rates down; CPU time per record is steadier.
    console.log(`load average (1 min) at start: ${loadavg()[0]!.toFixed(2)}`);
    console.log(
      `${records.toLocaleString('en')} input records per run; 1 warm-up run, median of ${runs} runs\n`,
    );
    for (const benchCase of cases) {
      if (options.only && !benchCase.name.includes(options.only)) continue;
      results.push(await measureCase(benchCase, records, runs, root));
    }
    console.log(table(results));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await run({
    records: process.argv[2] ? Number(process.argv[2]) : undefined,
    runs: process.argv[3] ? Number(process.argv[3]) : undefined,
    only: process.argv[4],
  });
}
