// Kafka benchmarks: raw kafkajs as the baseline, then records/s and end-to-end latency through a
// worker under both guarantees, and restore speed, all in one run on one broker, so the figures
// compare. Results go to stdout and to the "Kafka" section of docs/benchmarks.md.
//
//   npm run bench:kafka                      starts a broker of its own (scripts/kafka/start.sh on
//                                            ports 39592/39593) and stops it afterwards
//   KAFKA_BROKERS=host:port npm run bench:kafka   uses a running broker instead
//   BENCH_RECORDS (100000)  BENCH_RESTORE_RECORDS (500000)  BENCH_LATENCY_RECORDS (2000)
//   BENCH_REFERENCE=1       also run the reference system on an external broker (fixed topic names)
//   BENCH_ONLY=raw,worker,restore,reference   run some sections only (docs/benchmarks.md is then left alone)
//   BENCH_RESTORE_BASELINE=<checkout dir>  BENCH_RESTORE_ROUNDS (1)   restore also with another checkout's
//                           worker, right after this one's, in every round (before/after)
//   BENCH_RESTORE_CLIENTS=kafkajs,platformatic   restore with each of these clients (default: the default)
//   BENCH_WORKER_NODE_OPTIONS   more node options for the restoring workers (e.g. --cpu-prof)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Serdes } from '../../src/index.ts';
import { WorkerProcess, type LogLine } from '../../test/support/worker-process.ts';
import {
  createTopics,
  format,
  perSecond,
  produce,
  provideBroker,
  reader,
  root,
  unique,
  until,
  type Broker,
} from './kafka-kit.ts';
import {
  ordersThroughReferenceSystem,
  REFERENCE_TOPOLOGIES,
  type ReferenceResult,
} from './kafka-reference.ts';
import { describeMachine } from './machine.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const RESTORE_RECORDS = Number(process.env.BENCH_RESTORE_RECORDS ?? 500_000);
const LATENCY_RECORDS = Number(process.env.BENCH_LATENCY_RECORDS ?? 2_000);
const LATENCY_PER_SECOND = 400;
const PARTITIONS = 4;
const DISTINCT_WORDS = 1_000;
const VALUE = 'v'.repeat(100);
const WORD_COUNT_APP = 'scripts/bench/word-count-app.ts';

type Guarantee = 'at-least-once' | 'exactly-once';
/** The product's default commit intervals (Kafka Streams' defaults). */
const COMMIT_INTERVAL: Record<Guarantee, number> = { 'at-least-once': 30_000, 'exactly-once': 100 };

interface RawResult {
  produce: number;
  consume: number;
  pipe: number;
}

/** kafkajs alone: produce, consume, and consume-then-produce (what a stateless worker does at least). */
async function rawBaseline(kafka: Kafka): Promise<RawResult> {
  const [input, output] = [unique('bench-raw-in'), unique('bench-raw-out')];
  await createTopics(kafka, { [input]: PARTITIONS, [output]: PARTITIONS });
  const messages = Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: VALUE }));
  const produceMs = await produce(kafka, input, messages);

  let consumed = 0;
  let first = 0;
  let last = 0;
  const consuming = await reader(kafka, input, (batch, arrived) => {
    first ||= arrived;
    consumed += batch.length;
    last = arrived;
  });
  await until(() => consumed >= RECORDS, 'the raw consumer');
  await consuming.stop();
  const consumeMs = last - first;

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const pipe = kafka.consumer({ groupId: unique('bench-pipe'), maxWaitTimeInMs: 50 });
  await pipe.connect();
  await pipe.subscribe({ topics: [input], fromBeginning: true });
  let piped = 0;
  let pipeFirst = 0;
  let pipeLast = 0;
  await pipe.run({
    eachBatch: async ({ batch }) => {
      pipeFirst ||= Date.now();
      await producer.sendBatch({
        topicMessages: [
          { topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) },
        ],
        acks: -1,
      });
      piped += batch.messages.length;
      pipeLast = Date.now();
    },
  });
  await until(() => piped >= RECORDS, 'the raw pipe');
  await pipe.stop();
  await pipe.disconnect();
  await producer.disconnect();
  return {
    produce: perSecond(RECORDS, produceMs),
    consume: perSecond(RECORDS, consumeMs),
    pipe: perSecond(RECORDS, pipeLast - pipeFirst),
  };
}

