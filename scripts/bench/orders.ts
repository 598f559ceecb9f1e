// The orders system end to end in the test driver: a generated recording of 100,000 orders replayed
// through all seven applications together on one in-memory broker (LevelDB stores, as in production),
// with raw LevelDB (`level`) batch puts and getSync reads measured in the same run as the baseline.
//
//   bash scripts/with-node.sh node --conditions=tributary-source scripts/bench/orders.ts [--orders 100000]
//     [--partitions 3] [--seed 1] [--no-write]
//
// Prints a table and the machine, and writes them to docs/benchmarks.md under "Orders system in the
// test driver" (unless --no-write). `npm run bench` (scripts/bench/all.ts) calls `run()`; `benchOrders()`
// measures without printing or writing.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
// The baseline measures LevelDB itself, without our stores in between; src/ never imports it directly.
import { Level } from 'level';
import { replay } from '../../src/testing/index.ts';
import { loadOrderApps } from '../orders/apps.ts';
import { generateRecording, type GeneratedCounts } from '../orders/recording.ts';
import { describeMachine, machine, type Machine } from './machine.ts';

export const ORDERS_BENCH_HEADING = 'Orders system in the test driver';

export interface OrdersBenchOptions {
  /** Orders in the generated recording (default 100,000). */
  readonly orders?: number;
  /** Partitions of every topic (default 3: three tasks per sub-topology). */
  readonly partitions?: number;
  readonly seed?: number;
  /** Keys written and read by the raw LevelDB baseline (default 100,000). */
  readonly baselineEntries?: number;
}

export interface BenchRow {
  readonly name: string;
  /** What was counted, and how many. */
  readonly unit: string;
  readonly count: number;
  readonly wallMs: number;
  /** CPU time of the whole process (LevelDB's threads included), steadier than wall time on a busy machine. */
  readonly cpuMs: number;
}

export interface OrdersBenchResult {
  readonly heading: string;
  readonly machine: Machine;
  readonly settings: { readonly orders: number; readonly partitions: number; readonly seed: number };
  readonly recording: { readonly records: number; readonly counts: GeneratedCounts };
  /** Records the applications wrote to the system's topics (not counting internal ones). */
  readonly outputRecords: number;
  readonly rows: readonly BenchRow[];
  /** The table as text, for a terminal. */
  table(): string;
  /** The section for docs/benchmarks.md, heading included. */
  markdown(): string;
}

