// The cases of `npm run bench:jvm` (scripts/bench/jvm.ts): each runs one engine on a broker of its
// own, started afresh, and measures it from outside (its CPU time and peak RSS from /proc, its output
// from the topics).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { Serdes } from '../../src/index.ts';
import {
  startEngine,
  type EngineName,
  type EngineOptions,
  type EngineProcess,
  type Guarantee,
} from './jvm-engines.ts';
import { OutcomeWatcher, type OrdersOutcome } from './jvm-outcome.ts';
import { createTopics, produce, provideBroker, reader, unique, until } from './kafka-kit.ts';
import { produceInOrder, referenceRecording } from './kafka-reference.ts';

export interface JavaRuntime {
  readonly bin: string;
  readonly classpath: string;
}

/** What every run reports, whatever its case. */
export interface RunBase {
  readonly engine: EngineName;
  /** Load average (1 min) when the run started and ended. */
  readonly loadBefore: number;
  readonly loadAfter: number;
  /** The process's whole CPU time and peak RSS (VmHWM) over the run. */
  readonly cpuMs: number;
  readonly peakRssMiB: number;
  /** From spawning the process to every application having its tasks. */
  readonly startMs: number;
  readonly exit: number | string;
  readonly failure?: string;
}

const WORD_PARTITIONS = 4;
const DISTINCT_WORDS = 1_000;
/** How long without a new decision ends a catch-up that left orders undecided. */
const QUIET_MS = 45_000;
/** After the last decision, how long the output topics must stay quiet before the final states are read. */
const SETTLE_MS = 10_000;