interface WorkerResult {
  guarantee: Guarantee;
  commitIntervalMs: number;
  recordsPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

function startWorker(
  name: string,
  brokers: string,
  env: Record<string, string>,
  flags: Record<string, string>,
  checkout = root,
) {
  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  const worker = WorkerProcess.start({
    name,
    topologies: [WORD_COUNT_APP],
    brokers,
    stateDir,
    env,
    flags,
    checkout,
  });
  return {
    worker,
    cleanUp: async () => {
      if (worker.running) await worker.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Words through a worker process running the word count: records/s from its assignment to the last
 * count visible to a read_committed consumer; then latency from a record's produce timestamp to its
 * count becoming visible, at a steady rate.
 */
async function throughWorker(kafka: Kafka, brokers: string, guarantee: Guarantee): Promise<WorkerResult> {
  const [words, counts, app] = [unique('bench-words'), unique('bench-counts'), unique('bench-wc')];
  await createTopics(kafka, { [words]: PARTITIONS, [counts]: PARTITIONS });
  await produce(
    kafka,
    words,
    Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `w${i % DISTINCT_WORDS}` })),
  );

  let outputs = 0;
  let lastOutput = 0;
  const latencies: number[] = [];
  const output = await reader(kafka, counts, (batch, arrived) => {
    for (const message of batch) {
      if (message.key?.subarray(0, 4).toString() === 'lat-')
        latencies.push(arrived - Number(message.timestamp));
      else outputs++;
    }
    lastOutput = arrived;
  });
  const commitIntervalMs = COMMIT_INTERVAL[guarantee];
  const { worker, cleanUp } = startWorker(
    `worker (${guarantee})`,
    brokers,
    { WORDS_TOPIC: words, COUNTS_TOPIC: counts, APPLICATION_ID: app },
    { guarantee, 'commit-interval-ms': String(commitIntervalMs) },
  );
  try {
    const assigned = await worker.waitForAssignment(
      (l: LogLine) => (l.active as string[]).length === 2 * PARTITIONS,
    );
    await until(() => outputs >= RECORDS, `${RECORDS} counts (${guarantee})`);
    const recordsPerSecond = perSecond(RECORDS, lastOutput - assigned.time);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const chunk = Math.max(1, Math.round(LATENCY_PER_SECOND / 20));
    for (let i = 0; i < LATENCY_RECORDS; i += chunk) {
      const now = Date.now();
      const messages = Array.from({ length: Math.min(chunk, LATENCY_RECORDS - i) }, (_, j) => ({
        key: `lk${i + j}`,
        // A word of its own: its count's timestamp is exactly this record's.
        value: `lat-${i + j}`,
        timestamp: String(now),
      }));
      await producer.sendBatch({ topicMessages: [{ topic: words, messages }], acks: -1 });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 50 - (Date.now() - now))));
    }
    await producer.disconnect();
    await until(() => latencies.length >= LATENCY_RECORDS, `latency records (${guarantee})`);
    const sorted = [...latencies].sort((a, b) => a - b);
    const code = await worker.stop();
    if (code !== 0) throw new Error(`the worker exited with ${code}\n${worker.tail()}`);
    return {
      guarantee,
      commitIntervalMs,
      recordsPerSecond,
      latencyP50: percentile(sorted, 50),
      latencyP99: percentile(sorted, 99),
      latencyMax: sorted.at(-1)!,
    };
  } finally {
    await output.stop();
    await cleanUp();
  }
}

