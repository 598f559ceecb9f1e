// One chaos experiment: the orders system as worker processes on a fresh Kafka (one broker or the
// 3-node cluster), a generated order-independent recording fed over a given time while faults are
// applied, then what Kafka committed, read by Kafka's Java consumer and by Tributary's, judged against
// `tributary replay` of the same recording.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { replay, type ReplayRecord } from 'tributary/testing';
import { kafkaEventLog } from '../../src/kafka/kafkajs/event-log.ts';
import type { AdminPort, EventLogPort, LogRecord, PartitionReaderPort } from '../../src/kafka/port.ts';
import { silentLogger } from '../../src/common/logger.ts';
import type { ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { loadOrderApps } from '../orders/apps.ts';
import { orderIndependentRecording } from '../orders/order-independent.ts';
import { root, startKafka, warmUp, type Topology } from './brokers.ts';
import { readWithJava, readWithTributary, type CommittedRecord } from './committed.ts';
import { asFed } from './as-fed.ts';
import { apply, POISON_KEY_PREFIX, type Fault } from './faults.ts';
import { encode, Feeder } from './feeder.ts';
import {
  comparison,
  decidedByOracle,
  expectedOutputs,
  judge,
  OUTPUT_TOPICS,
  type Verdict,
} from './verdict.ts';
import { ORDERS_TOPOLOGIES, WorkerPool } from './workers.ts';
import { toOffset } from '../../src/common/offset.ts';

export interface ExperimentOptions {
  readonly topology: Topology;
  readonly guarantee: ProcessingGuarantee;
  readonly orders: number;
  /** How long the recording is fed; the faults are spread evenly over this time. */
  readonly feedMs: number;
  readonly faults: readonly Fault[];
  readonly workers?: number;
  readonly seed?: number;
  /** How long the system may take after the feed to decide every order the oracle decides. */
  readonly settleMs?: number;
  readonly log?: (line: string) => void;
}

export interface FaultOutcome {
  readonly fault: Fault;
  readonly detail: string;
  /** Orders (of those the oracle decides) fed before the fault was over and not decided when it began. */
  readonly inFlight: number;
  /** From the fault to the moment all those were decided; null: never. */
  readonly recoveryMs: number | null;
}

export interface ExperimentResult {
  readonly options: Omit<ExperimentOptions, 'log'>;
  readonly ordersIn: number;
  /** Orders the oracle decides. */
  readonly expectedDecided: number;
  readonly java: Verdict;
  readonly tributary: Verdict;
  /** Both readers returned the same records. */
  readonly readersAgree: boolean;
  readonly faults: readonly FaultOutcome[];
  readonly restores: { full: number; tail: number };
  /** Dead letters per dead-letter topic, and how many poison records were fed. */
  readonly deadLetters: Readonly<Record<string, number>>;
  readonly poisonFed: number;
  readonly unplannedExits: readonly string[];
  /** Why a reader could not read what was committed (its verdict then counts everything as lost). */
  readonly readFailures: readonly string[];
  readonly resentSlices: number;
  /** Input records in their topics more often than recorded (a slice sent again that had been written); the oracle has them too. */
  readonly inputFedTwice: number;
  /** The fewest replicas any partition of any topic has (3 on the cluster, changelogs included). */
  readonly replicas: number;
  readonly durationMs: number;
}

const PARTITIONS = 3;
/** How long the next fault waits at most for the system to recover from the previous one. */
const RECOVERY_WAIT_MS = 180_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The product's default commit intervals (Kafka Streams' defaults). */
const COMMIT_INTERVAL_MS: Record<ProcessingGuarantee, number> = {
  'exactly-once': 100,
  'at-least-once': 30_000,
};