const load1 = () => Math.round(loadavg()[0]! * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh broker, a client, a state directory and an engine, cleaned up whatever happens. */
async function withBroker<T>(
  body: (kafka: Kafka, brokers: string, stateDir: string) => Promise<T>,
): Promise<T> {
  const broker = await provideBroker();
  const kafka = new Kafka({ clientId: 'bench-jvm', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-bench-jvm-'));
  try {
    return await body(kafka, broker.brokers, stateDir);
  } finally {
    await broker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function finish(
  engine: EngineProcess,
  loadBefore: number,
  runningAt: number,
): Promise<Omit<RunBase, 'engine'>> {
  const exit = engine.running ? await engine.stop() : await engine.stop(1_000);
  const last = engine.sampler.last;
  return {
    loadBefore,
    loadAfter: load1(),
    cpuMs: last.cpuMs,
    peakRssMiB: last.peakRssMiB,
    startMs: runningAt - engine.startedAt,
    exit,
    ...(engine.failure() ? { failure: engine.failure() } : {}),
  };
}

// ── Orders catch-up ──────────────────────────────────────────────────────────────────────────────

export interface Recording {
  readonly sequence: { topic: string; message: Message }[];
  readonly orderIds: Set<string>;
}

/** The generated recording of the catch-up (seed 1, orders 10 ms apart), made once per size. */
export const recordingOf = (orders: number): Promise<Recording> => referenceRecording(orders);

export interface CatchUpRun extends RunBase {
  readonly orders: number;
  readonly decided: number;
  /** From spawning the process to its last decision. */
  readonly catchUpMs: number;
  readonly ordersPerSecond: number;
  /** CPU time from spawning the process to its last decision, per order decided. */
  readonly cpuMsPerOrder: number;
  readonly outcome: OrdersOutcome;
}

export async function catchUp(
  engine: EngineName,
  guarantee: Guarantee,
  recording: Recording,
  java: JavaRuntime,
): Promise<CatchUpRun> {
  return withBroker(async (kafka, brokers, stateDir) => {
    const { topics } = await import('../../schemas/topics.ts');
    await createTopics(kafka, Object.fromEntries(Object.values(topics).map((t) => [t.name, 3])));
    await produceInOrder(kafka, recording.sequence);
    const watcher = await OutcomeWatcher.start(kafka);
    const loadBefore = load1();
    const proc = startEngine(engine, { what: 'orders', brokers, guarantee, stateDir }, java);
    try {
      const runningAt = await proc.allRunning();
      let seen = 0;
      let quietSince = Date.now();
      while (watcher.decidedAt.size < recording.orderIds.size && proc.running) {
        if (watcher.decidedAt.size !== seen) [seen, quietSince] = [watcher.decidedAt.size, Date.now()];
        if (seen > 0 && Date.now() - quietSince > QUIET_MS) break;
        await sleep(200);
      }
      const lastDecision = watcher.lastDecisionAt;
      const decided = watcher.decidedAt.size;
      // What the engine writes after the decisions (confirmations, emails) before its final state is read.
      const settleBy = Date.now() + 120_000;
      while (proc.running && Date.now() - watcher.lastOutputAt < SETTLE_MS && Date.now() < settleBy)
        await sleep(200);
      const cpuAtLastDecision = proc.sampler.at(lastDecision).cpuMs;
      const base = await finish(proc, loadBefore, runningAt);
      // A graceful stop commits: give what it wrote a moment to arrive.
      await sleep(2_000);
      const catchUpMs = lastDecision - proc.startedAt;
      return {
        engine,
        ...base,
        orders: recording.orderIds.size,
        decided,
        catchUpMs,
        ordersPerSecond: Math.round((decided * 1000) / Math.max(catchUpMs, 1)),
        cpuMsPerOrder: Math.round((cpuAtLastDecision / Math.max(decided, 1)) * 100) / 100,
        outcome: watcher.outcome(),
      };
    } finally {
      if (proc.running) await proc.stop();
      await watcher.stop();
    }
  });
}

// ── Word count ───────────────────────────────────────────────────────────────────────────────────

export interface WordCountRun extends RunBase {
  readonly records: number;
  /** From spawning the process to the last final count on the output topic. */
  readonly totalMs: number;
  readonly recordsPerSecond: number;
  /** CPU time from spawning the process to the last final count, per input record. */
  readonly cpuUsPerRecord: number;
  /** Records written to the counts topic (every update of a count is one). */
  readonly outputs: number;
}

function wordCountTopics() {
  return {
    applicationId: unique('bench-wc'),
    wordsTopic: unique('bench-words'),
    countsTopic: unique('bench-counts'),
  };
}

export async function wordCount(
  engine: EngineName,
  guarantee: Guarantee,
  records: number,
  java: JavaRuntime,
): Promise<WordCountRun> {
  if (records % DISTINCT_WORDS !== 0)
    throw new Error(`word count: ${records} is not a multiple of ${DISTINCT_WORDS}`);
  return withBroker(async (kafka, brokers, stateDir) => {
    const names = wordCountTopics();
    await createTopics(kafka, { [names.wordsTopic]: WORD_PARTITIONS, [names.countsTopic]: WORD_PARTITIONS });
    await produce(
      kafka,
      names.wordsTopic,
      Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: `w${i % DISTINCT_WORDS}` })),
    );
    const final = records / DISTINCT_WORDS;
    const long = Serdes.Long();
    const complete = new Set<string>();
    let outputs = 0;
    let doneAt = 0;
    const counts = await reader(kafka, names.countsTopic, (batch, arrived) => {
      outputs += batch.length;
      for (const m of batch)
        if (long.deserialize(m.value as unknown as Uint8Array) === final) complete.add(m.key!.toString());
      if (complete.size === DISTINCT_WORDS && doneAt === 0) doneAt = arrived;
    });
    const loadBefore = load1();
    const options: EngineOptions = { what: 'word-count', brokers, guarantee, stateDir, wordCount: names };
    const proc = startEngine(engine, options, java);
    try {
      const runningAt = await proc.allRunning();
      await until(() => doneAt > 0 || !proc.running, `the final counts (${engine}, ${guarantee})`, 1_800_000);
      if (doneAt === 0) throw new Error(`${engine} stopped before the final counts\n${proc.tail()}`);
      const cpuAtDone = proc.sampler.at(doneAt).cpuMs;
      const base = await finish(proc, loadBefore, runningAt);
      const totalMs = doneAt - proc.startedAt;
      return {
        engine,
        ...base,
        records,
        totalMs,
        recordsPerSecond: Math.round((records * 1000) / totalMs),
        cpuUsPerRecord: Math.round(((cpuAtDone * 1000) / records) * 10) / 10,
        outputs,
      };
    } finally {
      if (proc.running) await proc.stop();
      await counts.stop();
    }
  });
}

// ── Latency at a steady rate ─────────────────────────────────────────────────────────────────────

export interface LatencyRun extends RunBase {
  readonly rate: number;
  /** Orders measured: those placed after the warm-up. */
  readonly measured: number;
  readonly undecided: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Orders (with their customers, stock and payments: the generated recording) produced at their own
 * time, `rate` orders per second on average, into the running system; latency runs from the moment an
 * order is sent to the moment its decision (VALIDATED or FAILED) arrives at a read_committed consumer.
 */
export async function latency(
  engine: EngineName,
  guarantee: Guarantee,
  rate: number,
  seconds: { warmUp: number; measured: number },
  java: JavaRuntime,
): Promise<LatencyRun> {
  return withBroker(async (kafka, brokers, stateDir) => {
    const { topics } = await import('../../schemas/topics.ts');
    await createTopics(kafka, Object.fromEntries(Object.values(topics).map((t) => [t.name, 3])));
    const watcher = await OutcomeWatcher.start(kafka);
    const loadBefore = load1();
    const proc = startEngine(engine, { what: 'orders', brokers, guarantee, stateDir }, java);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      const runningAt = await proc.allRunning();
      await producer.connect();
      // The generator's first order comes 5 minutes after its start: start 5 minutes back, so the
      // first order is due a second from now (customers and stock are due at once).
      const firstOrderAt = Date.now() + 1_000;
      const { sequence } = await referenceRecording(Math.round(rate * (seconds.warmUp + seconds.measured)), {
        meanOrderGapMs: 1000 / rate,
        startMs: firstOrderAt - 5 * 60_000,
      });
      const timeOf = (at: number) => Number(sequence[at]!.message.timestamp);
      const lastOrderAt = Math.max(
        ...sequence.filter((r) => r.topic === topics.orders.name).map((r) => Number(r.message.timestamp)),
      );
      const measuredFrom = firstOrderAt + seconds.warmUp * 1000;
      const sentAt = new Map<string, number>();
      const placedAt = new Map<string, number>();
      for (let next = 0; next < sequence.length && timeOf(next) <= lastOrderAt;) {
        const now = Date.now();
        const batch = new Map<string, Message[]>();
        for (; next < sequence.length && timeOf(next) <= Math.min(now, lastOrderAt); next++) {
          const { topic, message } = sequence[next]!;
          const list = batch.get(topic) ?? [];
          list.push(message);
          batch.set(topic, list);
          const id = message.key!.toString();
          if (topic === topics.orders.name && !sentAt.has(id)) {
            sentAt.set(id, now);
            placedAt.set(id, timeOf(next));
          }
        }
        if (batch.size > 0)
          await producer.sendBatch({
            topicMessages: [...batch].map(([topic, messages]) => ({ topic, messages })),
            acks: -1,
          });
        else if (next < sequence.length) await sleep(Math.min(5, Math.max(0, timeOf(next) - Date.now())));
      }
      const measured = [...sentAt.keys()].filter((id) => placedAt.get(id)! >= measuredFrom);
      let seen = -1;
      let quietSince = Date.now();
      while (measured.some((id) => !watcher.decidedAt.has(id)) && proc.running) {
        if (watcher.decidedAt.size !== seen) [seen, quietSince] = [watcher.decidedAt.size, Date.now()];
        if (Date.now() - quietSince > 30_000) break;
        await sleep(100);
      }
      const latencies = measured
        .filter((id) => watcher.decidedAt.has(id))
        .map((id) => watcher.decidedAt.get(id)! - sentAt.get(id)!)
        .sort((a, b) => a - b);
      const base = await finish(proc, loadBefore, runningAt);
      return {
        engine,
        ...base,
        rate,
        measured: measured.length,
        undecided: measured.length - latencies.length,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies.at(-1) ?? NaN,
      };
    } finally {
      await producer.disconnect().catch(() => undefined);
      if (proc.running) await proc.stop();
      await watcher.stop();
    }
  });
}

// ── Restore ──────────────────────────────────────────────────────────────────────────────────────

export interface RestoreRun extends RunBase {
  readonly records: number;
  /** From the first store's restore start to the last one's end, as the engine reports them. */
  readonly restoreMs: number;
  readonly recordsPerSecond: number;
}

/**
 * The word count's store restored from a changelog of `records` distinct words written beforehand
 * (8-byte counts, as both engines write them), by an engine with no local state.
 */
export async function restore(engine: EngineName, records: number, java: JavaRuntime): Promise<RestoreRun> {
  return withBroker(async (kafka, brokers, stateDir) => {
    const names = wordCountTopics();
    await createTopics(kafka, { [names.wordsTopic]: WORD_PARTITIONS, [names.countsTopic]: WORD_PARTITIONS });
    const changelog = `${names.applicationId}-word-counts-changelog`;
    await createTopics(kafka, { [changelog]: WORD_PARTITIONS }, { 'cleanup.policy': 'compact' });
    const count = Buffer.from(Serdes.Long().serialize(1));
    await produce(
      kafka,
      changelog,
      Array.from({ length: records }, (_, i) => ({
        key: `word-${i}`,
        value: count,
        partition: i % WORD_PARTITIONS,
      })),
    );
    const loadBefore = load1();
    const options: EngineOptions = {
      what: 'word-count',
      brokers,
      guarantee: 'at-least-once',
      stateDir,
      wordCount: names,
    };
    const proc = startEngine(engine, options, java);
    try {
      const runningAt = await proc.allRunning();
      await until(
        () => (proc.restore()?.records ?? 0) >= records || !proc.running,
        `the restore of ${records} records (${engine})`,
      );
      const report = proc.restore();
      if (!report || report.records !== records)
        throw new Error(`${engine} restored ${report?.records ?? 0} of ${records} records\n${proc.tail()}`);
      const base = await finish(proc, loadBefore, runningAt);
      const restoreMs = report.endedAt - report.startedAt;
      return {
        engine,
        ...base,
        records,
        restoreMs,
        recordsPerSecond: Math.round((records * 1000) / Math.max(restoreMs, 1)),
      };
    } finally {
      if (proc.running) await proc.stop();
    }
  });
}