interface RestoreResult {
  records: number;
  ms: number;
  msPerMillion: number;
  /** CPU of the worker process from its first restore's start to its assignment taken up, µs per record. */
  cpuMicrosPerRecord: number;
  /** Of `ms`, the time between one store's restore and the next (opening a task, looking up offsets). */
  betweenStoresMs: number;
  /** The longest main-thread CPU burst and event-loop delay during the restore (scripts/bench/loop-probe.ts). */
  maxBurstMs: number;
  maxDelayMs: number;
  /** kafkajs alone reading the same changelog in this process, first batch to last (the baseline). */
  rawConsume: number;
  rawCpuMicrosPerRecord: number;
  checkout: string;
  client: string;
}

/** Another checkout whose worker restores the same changelog right after this one's (a before/after). */
const RESTORE_BASELINE = process.env.BENCH_RESTORE_BASELINE;
/** Rounds of the restore case, each with the raw baseline and every checkout, interleaved. */
const RESTORE_ROUNDS = Number(process.env.BENCH_RESTORE_ROUNDS ?? 1);
/** The Kafka clients to restore with ('' is the worker's default). */
const RESTORE_CLIENTS = (process.env.BENCH_RESTORE_CLIENTS ?? '').split(',');

/** CPU time of a process so far (user + system), ms, from /proc. */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * A changelog of RESTORE_RECORDS distinct keys written directly, read once by kafkajs alone (the
 * baseline), then restored by a worker with no local state (of this checkout, and of the baseline's).
 */
async function restoreRates(kafka: Kafka, brokers: string): Promise<RestoreResult[]> {
  const [words, counts, app] = [unique('bench-words'), unique('bench-counts'), unique('bench-restore')];
  const changelog = `${app}-word-counts-changelog`;
  await createTopics(kafka, { [words]: PARTITIONS, [counts]: PARTITIONS });
  await createTopics(kafka, { [changelog]: PARTITIONS }, { 'cleanup.policy': 'compact' });
  const long = Serdes.Long();
  const count = Buffer.from(long.serialize(1));
  const messages = Array.from({ length: RESTORE_RECORDS }, (_, i) => ({
    key: `word-${i}`,
    value: count,
    partition: i % PARTITIONS,
  }));
  await produce(kafka, changelog, messages);

  const results: RestoreResult[] = [];
  for (let round = 0; round < RESTORE_ROUNDS; round++) {
    let consumed = 0;
    let [first, last] = [0, 0];
    const cpu = process.cpuUsage();
    const consuming = await reader(kafka, changelog, (batch, arrived) => {
      first ||= arrived;
      consumed += batch.length;
      last = arrived;
    });
    await until(() => consumed >= RESTORE_RECORDS, 'the raw changelog consumer');
    const rawCpu = process.cpuUsage(cpu);
    await consuming.stop();
    const rawConsume = perSecond(consumed, last - first);
    const rawCpuMicrosPerRecord = (rawCpu.user + rawCpu.system) / consumed;
    const checkouts = [root, ...(RESTORE_BASELINE ? [RESTORE_BASELINE] : [])];
    for (const client of RESTORE_CLIENTS)
      for (const checkout of checkouts) {
        const { worker, cleanUp } = startWorker(
          'worker (restore)',
          brokers,
          {
            WORDS_TOPIC: words,
            COUNTS_TOPIC: counts,
            APPLICATION_ID: app,
            NODE_OPTIONS: `--import=${join(root, 'scripts/bench/loop-probe.ts')} ${process.env.BENCH_WORKER_NODE_OPTIONS ?? ''}`,
          },
          client ? { 'kafka-client': client } : {},
          checkout,
        );
        try {
          await worker.waitForLog((l) => l.msg === 'restoring store', { what: '"restoring store"' });
          const cpuAtStart = processCpuMs(worker.pid);
          await worker.waitForAssignment();
          const cpuMs = processCpuMs(worker.pid) - cpuAtStart;
          const started = worker.lines('restoring store');
          const finished = worker.lines('store restored');
          const records = finished.reduce((sum, l) => sum + (l.records as number), 0);
          if (records !== RESTORE_RECORDS)
            throw new Error(`restored ${records} of ${RESTORE_RECORDS} records`);
          // From the first restore's start to the last one's end.
          const [from, to] = [started[0]!.time, finished.at(-1)!.time];
          const ms = to - from;
          // The probe reports each second's longest: the seconds that overlap the restore.
          const probes = worker
            .lines('bench probe')
            .filter((p) => p.time > from && p.time - 1_000 < to && p.thread === 0);
          results.push({
            records,
            ms,
            msPerMillion: Math.round((ms * 1_000_000) / records),
            cpuMicrosPerRecord: (cpuMs * 1000) / records,
            betweenStoresMs: ms - finished.reduce((sum, l) => sum + (l.ms as number), 0),
            maxBurstMs: Math.round(Math.max(0, ...probes.map((p) => Number(p.cpuBurstMaxMs)))),
            maxDelayMs: Math.round(Math.max(0, ...probes.map((p) => Number(p.loopMaxMs)))),
            rawConsume,
            rawCpuMicrosPerRecord,
            checkout: checkout === root ? 'this checkout' : checkout,
            client: client || 'default',
          });
          console.error('restore', results.at(-1));
        } finally {
          await cleanUp();
        }
      }
  }
  return results;
}

function report(
  broker: Broker,
  raw: RawResult,
  workers: readonly WorkerResult[],
  restore: RestoreResult,
  reference: ReferenceResult | { skipped: string },
): string {
  const lines = [
    '## Kafka',
    '',
    `Written by \`npm run bench:kafka\` (scripts/bench/kafka.ts) on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `Machine: ${describeMachine()}, Linux ${release()}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} (1, 5, 15 min) when the run ended.`,
    broker.version === 'external'
      ? `Broker: the one at KAFKA_BROKERS (${broker.brokers}${process.env.KAFKA_VERSION ? `, Kafka ${process.env.KAFKA_VERSION}` : ''}).`
      : `Broker: Kafka ${broker.version}, one combined KRaft node on the same machine (scripts/kafka/start.sh), so broker and worker share the cores.`,
    `Settings: ${format(RECORDS)} records of ${PARTITIONS} partitions; raw records carry 100-byte values; the worker counts ${format(DISTINCT_WORDS)} distinct words (repartition by word, LevelDB store with a changelog, 8 tasks) with the default commit intervals; sends of 1,000 records, acks=all, idempotent producer; consumers read_committed.`,
    '',
    '| measurement | result |',
    '| --- | --- |',
    `| kafkajs produce (baseline) | ${format(raw.produce)} records/s |`,
    `| kafkajs consume (baseline) | ${format(raw.consume)} records/s |`,
    `| kafkajs consume → produce (baseline) | ${format(raw.pipe)} records/s |`,
    ...workers.map(
      (w) =>
        `| word count through a worker, ${w.guarantee} (commit every ${format(w.commitIntervalMs)} ms) | ${format(w.recordsPerSecond)} input records/s |`,
    ),
    ...workers.map(
      (w) =>
        `| end-to-end latency, ${w.guarantee}, ${LATENCY_PER_SECOND} records/s | p50 ${w.latencyP50} ms, p99 ${w.latencyP99} ms (max ${w.latencyMax} ms) |`,
    ),
    `| kafkajs consume of the changelog restored next (baseline) | ${format(restore.rawConsume)} records/s, ${restore.rawCpuMicrosPerRecord.toFixed(1)} CPU µs per record |`,
    `| restore of ${format(restore.records)} changelog records | ${format(restore.ms)} ms: ${format(restore.msPerMillion)} ms per million (${format(perSecond(restore.records, restore.ms))} records/s), ${restore.cpuMicrosPerRecord.toFixed(1)} CPU µs per record; longest main-thread CPU burst ${restore.maxBurstMs} ms |`,
    'skipped' in reference
      ? `| orders through the reference system | not measured: ${reference.skipped} |`
      : `| orders through the reference system: 7 applications in one worker process, exactly-once, 3 partitions | ${format(reference.ordersPerSecond)} orders decided/s (${format(reference.decided)} of ${format(reference.orders)} orders decided) |`,
    '',
    'How to read them:',
    '',
    '- Records/s through a worker count input records. Each is processed twice (read and',
    '  repartitioned, then counted) and causes three writes (repartition, output, and, deduplicated',
    '  per key per commit, the changelog), so the consume → produce baseline is the ceiling to compare',
    '  with, not the consume figure.',
    "- Latency runs from a record's produce timestamp to its count arriving at a read_committed",
    '  consumer. Under exactly-once a record waits for a commit in each sub-topology it passes (the',
    '  repartition topic is read read_committed too), so expect about two commit intervals plus the',
    '  commits themselves; a shorter commit interval buys latency with throughput.',
    '- Exactly-once commits one transaction per worker application per commit interval, and the',
    '  processing loop waits for the commits: most of the difference in throughput.',
    '- Restore time: a worker with an empty state directory reads a changelog of distinct keys into',
    '  LevelDB, one task after another, from its first "restoring store" to its last "store restored".',
    "  The longest main-thread CPU burst is the most CPU time the worker's main thread spent between",
    '  two turns of a 5 ms timer during the restore (scripts/bench/loop-probe.ts).',
    '- The reference system row produces a generated recording (customers, stock, orders, payments;',
    '  scripts/orders/recording.ts) in one burst into one worker process running all seven',
    '  applications, and counts the orders the validations aggregator decided (VALIDATED or FAILED).',
    "  The recording spaces orders 10 ms apart, so the whole burst lies within the windows' grace:",
    '  records that pass through a repartition topic during a burst reach the next task out of',
    "  timestamp order, and a record later than a window's grace is dropped (as in Kafka Streams). An",
    "  earlier run found orders left undecided because fraud stamped its checks with the session's end",
    "  rather than the order's time; fraud now keeps each check at its order's time.",
    '- The machine is shared: figures move with its load (noted above); compare runs made together.',
    '',
  ];
  return lines.join('\n');
}

function writeSection(section: string): void {
  const path = join(root, 'docs/benchmarks.md');
  const existing = existsSync(path)
    ? readFileSync(path, 'utf8')
    : "# Benchmarks\n\nFigures measured on the project's machines. Each section says which script wrote it.\n\n";
  const start = existing.search(/^## Kafka$/m);
  if (start === -1) {
    writeFileSync(path, `${existing.trimEnd()}\n\n${section}`);
    return;
  }
  const rest = existing.slice(start + 1);
  const next = rest.search(/^## /m);
  const end = next === -1 ? existing.length : start + 1 + next;
  writeFileSync(
    path,
    `${existing.slice(0, start)}${section}${next === -1 ? '' : `\n${existing.slice(end)}`}`,
  );
}

const only = new Set((process.env.BENCH_ONLY ?? 'raw,worker,restore,reference').split(','));
const broker = await provideBroker();
const kafka = new Kafka({
  clientId: 'tributary-bench',
  brokers: broker.brokers.split(','),
  logLevel: logLevel.NOTHING,
});
try {
  console.error(`broker ${broker.brokers}; ${format(RECORDS)} records`);
  const raw = only.has('raw') ? await rawBaseline(kafka) : undefined;
  console.error('baseline', raw);
  const workers: WorkerResult[] = [];
  if (only.has('worker')) {
    for (const guarantee of ['at-least-once', 'exactly-once'] as const) {
      workers.push(await throughWorker(kafka, broker.brokers, guarantee));
      console.error(workers.at(-1));
    }
  }
  const restore = only.has('restore') ? (await restoreRates(kafka, broker.brokers))[0] : undefined;
  const reference = only.has('reference')
    ? await ordersThroughReferenceSystem(kafka, broker.brokers, REFERENCE_TOPOLOGIES)
    : { skipped: 'not asked for (BENCH_ONLY)' };
  console.error('reference system', reference);
  if (raw && restore && workers.length === 2) {
    const section = report(broker, raw, workers, restore, reference);
    console.log(section);
    writeSection(section);
  } else {
    console.error('a partial run (BENCH_ONLY): docs/benchmarks.md left as it is');
  }
} finally {
  await broker.stop();
}
