// The two engines of `npm run bench:jvm` behind one interface: Tributary's worker (`tributary run`,
// test/support/worker-process.ts) and the Kafka Streams implementation in scripts/bench/jvm/ (a JVM
// running the same applications). Each runs in a process of its own, measured from outside through
// /proc (scripts/bench/process-stats.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkerProcess } from '../../test/support/worker-process.ts';
import { root } from './kafka-kit.ts';
import { REFERENCE_TOPOLOGIES } from './kafka-reference.ts';
import { ProcessSampler } from './process-stats.ts';

const run = promisify(execFile);

export type Guarantee = 'at-least-once' | 'exactly-once';
export type EngineName = 'kafka-streams' | 'tributary';
export const ENGINES: readonly EngineName[] = ['kafka-streams', 'tributary'];

/** Kafka Streams' default commit intervals, which Tributary's defaults follow, given explicitly. */
export const COMMIT_INTERVAL_MS: Record<Guarantee, number> = {
  'at-least-once': 30_000,
  'exactly-once': 100,
};

const ORDERS_APPLICATIONS = REFERENCE_TOPOLOGIES.length;
const JVM_PROJECT = join(root, 'scripts/bench/jvm');

export interface WordCountTopics {
  readonly applicationId: string;
  readonly wordsTopic: string;
  readonly countsTopic: string;
}

export interface EngineOptions {
  /** The seven applications of the orders system, or the word count. */
  readonly what: 'orders' | 'word-count';
  readonly brokers: string;
  readonly guarantee: Guarantee;
  readonly stateDir: string;
  readonly wordCount?: WordCountTopics;
}

/** What an engine reported about restoring its stores: first start, last end, records restored. */
export interface RestoreReport {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly records: number;
}

