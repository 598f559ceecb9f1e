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
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Consumer, type Message } from 'kafkajs';
import { Serdes, type Serde } from '../../src/index.ts';
import { pinnedKafkaVersion } from '../../test/support/kafka-version.ts';
import { WorkerProcess, type LogLine } from '../../test/support/worker-process.ts';
import { describeMachine } from './machine.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const RESTORE_RECORDS = Number(process.env.BENCH_RESTORE_RECORDS ?? 500_000);
const LATENCY_RECORDS = Number(process.env.BENCH_LATENCY_RECORDS ?? 2_000);
const LATENCY_PER_SECOND = 400;
const PARTITIONS = 4;
const DISTINCT_WORDS = 1_000;
const BATCH = 1_000;
const VALUE = 'v'.repeat(100);
const WORD_COUNT_APP = 'scripts/bench/word-count-app.ts';
/** The reference system's applications, for the whole-system figure once topologies/ holds them. */
export const REFERENCE_TOPOLOGIES = [
  'order-details',
  'inventory',
  'fraud',
  'validations-aggregator',
  'payments',
  'emails',
  'orders-view',
].map((app) => `topologies/${app}.ts`);

type Guarantee = 'at-least-once' | 'exactly-once';
/** The product's default commit intervals (Kafka Streams' defaults). */
const COMMIT_INTERVAL: Record<Guarantee, number> = { 'at-least-once': 30_000, 'exactly-once': 100 };

interface Broker {
  readonly brokers: string;
  readonly version: string;
  stop(): Promise<void>;
}

const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const perSecond = (count: number, ms: number) => Math.round((count * 1000) / Math.max(ms, 1));
const format = (n: number) => n.toLocaleString('en');

