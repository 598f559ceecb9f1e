// Tributary side by side with Kafka Streams on the same machine and the same broker: the word count
// and the seven applications of the orders system, implemented on Kafka Streams in scripts/bench/jvm/
// (Java, built here with Maven at the broker's Kafka version) and run by Tributary's worker from
// topologies/*.ts. Runs alternate (Kafka Streams, Tributary, Kafka Streams, Tributary, ...), each on a
// broker started afresh, so the machine's drift hits both. Every figure is measured from outside the
// same way for both: CPU time and peak RSS from /proc/<pid>, output as a consumer of the topics sees it.
//
//   npm run bench:jvm [-- --quick] [--cases replay,catch-up,word-count,latency,restore] [--repeat 2]
//     [--orders 20000,50000] [--words 1000000] [--rates 100,300] [--seconds 60] [--warm-up 15]
//     [--restore-records 500000] [--guarantee at-least-once,exactly-once] [--out file.json] [--no-write]
//     [--engines kafka-streams,tributary] [--replay-orders 3000]
//
//   replay     first, the rules check: test/recordings/*.jsonl and a generated recording replayed
//              through both implementations (scripts/bench/jvm-replay.ts); they must agree.
//   --quick    a few minutes: small sizes, one run each, fewer cases; docs/benchmarks.md is left alone.
//   --engines  one engine only (to profile it); docs/benchmarks.md is then left alone too.
//   BENCH_JAVA_HOME     the JDK to run Kafka Streams with (default: `java` on PATH).
//   BENCH_JAVA_OPTIONS  more JVM flags; BENCH_TRIBUTARY_NODE_OPTIONS  more Node flags (`--cpu-prof`).
//   BENCH_KAFKA_PORT / BENCH_KAFKA_CONTROLLER_PORT   the brokers' ports (default 39592/39593).
//
// Prints the table of ratios Tributary / Kafka Streams with their goals, writes every run to a
// JSON file (default .tools/bench/jvm-<time>.json) and, for a full run, the "Against Kafka Streams"
// section of docs/benchmarks.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pinnedKafkaVersion } from '../../test/support/kafka-version.ts';
import {
  catchUp,
  latency,
  recordingOf,
  restore,
  wordCount,
  type JavaRuntime,
  type RunBase,
} from './jvm-cases.ts';
import {
  buildKafkaStreamsReference,
  COMMIT_INTERVAL_MS,
  ENGINES,
  javaVersion,
  type EngineName,
  type Guarantee,
} from './jvm-engines.ts';
import { compareOutcomes, type OrdersOutcome } from './jvm-outcome.ts';
import { checkReplay, replayRecordings } from './jvm-replay.ts';
import {
  describeComparison,
  describeReplay,
  replayAgrees,
  markdownTable,
  rows,
  textTable,
  type Measure,
  type RunRecord,
} from './jvm-report.ts';
import { format, root } from './kafka-kit.ts';
import { describeMachine } from './machine.ts';
import { writeBenchmarkSection } from './orders.ts';

export const JVM_HEADING = 'Against Kafka Streams';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string', default: 'replay,catch-up,word-count,latency,restore' },
    repeat: { type: 'string' },
    orders: { type: 'string' },
    words: { type: 'string' },
    rates: { type: 'string' },
    seconds: { type: 'string' },
    'warm-up': { type: 'string' },
    'restore-records': { type: 'string' },
    'replay-orders': { type: 'string' },
    guarantee: { type: 'string', default: 'at-least-once,exactly-once' },
    engines: { type: 'string', default: ENGINES.join(',') },
    out: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const numbers = (text: string | undefined, fallback: string) => (text ?? fallback).split(',').map(Number);