async function measure(name: string, unit: string, count: number, run: () => unknown): Promise<BenchRow> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await run();
  const used = process.cpuUsage(cpu);
  return { name, unit, count, wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

/** Raw LevelDB in the same run: 1,000 puts per batch of 100-byte values, then getSync in a fixed random order. */
async function levelBaseline(entries: number): Promise<BenchRow[]> {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-bench-level-'));
  const db = new Level<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const key = (i: number) => `key-${String(i).padStart(8, '0')}`;
  const value = 'v'.repeat(100);
  try {
    await db.open();
    const put = await measure('LevelDB (level), raw', 'batch put (1,000 per batch)', entries, async () => {
      for (let i = 0; i < entries; i += 1000) {
        const batch = db.batch();
        for (let j = i; j < Math.min(entries, i + 1000); j++) batch.put(key(j), value);
        await batch.write();
      }
    });
    let seed = 42;
    const order = Array.from({ length: entries }, (_, i) => i);
    for (let i = entries - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const get = await measure('LevelDB (level), raw', 'getSync (random keys)', entries, () => {
      for (const i of order) db.getSync(key(i));
    });
    return [put, get];
  } finally {
    await db.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

export async function benchOrders(options: OrdersBenchOptions = {}): Promise<OrdersBenchResult> {
  const settings = {
    orders: options.orders ?? 100_000,
    partitions: options.partitions ?? 3,
    seed: options.seed ?? 1,
  };
  const load = loadavg()[0]!;
  const apps = await loadOrderApps();
  const recording = generateRecording({ orders: settings.orders, seed: settings.seed });
  const records = recording.records;

  let outputRecords = 0;
  const replayed = await measure(
    `all ${apps.length} applications, replay`,
    'orders',
    settings.orders,
    async () => {
      const result = await replay({ apps, input: records, partitions: settings.partitions });
      outputRecords = result.records.length;
    },
  );
  const rows = [
    replayed,
    { ...replayed, unit: 'input records', count: records.length },
    ...(await levelBaseline(options.baselineEntries ?? 100_000)),
  ];
  const info = machine();
  const rate = (row: BenchRow) => Math.round(row.count / (row.wallMs / 1000)).toLocaleString('en');
  const cpuRate = (row: BenchRow) => Math.round(row.count / (row.cpuMs / 1000)).toLocaleString('en');
  const header = ['measured', 'what is counted', 'count', 'wall s', 'CPU s', 'per wall s', 'per CPU s'];
  const cells = rows.map((row) => [
    row.name,
    row.unit,
    row.count.toLocaleString('en'),
    (row.wallMs / 1000).toFixed(1),
    (row.cpuMs / 1000).toFixed(1),
    rate(row),
    cpuRate(row),
  ]);
  const machineLine = describeMachine(info);
  const setup =
    `${settings.orders.toLocaleString('en')} generated orders (seed ${settings.seed}, ` +
    `${records.length.toLocaleString('en')} input records: customers, stock, orders, payments), ` +
    `${settings.partitions} partitions per topic, LevelDB stores; ` +
    `${outputRecords.toLocaleString('en')} records written to the system's topics`;

  return {
    heading: ORDERS_BENCH_HEADING,
    machine: info,
    settings,
    recording: { records: records.length, counts: recording.counts },
    outputRecords,
    rows,
    table: () => {
      const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
      const line = (c: string[]) =>
        c.map((text, i) => (i < 2 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join('  ');
      return [`${setup}\n${machineLine}\n`, line(header), ...cells.map(line)].join('\n');
    },
    markdown: () =>
      [
        `## ${ORDERS_BENCH_HEADING}`,
        '',
        'All seven applications of the orders system replayed together on one in-memory broker ' +
          '(`replay()` from `tributary/testing`, what `tributary replay topologies/*.ts` runs), with raw ' +
          'LevelDB measured in the same run as the baseline. Measured with `node --conditions=tributary-source ' +
          'scripts/bench/orders.ts`; where the time goes is in `docs/orders.md` ("Measuring it").',
        '',
        `- Input: ${setup}.`,
        `- Machine: ${machineLine}; load average ${load.toFixed(1)} when the run started ` +
          `(CPU seconds are steadier than wall seconds on a shared machine); measured ` +
          `${new Date().toISOString().slice(0, 10)}.`,
        '',
        ...markdownTable(header, cells, 2),
        '',
      ].join('\n'),
  };
}

/** A Markdown table laid out as Prettier lays it out; columns from `textColumns` on are right-aligned. */
function markdownTable(header: string[], rows: string[][], textColumns: number): string[] {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i]!.length)));
  const pad = (text: string, i: number) =>
    i < textColumns ? text.padEnd(widths[i]!) : text.padStart(widths[i]!);
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = widths.map((w, i) => (i < textColumns ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`));
  return [line(header), `| ${rule.join(' | ')} |`, ...rows.map(line)];
}

/** Puts the section into the benchmarks document, replacing an earlier run's (up to the next `## `). */
export function writeBenchmarkSection(file: string, heading: string, section: string): void {
  const text = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nFigures measured on the machine named in each section.\n';
  const start = text.indexOf(`## ${heading}\n`);
  if (start < 0) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section.trimEnd()}\n`);
    return;
  }
  const next = text.indexOf('\n## ', start + 1);
  const rest = next < 0 ? '' : text.slice(next + 1);
  writeFileSync(file, `${text.slice(0, start)}${section.trimEnd()}\n${rest ? `\n${rest}` : ''}`);
}

/**
 * Runs the benchmark, prints its table and writes its section of docs/benchmarks.md: what `npm run bench`
 * (scripts/bench/all.ts) calls, and what running this file does.
 */
export async function run(
  options: OrdersBenchOptions & { readonly write?: boolean } = {},
): Promise<OrdersBenchResult> {
  const result = await benchOrders(options);
  console.log(result.table());
  if (options.write !== false) {
    const file = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
    writeBenchmarkSection(file, result.heading, result.markdown());
    console.log(`\nwritten to ${file} ("${result.heading}")`);
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      partitions: { type: 'string' },
      seed: { type: 'string' },
      'no-write': { type: 'boolean' },
    },
  });
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  await run({
    orders: number(values.orders),
    partitions: number(values.partitions),
    seed: number(values.seed),
    write: !values['no-write'],
  });
}
