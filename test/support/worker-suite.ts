import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { KafkaClient } from '../../src/kafka/connection.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from './kafka-kit.ts';
import { freeEndpoint, WorkerProcess, type WorkerProcessOptions } from './worker-process.ts';

/** What `start` needs: the broker is the suite's, and each worker gets a state directory of its own unless told. */
export type SuiteWorkerOptions = Omit<WorkerProcessOptions, 'brokers' | 'stateDir'> & {
  readonly stateDir?: string;
};

export interface WorkerSuite {
  /** Talks to the test broker (created before the file's first test). */
  readonly kit: KafkaKit;
  /** A new state directory, removed after the file's last test. */
  stateDir(): string;
  /** Starts a `tributary run` worker process on the test broker. */
  start(options: SuiteWorkerOptions): WorkerProcess;
  /** Starts one that also serves queries (`--http`) on a free local port. */
  startServing(options: SuiteWorkerOptions): Promise<WorkerProcess>;
}

/**
 * The set-up every test file with worker processes shares, as vitest hooks of the enclosing
 * `describe`: a KafkaKit, fresh state directories, and no worker outliving its test (`each`, the
 * default) or the file (`all`, for workers a file's tests share) — what is still running then is
 * killed, and the directories are removed at the end.
 */
export function useWorkerProcesses(
  prefix: string,
  options: { workersLive?: 'each' | 'all'; client?: KafkaClient } = {},
): WorkerSuite {
  let kit: KafkaKit | undefined;
  const started: WorkerProcess[] = [];
  const dirs: string[] = [];
  // Every worker's output is checked once it has gone: a Node.js warning or a log line with a key
  // twice fails the test that started it.
  const killAll = async () => {
    const workers = started.splice(0);
    await Promise.all(workers.map((w) => w.kill()));
    const problems = workers.flatMap((w) => w.problems.map((p) => `${w.name}: ${p}`));
    if (problems.length > 0) throw new Error(`workers printed what they should not:\n${problems.join('\n')}`);
  };

  beforeAll(() => {
    kit = new KafkaKit(kafkaBrokers(), undefined, undefined, options.client);
  });
  if ((options.workersLive ?? 'each') === 'each') afterEach(killAll);
  afterAll(async () => {
    try {
      await killAll();
    } finally {
      await kit?.close();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    }
  });

  const suite: WorkerSuite = {
    get kit() {
      if (!kit)
        throw new Error('the KafkaKit exists once the suite has started (use it inside tests and hooks)');
      return kit;
    },
    stateDir() {
      const dir = join(tmpdir(), uniqueName(prefix));
      dirs.push(dir);
      return dir;
    },
    start(workerOptions) {
      const worker = WorkerProcess.start({
        ...workerOptions,
        // The workers run on the suite's Kafka client (the `kafka-client` setting).
        env: { ...(options.client ? { KAFKA_CLIENT: options.client } : {}), ...workerOptions.env },
        brokers: kafkaBrokers(),
        stateDir: workerOptions.stateDir ?? suite.stateDir(),
      });
      started.push(worker);
      return worker;
    },
    async startServing(workerOptions) {
      return suite.start({ ...workerOptions, http: await freeEndpoint() });
    },
  };
  return suite;
}