const settings = {
  repeat: numbers(args.repeat, quick ? '1' : '2')[0]!,
  orders: numbers(args.orders, quick ? '5000' : '20000,50000'),
  words: numbers(args.words, quick ? '100000' : '1000000')[0]!,
  rates: numbers(args.rates, quick ? '100' : '100,300'),
  seconds: numbers(args.seconds, quick ? '15' : '60')[0]!,
  warmUp: numbers(args['warm-up'], quick ? '5' : '15')[0]!,
  restoreRecords: numbers(args['restore-records'], quick ? '100000' : '500000')[0]!,
  replayOrders: numbers(args['replay-orders'], quick ? '300' : '3000')[0]!,
  guarantees: args.guarantee.split(',') as Guarantee[],
};
const cases = new Set(args.cases.split(','));
const engines = args.engines.split(',') as EngineName[];
for (const e of engines) if (!ENGINES.includes(e)) throw new Error(`--engines: unknown engine "${e}"`);
for (const g of settings.guarantees)
  if (!(g in COMMIT_INTERVAL_MS)) throw new Error(`--guarantee: unknown guarantee "${g}"`);

// ── What each case shows, and the goals (ratios Tributary / Kafka Streams) ─────────────────────────
const rss: Measure = { metric: 'peakRssMiB', label: 'peak RSS', unit: 'MiB', goal: { max: 0.7 } };
const CATCH_UP: Measure[] = [
  { metric: 'ordersPerSecond', label: 'decided orders/s', unit: 'orders/s', goal: { min: 1.5 } },
  { metric: 'cpuMsPerOrder', label: 'CPU per order', unit: 'ms', goal: { max: 0.8 } },
  rss,
];
const WORD_COUNT: Measure[] = [
  { metric: 'recordsPerSecond', label: 'input records/s', unit: 'records/s', goal: { min: 1.0 } },
  { metric: 'cpuUsPerRecord', label: 'CPU per record', unit: 'µs' },
  rss,
];
const LATENCY: Measure[] = [
  { metric: 'p50Ms', label: 'p50 latency', unit: 'ms' },
  { metric: 'p99Ms', label: 'p99 latency', unit: 'ms', goal: { max: 1.0 } },
  rss,
];
const RESTORE: Measure[] = [
  { metric: 'recordsPerSecond', label: 'restore', unit: 'records/s', absoluteGoal: { min: 500_000 } },
  rss,
];

// ── The plan: each case runs `repeat` times per engine, engines alternating ─────────────────────────
interface Planned {
  readonly name: string;
  readonly measures: Measure[];
  readonly run: (engine: EngineName) => Promise<RunBase & { outcome?: OrdersOutcome }>;
}

function plan(java: JavaRuntime): Planned[] {
  const planned: Planned[] = [];
  // Quick runs keep one guarantee where a case would double the time.
  const guaranteesFor = (many: boolean) =>
    quick && !many ? settings.guarantees.slice(-1) : settings.guarantees;
  if (cases.has('catch-up'))
    for (const orders of settings.orders) {
      const recording = recordingOf(orders);
      for (const guarantee of guaranteesFor(true))
        planned.push({
          name: `orders catch-up, ${format(orders)} orders, ${guarantee}`,
          measures: CATCH_UP,
          run: async (engine) => catchUp(engine, guarantee, await recording, java),
        });
    }
  if (cases.has('word-count'))
    for (const guarantee of guaranteesFor(false))
      planned.push({
        name: `word count, ${format(settings.words)} records, ${guarantee}`,
        measures: WORD_COUNT,
        run: (engine) => wordCount(engine, guarantee, settings.words, java),
      });
  if (cases.has('latency'))
    for (const rate of settings.rates)
      for (const guarantee of guaranteesFor(false))
        planned.push({
          name: `latency, ${rate} orders/s, ${guarantee}`,
          measures: LATENCY,
          run: (engine) =>
            latency(engine, guarantee, rate, { warmUp: settings.warmUp, measured: settings.seconds }, java),
        });
  if (cases.has('restore'))
    planned.push({
      name: `restore, ${format(settings.restoreRecords)} changelog records`,
      measures: RESTORE,
      run: (engine) => restore(engine, settings.restoreRecords, java),
    });
  return planned;
}