async function provideBroker(): Promise<Broker> {
  if (process.env.KAFKA_BROKERS)
    return { brokers: process.env.KAFKA_BROKERS, version: 'external', stop: async () => undefined };
  const env = {
    ...process.env,
    KAFKA_PORT: process.env.BENCH_KAFKA_PORT ?? '39592',
    KAFKA_CONTROLLER_PORT: process.env.BENCH_KAFKA_CONTROLLER_PORT ?? '39593',
    KAFKA_RUN_DIR: join(root, '.tools/run/kafka-bench'),
  };
  console.error('starting a broker for the benchmark (scripts/kafka/start.sh)...');
  const { stdout } = await run('bash', [join(root, 'scripts/kafka/start.sh')], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return {
    brokers: stdout.trim().split('\n').pop()!,
    version: process.env.KAFKA_VERSION ?? pinnedKafkaVersion(),
    stop: async () => void (await run('bash', [join(root, 'scripts/kafka/stop.sh')], { env })),
  };
}

async function createTopics(
  kafka: Kafka,
  topics: Record<string, number>,
  config: Record<string, string> = {},
) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: Object.entries(topics).map(([topic, numPartitions]) => ({
        topic,
        numPartitions,
        configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
      })),
    });
    // A new KRaft topic can refuse requests for a moment after creation: wait for its leaders.
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: Object.keys(topics) });
        if (metadata.every((t) => t.partitions.every((p) => p.leader >= 0))) return;
      } catch {
        // not yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Sends messages in batches of 1,000 with the settings the workers' producer uses; returns the ms taken. */
async function produce(kafka: Kafka, topic: string, messages: readonly Message[]): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = performance.now();
  try {
    for (let at = 0; at < messages.length; at += BATCH)
      await producer.sendBatch({
        topicMessages: [{ topic, messages: messages.slice(at, at + BATCH) }],
        acks: -1,
      });
    return performance.now() - started;
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads a topic from the start (read_committed) and calls `onMessages` with every batch and its
 * arrival time. Resolves `done` when `until` says so; `stop` ends it.
 */
async function reader(
  kafka: Kafka,
  topic: string,
  onMessages: (messages: readonly { key: Buffer | null; timestamp: string }[], arrived: number) => void,
): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  const consumer = kafka.consumer({ groupId: unique('bench-reader'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => onMessages(batch.messages, Date.now()) });
  return {
    consumer,
    stop: async () => {
      await consumer.stop();
      await consumer.disconnect();
    },
  };
}

/** Waits until `condition` holds, polling. */
async function until(condition: () => boolean, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
) {
  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  const worker = WorkerProcess.start({ name, topologies: [WORD_COUNT_APP], brokers, stateDir, env, flags });
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
}

/** A changelog of RESTORE_RECORDS distinct keys written directly, then a worker with no local state restores it. */
async function restoreRate(kafka: Kafka, brokers: string): Promise<RestoreResult> {
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

  const { worker, cleanUp } = startWorker(
    'worker (restore)',
    brokers,
    { WORDS_TOPIC: words, COUNTS_TOPIC: counts, APPLICATION_ID: app },
    {},
  );
  try {
    await worker.waitForAssignment();
    const started = worker.lines('restoring store');
    const finished = worker.lines('store restored');
    const records = finished.reduce((sum, l) => sum + (l.records as number), 0);
    if (records !== RESTORE_RECORDS) throw new Error(`restored ${records} of ${RESTORE_RECORDS} records`);
    // Tasks restore one after another: from the first start to the last finish.
    const ms = finished.at(-1)!.time - started[0]!.time;
    return { records, ms, msPerMillion: Math.round((ms * 1_000_000) / records) };
  } finally {
    await cleanUp();
  }
}

interface ReferenceResult {
  orders: number;
  decided: number;
  ordersPerSecond: number;
}

/**
 * Orders per second through the whole reference system on Kafka: a generated recording (customers,
 * stock, orders, payments; scripts/orders/recording.ts) produced in recording order, one worker
 * process running every topology file under exactly-once, and a read_committed consumer of `orders`
 * counting the orders the validations aggregator decided (VALIDATED or FAILED). The rate is decided
 * orders over the time from the first record produced to the last decision. Skipped until the
 * topology files exist; the system's topic names and application ids are fixed, so it runs only on a
 * broker of its own (the one this script starts) unless BENCH_REFERENCE=1.
 */
export async function ordersThroughReferenceSystem(
  kafka: Kafka,
  brokers: string,
  topologyFiles: readonly string[],
  orders = Number(process.env.BENCH_ORDERS ?? 20_000),
): Promise<ReferenceResult | { skipped: string }> {
  const missing = topologyFiles.filter((file) => !existsSync(join(root, file)));
  if (missing.length > 0) return { skipped: `no topology files yet (${missing.join(', ')})` };
  if (process.env.KAFKA_BROKERS && process.env.BENCH_REFERENCE !== '1')
    return { skipped: 'fixed topic names: runs on the broker this script starts, or with BENCH_REFERENCE=1' };
  const { topics } = await import('../../schemas/topics.ts');
  const { generateRecording } = await import('../orders/recording.ts');
  const byName = new Map<string, { keySerde: Serde<unknown>; valueSerde: Serde<unknown> }>(
    Object.values(topics).map((t) => [
      t.name,
      t as unknown as { keySerde: Serde<unknown>; valueSerde: Serde<unknown> },
    ]),
  );
  // A timeline that ends now (timestamps far in the past would meet the topics' retention), and a
  // short one: the recording is produced in one burst, so records of different partitions meet out
  // of timestamp order after a repartition, by up to the span of the timeline. The system tolerates
  // minutes of that (its checks must fall within one 5-minute validation session); at 10 ms between
  // orders, 20,000 orders span 200 s.
  const gapMs = 10;
  const recording = generateRecording({
    orders,
    seed: 1,
    meanOrderGapMs: gapMs,
    startMs: Date.now() - orders * gapMs,
  });
  const orderIds = new Set<string>();
  const sequence: { topic: string; message: Message }[] = [];
  for (const record of recording.records) {
    const serdes = byName.get(record.topic)!;
    const message: Message = {
      key: record.key === undefined ? null : Buffer.from(serdes.keySerde.serialize(record.key)),
      value: Buffer.from(serdes.valueSerde.serialize(record.value)),
      timestamp: String(record.timestamp),
    };
    sequence.push({ topic: record.topic, message });
    if (record.topic === topics.orders.name) orderIds.add(record.key as string);
  }
  await createTopics(kafka, Object.fromEntries(Object.values(topics).map((t) => [t.name, 3])));

  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-bench-reference-'));
  const worker = WorkerProcess.start({
    name: 'reference system',
    topologies: topologyFiles,
    brokers,
    stateDir,
    flags: { guarantee: 'exactly-once' },
  });
  const decided = new Set<string>();
  let lastDecision = 0;
  const watcher = kafka.consumer({ groupId: unique('bench-orders'), maxWaitTimeInMs: 50 });
  try {
    await until(
      () => new Set(worker.lines('tasks assigned').map((l) => l.app)).size >= topologyFiles.length,
      'every application to be assigned its tasks',
      120_000,
    );
    await watcher.connect();
    await watcher.subscribe({ topics: [topics.orders.name], fromBeginning: true });
    await watcher.run({
      eachMessage: async ({ message }) => {
        const order = topics.orders.valueSerde.deserialize(message.value!);
        if ((order.state === 'VALIDATED' || order.state === 'FAILED') && !decided.has(order.id)) {
          decided.add(order.id);
          lastDecision = Date.now();
        }
      },
    });
    const started = Date.now();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // In recording order, a batch of consecutive records at a time (a batch may span topics).
    for (let at = 0; at < sequence.length; at += BATCH) {
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of sequence.slice(at, at + BATCH)) {
        if (!byTopic.has(topic)) byTopic.set(topic, []);
        byTopic.get(topic)!.push(message);
      }
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
        acks: -1,
      });
    }
    await producer.disconnect();
    // Until every order is decided, or nothing more is decided for 20 s (an order a check never
    // answered stays undecided; the rate counts the decided ones).
    let seen = -1;
    let quietSince = Date.now();
    while (decided.size < orderIds.size) {
      if (decided.size !== seen) [seen, quietSince] = [decided.size, Date.now()];
      if (Date.now() - quietSince > 20_000) break;
      if (!worker.running) throw new Error(`the reference system's worker exited\n${worker.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      orders: orderIds.size,
      decided: decided.size,
      ordersPerSecond: perSecond(decided.size, lastDecision - started),
    };
  } finally {
    await watcher.disconnect();
    await worker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
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
    `| restore of ${format(restore.records)} changelog records | ${format(restore.ms)} ms: ${format(restore.msPerMillion)} ms per million (${format(perSecond(restore.records, restore.ms))} records/s) |`,
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
    '- Exactly-once commits one transaction per task per commit interval, and the processing loop',
    '  waits for the commits: most of the difference in throughput.',
    '- Restore time: a worker with an empty state directory reads a changelog of distinct keys into',
    '  LevelDB, one task after another, from its first "restoring store" to its last "store restored".',
    '- The reference system row produces a generated recording (customers, stock, orders, payments;',
    '  scripts/orders/recording.ts) in one burst into one worker process running all seven',
    '  applications, and counts the orders the validations aggregator decided (VALIDATED or FAILED).',
    '  The recording spaces orders 10 ms apart: after a repartition, a burst delivers records of',
    '  different partitions out of timestamp order, and when a FRAUD_CHECK is stamped more than five',
    "  minutes after its order (fraud stamps a check with its customer session's end) the aggregator",
    '  never sees the three checks in one session and the order stays undecided. With orders a second',
    '  apart, about a quarter of 2,000 orders stayed undecided that way.',
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
  const restore = only.has('restore') ? await restoreRate(kafka, broker.brokers) : undefined;
  console.error('restore', restore);
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