export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const workerCount = options.workers ?? 3;
  // Timestamps in the past (the broker keeps them), over at most half an hour of orders: the
  // applications' windows take an hour of grace, so no partition is ever too far ahead of another.
  const gapMs = Math.min(20_000, Math.floor(1_800_000 / options.orders));
  const startMs = Date.now() - options.orders * gapMs - 45 * 60_000;
  const recording = orderIndependentRecording({
    orders: options.orders,
    seed: options.seed ?? 7,
    startMs,
    meanOrderGapMs: gapMs,
  });
  const apps = await loadOrderApps();
  const oracle = await replay({ apps, input: recording, partitions: PARTITIONS });
  let entry = comparison(oracle.records);
  let expected = expectedOutputs(oracle.records, entry);
  const mustDecide = decidedByOracle(oracle.records);
  const orderIds = recording.map((r) => (r.topic === topics.orders.name ? String(r.key) : undefined));
  log(
    `oracle: ${recording.length} records in, ${oracle.records.length} out, ${mustDecide.size} orders decided`,
  );

  const kafka = await startKafka(options.topology);
  const dir = join(
    root,
    '.tools/run/chaos',
    `${options.topology}-${options.guarantee}-${kafka.bootstrap.split(':').at(-1)}`,
  );
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const eventLog = kafkaEventLog({
    brokers: kafka.bootstrap.split(','),
    clientId: 'chaos',
    logger: silentLogger,
  });
  const admin = eventLog.admin();
  const workers = new WorkerPool(workerCount, {
    brokers: kafka.bootstrap,
    dir,
    flags: {
      guarantee: options.guarantee,
      'commit-interval-ms': String(COMMIT_INTERVAL_MS[options.guarantee]),
      'session-timeout-ms': '10000',
      'on-deserialization-error': 'dead-letter',
    },
  });
  const decidedAt = new Map<string, number>();
  const watcher = new DecisionWatcher(eventLog, decidedAt, log);
  const producer = eventLog.producer({});
  try {
    await admin.createTopics(
      Object.values(topics).map((t) => ({ topic: t.name, partitions: PARTITIONS, config: {} })),
    );
    await warmUp(kafka.bootstrap, topics.orders.name);
    for (let i = 0; i < workerCount; i++) workers.start(i);
    await workers.waitUntilAssigned(600_000);
    log(`${workerCount} workers running ${ORDERS_TOPOLOGIES.length} applications`);

    await watcher.start();

    // The stock goes in first, and the orders only once the inventory has committed having read all
    // of it: live, the stock table's partition and the re-keyed orders are fetched independently, so
    // an order fed right behind its stock row can still reach the join first and find no stock, as in
    // Kafka Streams (at max.task.idle.ms 0 a task does not wait for a partition whose last fetch found
    // it caught up, though a record may have reached it since). `replay` always has the stock first;
    // a live run must too for the oracle to hold.
    const isStock = (r: (typeof recording)[number]) => r.topic === topics.warehouseInventory.name;
    await producer.send(recording.filter(isStock).map((r) => encode(r, PARTITIONS)));
    await untilConsumed(admin, 'inventory', topics.warehouseInventory.name, 300_000);
    log('stock fed and read by the inventory');
    const feeder = new Feeder(
      producer,
      recording.filter((r) => !isStock(r)).map((r) => encode(r, PARTITIONS)),
      orderIds.filter((_id, i) => !isStock(recording[i]!)),
    );
    let poisonFed = 0;
    const sendPoison = async (count: number) => {
      const records = Array.from({ length: count }, (_, i) => {
        const key = new TextEncoder().encode(`${POISON_KEY_PREFIX}${poisonFed + i}`);
        return {
          topic: topics.orders.name,
          partition: (poisonFed + i) % PARTITIONS,
          key,
          value: new Uint8Array([0xff, 0xfe, 0x00, 0x01]),
          timestamp: Date.now(),
          headers: {},
        };
      });
      await producer.send(records);
      poisonFed += count;
    };
    const feedStarted = Date.now();
    const feeding = feeder.run(options.feedMs);
    const outcomes: { fault: Fault; at: number; end: number; detail: string }[] = [];
    const faultsDone = (async () => {
      for (const [i, fault] of options.faults.entries()) {
        const due = feedStarted + ((i + 1) * options.feedMs) / (options.faults.length + 1);
        await sleep(Math.max(0, due - Date.now()));
        const at = Date.now();
        log(`fault ${i + 1}/${options.faults.length}: ${fault}`);
        const detail = await apply(fault, { kafka, workers, feeder, sendPoison }).catch(
          (error: Error) => `failed: ${error.message.split('\n')[0]}`,
        );
        const end = Date.now();
        outcomes.push({ fault, at, end, detail });
        // The next fault comes once this one is recovered from (or after RECOVERY_WAIT_MS), so that
        // each recovery time is that of one fault.
        const deadline = end + RECOVERY_WAIT_MS;
        while (
          recoveryAfter(at, end, mustDecide, feeder.fedAt, decidedAt).ms === null &&
          Date.now() < deadline
        )
          await sleep(500);
      }
    })();
    await Promise.all([feeding, faultsDone]);
    log(`fed ${recording.length} records (${feeder.resent} slices sent again); waiting for the decisions`);

    // Until every order state and email the oracle writes has been seen, or nothing new is seen for
    // settleMs; then a graceful stop commits the rest.
    const settleMs = options.settleMs ?? 120_000;
    const mustSee = outcomesOf(oracle.records);
    let seen = -1;
    let quietSince = Date.now();
    while ([...mustSee].some((outcome) => !watcher.seen.has(outcome))) {
      if (watcher.seen.size !== seen) [seen, quietSince] = [watcher.seen.size, Date.now()];
      if (Date.now() - quietSince > settleMs) break;
      await sleep(500);
    }
    await workers.close();
    await watcher.stop();

    // Each application's dead-letter topic: `<application id>-dlq`, the id being the file's name.
    const deadLetterTopics = apps.map((app) => `${app.applicationId}-dlq`);
    const readTopics = [...OUTPUT_TOPICS, ...deadLetterTopics];
    // A reader that fails (a broker that never came back) leaves its side empty and says why.
    const readFailures: string[] = [];
    const read = (who: string, reading: Promise<CommittedRecord[]>) =>
      reading.catch((error: Error) => {
        readFailures.push(`${who}: ${error.message.split('\n').slice(0, 3).join(' ')}`);
        return [] as CommittedRecord[];
      });
    const javaRecords = await read("Kafka's Java consumer", readWithJava(kafka.bootstrap, readTopics));
    const ourRecords = await read("Tributary's consumer", readWithTributary(kafka.bootstrap, readTopics));
    const deadLetters: Record<string, number> = {};
    for (const r of javaRecords)
      if (deadLetterTopics.includes(r.topic)) deadLetters[r.topic] = (deadLetters[r.topic] ?? 0) + 1;
    // A slice the feeder sent again may be in its topics twice: then the oracle is `replay` of the
    // input as it was fed, so that what the system rightly did with both copies is not counted against it.
    let inputFedTwice = 0;
    if (feeder.resent > 0) {
      const inputTopics = [...new Set(recording.map((r) => r.topic))];
      const fed = asFed(
        recording,
        recording.map((r) => encode(r, PARTITIONS)),
        await read("Kafka's Java consumer", readWithJava(kafka.bootstrap, inputTopics)),
      );
      inputFedTwice = fed.extra;
      if (fed.extra > 0) {
        log(`${fed.extra} input records were fed twice: the oracle replays them so`);
        const asFedOracle = await replay({ apps, input: fed.records, partitions: PARTITIONS });
        entry = comparison(asFedOracle.records);
        expected = expectedOutputs(asFedOracle.records, entry);
      }
    }
    const metadataReplicas = await replicasOf(kafka.bootstrap).catch(() => 0);
    const faults = outcomes.map(({ fault, at, end, detail }) => {
      const { ms, inFlight } = recoveryAfter(at, end, mustDecide, feeder.fedAt, decidedAt);
      return { fault, detail, inFlight, recoveryMs: ms };
    });
    return {
      options: { ...options, log: undefined } as Omit<ExperimentOptions, 'log'>,
      ordersIn: new Set(orderIds.filter((id) => id !== undefined)).size,
      expectedDecided: mustDecide.size,
      java: judge(expected, javaRecords, POISON_KEY_PREFIX, entry),
      tributary: judge(expected, ourRecords, POISON_KEY_PREFIX, entry),
      readersAgree: sameRecords(javaRecords, ourRecords),
      faults,
      restores: workers.restores(),
      deadLetters,
      poisonFed,
      unplannedExits: workers.unplannedExits,
      readFailures,
      resentSlices: feeder.resent,
      inputFedTwice,
      replicas: metadataReplicas,
      durationMs: Date.now() - started,
    };
  } finally {
    await workers.close().catch(() => undefined);
    // Kept when the experiment ended early too: the logs are what tells why.
    workers.saveLogs(`${dir}-logs`);
    await watcher.stop().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
    // CHAOS_KEEP_KAFKA leaves the broker running on its data, to read what was committed by hand
    // (scripts/kafka/stop.sh stops it).
    if (process.env.CHAOS_KEEP_KAFKA) log(`Kafka left running at ${kafka.bootstrap}`);
    else await kafka.stop();
    if (!process.env.CHAOS_KEEP_STATE) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Notes when each order is first decided (VALIDATED or FAILED), reading `orders` with Tributary's
 * read_committed consumer as the run goes; a reader that fails (the broker went away) is replaced.
 */
class DecisionWatcher {
  private reader: PartitionReaderPort | undefined;
  private stopped = false;
  private readonly eventLog: EventLogPort;
  private readonly decidedAt: Map<string, number>;
  /** Order states and emails seen (`o-1 CONFIRMED`, `email o-1`). */
  readonly seen = new Set<string>();
  private readonly log: (line: string) => void;

  constructor(eventLog: EventLogPort, decidedAt: Map<string, number>, log: (line: string) => void) {
    this.eventLog = eventLog;
    this.decidedAt = decidedAt;
    this.log = log;
  }

  async start(): Promise<void> {
    const watched = [topics.orders.name, topics.emails.name];
    const reader = this.eventLog.partitionReader({
      readCommitted: true,
      topics: watched,
      clientId: 'chaos-watcher',
    });
    this.reader = reader;
    await reader.start(
      (batch) => this.note(batch.topic, batch.records),
      (error) => {
        if (this.stopped) return;
        this.log(`watcher failed (${error.message.split('\n')[0]}); reading again`);
        setTimeout(() => void this.start().catch((e: Error) => this.log(`watcher: ${e.message}`)), 2_000);
      },
    );
    for (const topic of watched)
      for (let partition = 0; partition < PARTITIONS; partition++)
        await reader.assign({ topic, partition, offset: toOffset(0) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reader?.stop();
  }

  private note(topic: string, records: readonly LogRecord[]): void {
    const now = Date.now();
    for (const r of records) {
      try {
        if (topic === topics.emails.name) {
          this.seen.add(`email ${topics.emails.keySerde.deserialize(r.key!)}`);
          continue;
        }
        const order = topics.orders.valueSerde.deserialize(r.value!) as Order;
        this.seen.add(`${order.id} ${order.state}`);
        if ((order.state === 'VALIDATED' || order.state === 'FAILED') && !this.decidedAt.has(order.id))
          this.decidedAt.set(order.id, now);
      } catch {
        // a poison record
      }
    }
  }
}

/** What the watcher must see before a run is over: each order state and each email the oracle writes. */
function outcomesOf(oracle: readonly ReplayRecord[]): Set<string> {
  const outcomes = new Set<string>();
  for (const r of oracle) {
    if (r.topic === topics.emails.name) outcomes.add(`email ${String(r.key)}`);
    if (r.topic === topics.orders.name) outcomes.add(`${String(r.key)} ${(r.value as Order).state}`);
  }
  return outcomes;
}

/**
 * The time from a fault (`at`) to the moment the last order fed before it was over (`end`: the worker
 * started again, the broker back) was decided, among the orders the oracle decides; null while one of
 * them is not.
 */
function recoveryAfter(
  at: number,
  end: number,
  mustDecide: ReadonlySet<string>,
  fedAt: ReadonlyMap<string, number>,
  decidedAt: ReadonlyMap<string, number>,
): { ms: number | null; inFlight: number } {
  let last = at;
  let inFlight = 0;
  let never = false;
  for (const id of mustDecide) {
    const fed = fedAt.get(id);
    if (fed === undefined || fed > end) continue;
    const decided = decidedAt.get(id);
    if (decided !== undefined && decided <= at) continue;
    inFlight++;
    if (decided === undefined) never = true;
    else last = Math.max(last, decided);
  }
  return { ms: never ? null : last - at, inFlight };
}

/** Waits until the group has committed offsets at the end of every partition of the topic. */
async function untilConsumed(
  admin: AdminPort,
  groupId: string,
  topic: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ends = await admin.offsets(topic);
    const committed = await admin.committedOffsets(groupId, topic);
    if (
      [...ends].every(
        ([partition, range]) => BigInt(committed.get(partition)?.offset ?? '0') >= BigInt(range.high),
      )
    )
      return;
    if (Date.now() > deadline)
      throw new Error(`${groupId} did not read all of ${topic} within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

function sameRecords(a: readonly CommittedRecord[], b: readonly CommittedRecord[]): boolean {
  const text = (records: readonly CommittedRecord[]) =>
    records
      .map(
        (r) =>
          `${r.topic}/${r.partition}@${r.offset} ${Buffer.from(r.key ?? []).toString('hex')} ${Buffer.from(r.value ?? []).toString('hex')}`,
      )
      .sort()
      .join('\n');
  return text(a) === text(b);
}

async function replicasOf(bootstrap: string): Promise<number> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics: metadata } = await admin.fetchTopicMetadata();
    return Math.min(...metadata.flatMap((t) => t.partitions.map((p) => p.replicas.length)));
  } finally {
    await admin.disconnect();
  }
}