// ── Run ────────────────────────────────────────────────────────────────────────────────────────────
const loadBefore = loadavg();
const kafkaVersion = process.env.KAFKA_VERSION ?? pinnedKafkaVersion();
const javaBin = process.env.BENCH_JAVA_HOME ? join(process.env.BENCH_JAVA_HOME, 'bin/java') : 'java';
console.error(
  `building the Kafka Streams implementation (Kafka Streams ${kafkaVersion}, scripts/bench/jvm)...`,
);
const java: JavaRuntime = { bin: javaBin, classpath: await buildKafkaStreamsReference(kafkaVersion) };
const javaDescription = await javaVersion(javaBin);
const machine = `${describeMachine()}, Linux ${release()}; ${javaDescription}`;
console.error(`${machine}\nload average before: ${loadBefore.map((l) => l.toFixed(2)).join(', ')}`);

// The rules first: deterministic replays must agree order by order.
const replays: { recording: string; line: string; agrees: boolean }[] = [];
if (cases.has('replay'))
  for (const recording of replayRecordings(settings.replayOrders)) {
    const check = await checkReplay(recording, java);
    replays.push({ recording: check.recording, line: describeReplay(check), agrees: replayAgrees(check) });
    console.error(replays.at(-1)!.line);
    if (!replays.at(-1)!.agrees) console.error('\n!!! THE TWO IMPLEMENTATIONS DISAGREE ON THE RULES !!!\n');
  }

const runs: RunRecord[] = [];
const outcomes = new Map<string, OrdersOutcome>();
const planned = plan(java);
for (const item of planned)
  for (let repetition = 1; repetition <= settings.repeat; repetition++)
    for (const engine of engines) {
      console.error(`${item.name}: ${engine} (run ${repetition} of ${settings.repeat})...`);
      try {
        const {
          outcome,
          engine: _engine,
          loadBefore: lb,
          loadAfter: la,
          exit,
          failure,
          ...metrics
        } = await item.run(engine);
        if (outcome) outcomes.set(`${item.name}|${engine}|${repetition}`, outcome);
        const numeric = Object.fromEntries(
          Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === 'number'),
        );
        runs.push({
          case: item.name,
          engine,
          repetition,
          loadBefore: lb,
          loadAfter: la,
          metrics: numeric,
          ...(failure || exit !== 0 ? { error: `exit ${exit}${failure ? `: ${failure}` : ''}` } : {}),
        });
        console.error(`  ${JSON.stringify(runs.at(-1))}`);
      } catch (error) {
        console.error(`  failed: ${(error as Error).message}`);
        runs.push({ case: item.name, engine, repetition, metrics: {}, error: (error as Error).message });
      }
    }

// The two implementations must reach the same final states on the same recording; two runs of one
// engine show how much the order in which records meet (which no rule fixes) moves on its own.
const agreement: { what: string; line: string; unexplained: number; orderDependent: number }[] = [];
for (const item of planned.filter((p) => p.measures === CATCH_UP))
  for (let repetition = 1; repetition <= settings.repeat; repetition++) {
    const pairs: [string, string, string][] = [
      [`Kafka Streams vs Tributary, run ${repetition}`, 'kafka-streams', 'tributary'],
    ];
    if (repetition > 1)
      for (const engine of ENGINES)
        pairs.push([
          `${engine === 'tributary' ? 'Tributary' : 'Kafka Streams'} run 1 vs run ${repetition}`,
          engine,
          engine,
        ]);
    for (const [what, left, right] of pairs) {
      const a = outcomes.get(`${item.name}|${left}|${left === right ? 1 : repetition}`);
      const b = outcomes.get(`${item.name}|${right}|${repetition}`);
      if (!a || !b) continue;
      const comparison = compareOutcomes(a, b);
      const line = describeComparison(`${item.name}, ${what}`, comparison);
      agreement.push({
        what: `${item.name}, ${what}`,
        line,
        unexplained: comparison.unexplained,
        orderDependent: comparison.orderDependent,
      });
      if (comparison.unexplained > 0)
        console.error(
          `\n!!! ${left === right ? 'TWO RUNS OF ONE ENGINE' : 'THE TWO IMPLEMENTATIONS'} DISAGREE !!!\n${line}\n`,
        );
    }
  }

