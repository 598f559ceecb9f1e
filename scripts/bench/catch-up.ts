// Catching up on a backlog: the reference orders system (seven applications in one worker process)
// started on a generated recording that is already in Kafka, at the default commit interval of each
// guarantee (30 s at-least-once, 100 ms exactly-once), on a fresh broker with default settings per run.
// Measures decided orders per second, the longest main-thread CPU burst and event-loop delay in the
// worker (through scripts/bench/loop-probe.ts), its CPU time and peak RSS,
// and how long a graceful stop takes once it has caught up. A baseline checkout runs in the same
// invocation, interleaved, so the figures compare.
//
//   npm run bench:catch-up -- [--orders 200000] [--guarantee at-least-once,exactly-once]
//     [--baseline <checkout dir>] [--baseline-label main] [--no-write]
//
//   --orders     one size, or several (`50000,200000`): each runs at each guarantee.
//   --large      sizes run at at-least-once only and without the baseline (a long run of this branch).
//
//   --clients    Kafka clients to compare (`kafkajs,platformatic`): each run once per client, the
//                worker started with `--kafka-client`; results go to the "Kafka clients: catching up"
//                section instead.
//   --threads    stream-thread counts to compare (`1,2`; a count may repeat, `1,2,1,2`, to interleave
//                more rounds): each run once per count, the worker started with `--threads`; results go
//                to the "Stream threads: catching up" section instead.
//   --baseline   another checkout of the repository (e.g. `git archive main | tar -x -C dir`, with
//                node_modules linked), whose worker runs the same recording right after this one's.
//   BENCH_KAFKA_PORT / BENCH_KAFKA_CONTROLLER_PORT   the broker's ports (default 39592/39593).
//
// Results go to stdout and, unless --no-write, to the "Catching up on a backlog" section of
// docs/benchmarks.md.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { WorkerProcess, type LogLine } from '../../test/support/worker-process.ts';
import { createTopics, format, provideBroker, root, unique } from './kafka-kit.ts';
import { produceInOrder, REFERENCE_TOPOLOGIES, referenceRecording } from './kafka-reference.ts';
import { describeMachine } from './machine.ts';

export const CATCH_UP_HEADING = 'Catching up on a backlog';
export const CLIENTS_CATCH_UP_HEADING = 'Kafka clients: catching up on a backlog';
export const THREADS_CATCH_UP_HEADING = 'Stream threads: catching up on a backlog';
type Guarantee = 'at-least-once' | 'exactly-once';
/** The product's default commit intervals (Kafka Streams' defaults), given explicitly to the worker. */
const COMMIT_INTERVAL: Record<Guarantee, number> = { 'at-least-once': 30_000, 'exactly-once': 100 };
/** How long without a new decision ends a run (longer than a commit interval)... */
const QUIET_MS = 45_000;
/** ...and how long the first decision may take (seven applications start and join their groups). */
const FIRST_DECISION_MS = 600_000;

interface RunResult {
  readonly label: string;
  readonly guarantee: Guarantee;
  readonly orders: number;
  readonly records: number;
  readonly decided: number;
  /** From the worker's start to its last decision. */
  readonly catchUpMs: number;
  readonly ordersPerSecond: number;
  readonly maxStallMs: number;
  /** The most main-thread CPU time between two turns of the event loop (see loop-probe.ts). */
  readonly maxBurstMs: number;
  readonly cpuMs: number;
  readonly peakRssMiB: number;
  /** How long the graceful stop took, and how it ended. */
  readonly stopMs: number;
  readonly exit: number | string;
  /** The error the worker logged when an application failed, if one did. */
  readonly failure: string | undefined;
}

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '200000' },
    large: { type: 'string', default: '' },
    guarantee: { type: 'string', default: 'at-least-once,exactly-once' },
    baseline: { type: 'string' },
    'baseline-label': { type: 'string', default: 'main' },
    clients: { type: 'string' },
    threads: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const sizes = args.orders.split(',').map(Number);
const largeSizes = args.large ? args.large.split(',').map(Number) : [];
const guarantees = args.guarantee.split(',') as Guarantee[];
const clients = args.clients ? args.clients.split(',') : [undefined];
const threadCounts = args.threads ? args.threads.split(',') : [undefined];
const checkouts = [
  { label: 'this branch', dir: root },
  ...(args.baseline ? [{ label: args['baseline-label'], dir: resolve(args.baseline) }] : []),
].flatMap((checkout) =>
  clients.flatMap((client) =>
    threadCounts.map((threads) => ({
      ...checkout,
      client,
      threads,
      label: [checkout.label, client, threads && `${threads} thread${threads === '1' ? '' : 's'}`]
        .filter(Boolean)
        .join(', '),
    })),
  ),
);
const heading = args.threads
  ? THREADS_CATCH_UP_HEADING
  : args.clients
    ? CLIENTS_CATCH_UP_HEADING
    : CATCH_UP_HEADING;