export interface EngineProcess {
  readonly engine: EngineName;
  readonly pid: number;
  /** When the process was spawned. */
  readonly startedAt: number;
  readonly sampler: ProcessSampler;
  readonly running: boolean;
  /** Resolves with the time every application had its tasks (Kafka Streams: state RUNNING). */
  allRunning(timeoutMs?: number): Promise<number>;
  restore(): RestoreReport | undefined;
  /** The error an application stopped with, if one did. */
  failure(): string | undefined;
  /** A graceful stop (SIGTERM): commit, leave the groups. Resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | string>;
  tail(): string;
}

/** The Kafka Streams project, built with Maven against the broker's Kafka version; returns its classpath. */
export async function buildKafkaStreamsReference(kafkaVersion: string): Promise<string> {
  try {
    await run('mvn', ['-B', '-q', 'package', `-Dkafka.version=${kafkaVersion}`], {
      cwd: JVM_PROJECT,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`building scripts/bench/jvm with Maven failed:\n${stdout ?? ''}${stderr ?? ''}`, {
      cause: error,
    });
  }
  return `${join(JVM_PROJECT, 'target/classes')}:${join(JVM_PROJECT, 'target/lib/*')}`;
}

/** `java -version`'s first line, of the JDK the benchmark runs. */
export async function javaVersion(java: string): Promise<string> {
  const { stderr } = await run(java, ['-version']);
  return stderr.split('\n')[0]!.trim();
}

export function startEngine(
  engine: EngineName,
  options: EngineOptions,
  java: { bin: string; classpath: string },
): EngineProcess {
  return engine === 'tributary' ? startTributary(options) : startKafkaStreams(options, java);
}

function startTributary(options: EngineOptions): EngineProcess {
  const topologies = options.what === 'orders' ? REFERENCE_TOPOLOGIES : ['scripts/bench/word-count-app.ts'];
  const startedAt = Date.now();
  const worker = WorkerProcess.start({
    name: `tributary (${options.what}, ${options.guarantee})`,
    topologies,
    brokers: options.brokers,
    stateDir: options.stateDir,
    flags: {
      guarantee: options.guarantee,
      'commit-interval-ms': String(COMMIT_INTERVAL_MS[options.guarantee]),
      // Tributary's default, as Kafka Streams' (the test helper's own default is shorter).
      'session-timeout-ms': '45000',
    },
    env: {
      ...(options.wordCount
        ? {
            APPLICATION_ID: options.wordCount.applicationId,
            WORDS_TOPIC: options.wordCount.wordsTopic,
            COUNTS_TOPIC: options.wordCount.countsTopic,
          }
        : {}),
      // BENCH_TRIBUTARY_NODE_OPTIONS: more flags for the worker's Node (`--cpu-prof --cpu-prof-dir=...`).
      NODE_OPTIONS: `--disable-warning=TimeoutNegativeWarning ${process.env.BENCH_TRIBUTARY_NODE_OPTIONS ?? ''}`,
    },
  });
  const pid = worker.pid!;
  const sampler = new ProcessSampler(pid);
  return {
    engine: 'tributary',
    pid,
    startedAt,
    sampler,
    get running() {
      return worker.running;
    },
    allRunning: async (timeoutMs = 600_000) => {
      const apps = new Set<unknown>();
      const line = await worker.waitForLog(
        (l) => l.msg === 'tasks assigned' && apps.add(l.app).size >= topologies.length,
        { timeoutMs, what: 'every application assigned' },
      );
      return line.time;
    },
    restore: () => {
      const starts = worker.lines('restoring store');
      const ends = worker.lines('store restored');
      if (starts.length === 0 || ends.length === 0) return undefined;
      return {
        startedAt: starts[0]!.time,
        endedAt: ends.at(-1)!.time,
        records: ends.reduce((sum, l) => sum + Number(l.records), 0),
      };
    },
    failure: () => worker.logs.find((l) => l.msg.startsWith('application failed'))?.msg,
    stop: async (timeoutMs = 60_000) => {
      try {
        return await worker.stop(timeoutMs);
      } finally {
        sampler.stop();
      }
    },
    tail: () => worker.tail(),
  };
}

interface JvmEvent {
  readonly event: string;
  readonly app?: string;
  readonly time: number;
  readonly [field: string]: unknown;
}

function startKafkaStreams(options: EngineOptions, java: { bin: string; classpath: string }): EngineProcess {
  const args = [
    // BENCH_JAVA_OPTIONS: more JVM flags (a heap limit, a profiler agent); none by default.
    ...(process.env.BENCH_JAVA_OPTIONS ?? '').split(' ').filter(Boolean),
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    java.classpath,
    'tributary.bench.Main',
    options.what,
    '--brokers',
    options.brokers,
    '--guarantee',
    options.guarantee,
    '--state-dir',
    options.stateDir,
    ...(options.wordCount
      ? [
          '--application-id',
          options.wordCount.applicationId,
          '--words-topic',
          options.wordCount.wordsTopic,
          '--counts-topic',
          options.wordCount.countsTopic,
        ]
      : []),
  ];
  const startedAt = Date.now();
  const child: ChildProcess = spawn(java.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: JvmEvent[] = [];
  const other: string[] = [];
  let exit: number | string | undefined;
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve((exit = code ?? signal ?? 'unknown'))),
  );
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop()!;
      for (const part of parts) if (part.trim()) onLine(part);
    });
  };
  lines(child.stdout!, (line) => {
    try {
      events.push(JSON.parse(line) as JvmEvent);
    } catch {
      other.push(line);
    }
  });
  lines(child.stderr!, (line) => {
    other.push(line);
    if (other.length > 200) other.shift();
    if (process.env.TEST_LOG) process.stderr.write(`[kafka-streams] ${line}\n`);
  });
  const pid = child.pid!;
  const sampler = new ProcessSampler(pid);
  const applications = options.what === 'orders' ? ORDERS_APPLICATIONS : 1;
  const tail = () =>
    `---- last lines of kafka-streams (${options.what}, ${options.guarantee}) ----\n${[
      ...events.slice(-20).map((e) => JSON.stringify(e)),
      ...other.slice(-30),
    ].join('\n')}`;
  return {
    engine: 'kafka-streams',
    pid,
    startedAt,
    sampler,
    get running() {
      return exit === undefined;
    },
    allRunning: async (timeoutMs = 600_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const running = new Map<string, number>();
        for (const e of events)
          if (e.event === 'state' && e.state === 'RUNNING' && !running.has(e.app!))
            running.set(e.app!, e.time);
        if (running.size >= applications) return Math.max(...running.values());
        const error = events.find((e) => e.event === 'error');
        if (error || exit !== undefined || Date.now() > deadline)
          throw new Error(`Kafka Streams did not start every application\n${tail()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    restore: () => {
      const starts = events.filter((e) => e.event === 'restore-start');
      const ends = events.filter((e) => e.event === 'restore-end');
      if (starts.length === 0 || ends.length === 0) return undefined;
      return {
        startedAt: starts[0]!.time,
        endedAt: ends.at(-1)!.time,
        records: ends.reduce((sum, e) => sum + Number(e.records), 0),
      };
    },
    failure: () => {
      const error = events.find((e) => e.event === 'error');
      return error ? `${error.app}: ${String(error.message)}` : undefined;
    },
    stop: async (timeoutMs = 60_000) => {
      if (exit === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        const code = await exited;
        // The JVM exits with 143 (128 + SIGTERM) even when its shutdown hook closed everything.
        return events.some((e) => e.event === 'stopped') ? 0 : code;
      } finally {
        clearTimeout(timer);
        sampler.stop();
      }
    },
    tail,
  };
}