const measures = new Map(planned.map((p) => [p.name, p.measures]));
const table = rows(runs, measures);
const loadAfter = loadavg();
const loadText = (l: number[]) => l.map((n) => n.toFixed(1)).join(', ');
const command = `npm run bench:jvm${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

console.log(`\nTributary / Kafka Streams ${kafkaVersion}, ${new Date().toISOString()}`);
console.log(`machine: ${machine}`);
console.log(`load average (1, 5, 15 min): before ${loadText(loadBefore)}, after ${loadText(loadAfter)}`);
console.log(`command: ${command}\n`);
console.log(textTable(table));
console.log('');
for (const r of replays) console.log(r.line);
for (const a of agreement) console.log(a.line);

const outFile =
  args.out ?? join(root, '.tools/bench', `jvm-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(join(outFile, '..'), { recursive: true });
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      command,
      machine,
      kafkaVersion,
      loadBefore,
      loadAfter,
      settings: { ...settings, quick, cases: [...cases] },
      rows: table,
      replays,
      agreement,
      runs,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nresults: ${outFile}`);

if (!quick && !args['no-write'] && engines.length === ENGINES.length) {
  const markdown = [
    `## ${JVM_HEADING}`,
    '',
    `Written by \`${command}\` (scripts/bench/jvm.ts) on ${new Date().toISOString().slice(0, 10)}; every run is in the JSON file it wrote.`,
    '',
    `Machine: ${machine}. Load average (1, 5, 15 min) ${loadText(loadBefore)} before the benchmark and ${loadText(loadAfter)} after it; the table gives the range of the 1-minute load over each case's runs. Other work shared the machine.`,
    `Broker: Kafka ${kafkaVersion}, one combined KRaft node on the same machine (scripts/kafka/start.sh), started afresh for every run. Kafka Streams ${kafkaVersion}: scripts/bench/jvm/ (Java, one KafkaStreams per application, all seven in one JVM, default JVM flags and settings but two: tables read from a topic restore from it (\`topology.optimization=reuse.ktable.source.topics\`), and no record cache where every update is an output (the word count, the session aggregations), as in Tributary). Tributary: one \`tributary run\` worker process for the seven applications. Both at their guarantee's default commit interval (${format(COMMIT_INTERVAL_MS['at-least-once'])} ms at-least-once, ${format(COMMIT_INTERVAL_MS['exactly-once'])} ms exactly-once: Kafka Streams' exactly_once_v2).`,
    `Runs: ${settings.repeat} per engine and case, alternating Kafka Streams, Tributary, Kafka Streams, Tributary; figures are medians.`,
    '',
    markdownTable(table),
    '',
    "The rules, checked first: each recording replayed through both implementations (Tributary's `replay`, Kafka Streams' TopologyTestDriver; one partition, every record delivered before the next input record), final state of every order and emails compared:",
    '',
    ...replays.map((r) => `- ${r.line}`),
    '',
    'The catch-ups compared (the latest record of every order on `orders`, and the emails):',
    '',
    ...agreement.map((a) => `- ${a.line}`),
    '',
  ].join('\n');
  writeBenchmarkSection(join(root, 'docs/benchmarks.md'), JVM_HEADING, markdown);
  console.log(`docs/benchmarks.md: section "${JVM_HEADING}" written`);
}