async function preload(kafka: Kafka, orders: number): Promise<{ orderIds: Set<string>; records: number }> {
  const { topics } = await import('../../schemas/topics.ts');
  const { sequence, orderIds } = await referenceRecording(orders);
  await createTopics(kafka, Object.fromEntries(Object.values(topics).map((t) => [t.name, 3])));
  await produceInOrder(kafka, sequence);
  console.error(`pre-loaded ${format(sequence.length)} records (${format(orderIds.size)} orders)`);
  return { orderIds, records: sequence.length };
}

async function catchUp(
  label: string,
  checkout: string,
  client: string | undefined,
  threads: string | undefined,
  guarantee: Guarantee,
  orders: number,
): Promise<RunResult> {
  const broker = await provideBroker();
  const kafka = new Kafka({
    clientId: 'bench-catch-up',
    brokers: [broker.brokers],
    logLevel: logLevel.NOTHING,
  });
  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-bench-catch-up-'));
  const { topics } = await import('../../schemas/topics.ts');
  const watcher = kafka.consumer({ groupId: unique('bench-decided'), maxWaitTimeInMs: 100 });
  try {
    const { orderIds, records } = await preload(kafka, orders);
    const decided = new Set<string>();
    let lastDecision = 0;
    await watcher.connect();
    await watcher.subscribe({ topics: [topics.orders.name], fromBeginning: true });
    await watcher.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const order = topics.orders.valueSerde.deserialize(message.value!);
          if ((order.state === 'VALIDATED' || order.state === 'FAILED') && !decided.has(order.id)) {
            decided.add(order.id);
            lastDecision = Date.now();
          }
        }
      },
    });
    const started = Date.now();
    const worker = WorkerProcess.start({
      name: `${label} (${guarantee})`,
      checkout,
      topologies: REFERENCE_TOPOLOGIES,
      brokers: broker.brokers,
      stateDir,
      flags: {
        guarantee,
        'commit-interval-ms': String(COMMIT_INTERVAL[guarantee]),
        ...(client ? { 'kafka-client': client } : {}),
        ...(threads ? { threads } : {}),
      },
      env: {
        // BENCH_WORKER_NODE_OPTIONS: more flags for the worker's Node (`--cpu-prof --cpu-prof-dir=...`).
        NODE_OPTIONS: `--disable-warning=TimeoutNegativeWarning --import=${join(root, 'scripts/bench/loop-probe.ts')} ${process.env.BENCH_WORKER_NODE_OPTIONS ?? ''}`,
      },
    });
    let seen = 0;
    let quietSince = Date.now();
    while (decided.size < orderIds.size && worker.running) {
      if (decided.size !== seen) [seen, quietSince] = [decided.size, Date.now()];
      if (Date.now() - quietSince > (seen === 0 ? FIRST_DECISION_MS : QUIET_MS)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const caughtUp = Date.now();
    const exit = worker.running ? await worker.stop(60_000) : await worker.exited;
    const stopMs = Date.now() - caughtUp;
    // Stalls count from the moment every application has its tasks (loading the code and joining
    // the groups come before) to the catch-up's end.
    const assigned = new Map<unknown, number>();
    for (const line of worker.lines('tasks assigned'))
      if (!assigned.has(line.app)) assigned.set(line.app, line.time);
    const running = Math.max(...assigned.values());
    const probes = worker
      .lines('bench probe')
      .filter((l) => l.time > running + 1_000 && l.time <= caughtUp + 1_000);
    lastProbes = probes.map((p) => [
      p.time - started,
      Math.round(Number(p.loopMaxMs)),
      Math.round(Number(p.cpuBurstMaxMs)),
    ]);
    const failure = worker.logs.find((l: LogLine) => /^(application|stream thread) failed/.test(l.msg))?.msg;
    const catchUpMs = lastDecision - started;
    return {
      label,
      guarantee,
      orders: orderIds.size,
      records,
      decided: decided.size,
      catchUpMs,
      ordersPerSecond: Math.round((decided.size * 1000) / Math.max(catchUpMs, 1)),
      maxStallMs: Math.round(Math.max(0, ...probes.map((p) => Number(p.loopMaxMs)))),
      maxBurstMs: Math.round(Math.max(0, ...probes.map((p) => Number(p.cpuBurstMaxMs)))),
      cpuMs: Math.round(Number(probes.at(-1)?.cpuMs ?? 0)),
      peakRssMiB: Math.max(0, ...probes.map((p) => Number(p.rssMiB))),
      stopMs,
      exit,
      failure,
    };
  } finally {
    await watcher.disconnect().catch(() => undefined);
    await broker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function row(r: RunResult): string {
  const outcome = r.failure ? `failed: ${r.failure.slice(0, 120)}` : `exit ${r.exit}`;
  return `| ${format(r.orders)} (${format(r.records)} records) | ${r.label} | ${r.guarantee} (${format(COMMIT_INTERVAL[r.guarantee])} ms) | ${format(r.decided)} | ${format(r.ordersPerSecond)} | ${format(r.maxBurstMs)} ms | ${format(r.maxStallMs)} ms | ${format(Math.round(r.cpuMs / 1000))} s | ${format(r.peakRssMiB)} MiB | ${format(Math.round(r.stopMs / 100) / 10)} s, ${outcome} |`;
}

function section(results: readonly RunResult[], version: string): string {
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(', ');
  return [
    `## ${heading}`,
    '',
    `Written by \`npm run bench:catch-up -- --orders ${args.orders}${args.large ? ` --large ${args.large}` : ''}${args.guarantee !== 'at-least-once,exactly-once' ? ` --guarantee ${args.guarantee}` : ''}${args.clients ? ` --clients ${args.clients}` : ''}${args.threads ? ` --threads ${args.threads}` : ''}${args.baseline ? ' --baseline <main checkout>' : ''}\` (scripts/bench/catch-up.ts) on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `Machine: ${describeMachine()}, Linux ${release()}; load average ${load} (1, 5, 15 min) when the run ended. Other work shared the machine.`,
    `Broker: Kafka ${version}, one combined KRaft node on the same machine (scripts/kafka/start.sh, default message.max.bytes), started afresh for every run.`,
    "Settings: a generated recording (seed 1; customers, stock, orders, payments, orders 10 ms apart) produced into 3-partition topics before the worker starts; one worker process runs the seven applications of the reference system at the guarantee's default commit interval.",
    '',
    '| orders pre-loaded | checkout | guarantee (commit interval) | orders decided | decided orders/s | longest main-thread CPU burst | longest event-loop delay | worker CPU | peak RSS | graceful stop after catching up |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(row),
    '',
    'How to read them:',
    '',
    "- Decided orders/s: orders the validations aggregator decided (VALIDATED or FAILED), over the time from the worker's start (joining, restoring nothing) to the last decision.",
    "- With several stream threads, the stall figures are the longest of any thread's (each thread runs its own event loop); worker CPU and RSS are the whole process's.",
    "- Both stall figures cover the time from the moment every application had its tasks to the end of the catch-up. The longest main-thread CPU burst is the most CPU time the worker's main thread spent between two turns of a 5 ms timer (`process.threadCpuUsage`): how long our code, the client's, or a GC pause on that thread held the event loop, independent of the machine's load. The longest event-loop delay is the largest `monitorEventLoopDelay` maximum of any second: wall time, so it also counts the time the process waited for a core on a loaded machine.",
    '- Worker CPU and peak RSS are those of the worker process (its LevelDB threads included) until it had caught up.',
    '- A graceful stop commits what was processed since the last commit and leaves the group.',
    '',
  ].join('\n');
}

function write(markdown: string): void {
  const path = join(root, 'docs/benchmarks.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf(`## ${heading}\n`);
  if (start < 0) return writeFileSync(path, `${text.trimEnd()}\n\n${markdown}`);
  const next = text.indexOf('\n## ', start + 3);
  writeFileSync(path, text.slice(0, start) + markdown + (next < 0 ? '' : text.slice(next + 1)));
}

let lastProbes: unknown[] = [];
const results: RunResult[] = [];
const runs = [
  ...sizes.flatMap((orders) =>
    guarantees.flatMap((guarantee) => checkouts.map((checkout) => ({ ...checkout, guarantee, orders }))),
  ),
  ...largeSizes.map((orders) => ({ ...checkouts[0]!, guarantee: 'at-least-once' as const, orders })),
];
for (const { label, dir, client, threads, guarantee, orders } of runs) {
  console.error(`catching up: ${label}, ${guarantee}, ${format(orders)} orders...`);
  const result = await catchUp(label, dir, client, threads, guarantee, orders);
  console.error(JSON.stringify(result));
  if (process.env.BENCH_PROBES) console.error(JSON.stringify(lastProbes));
  results.push(result);
}
const { pinnedKafkaVersion } = await import('../../test/support/kafka-version.ts');
const markdown = section(results, process.env.KAFKA_BROKERS ? 'external' : pinnedKafkaVersion());
console.log(markdown);
if (!args['no-write']) write(markdown);
