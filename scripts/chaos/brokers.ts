// The Kafka a chaos experiment runs on, started afresh for each experiment (the orders system's topic
// names and application ids are fixed): one broker (scripts/kafka/start.sh) or the 3-node cluster
// (scripts/kafka/start-cluster.sh), with a way to SIGKILL a broker and start it again on its data.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const root = fileURLToPath(new URL('../..', import.meta.url));

export type Topology = 'single' | 'cluster';

export interface ChaosKafka {
  readonly topology: Topology;
  /** Bootstrap servers, comma separated. */
  readonly bootstrap: string;
  /** The broker a `broker-restart` fault kills next (nodes in turn on the cluster). */
  nextVictim(): number;
  /** SIGKILL one broker: no controlled shutdown, no leadership handed over. */
  kill(node: number): void;
  /** Starts a killed broker again on the data it had; resolves once it answers. */
  restart(node: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Ports: CHAOS_KAFKA_PORT (one broker, default 39730; its controller listens on the next port) and
 * CHAOS_CLUSTER_PORT (the cluster's first port, default 39720; it uses six from there).
 */
export async function startKafka(topology: Topology): Promise<ChaosKafka> {
  // Our ports lie in the range the kernel picks client ports from, so another process's connection can
  // hold one for a moment ("Address already in use"): a start that fails is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      return topology === 'single' ? await startSingle() : await startCluster();
    } catch (error) {
      if (attempt >= 3) throw error;
      console.error(`Kafka did not start (${(error as Error).message.split('\n')[0]}); trying again`);
    }
  }
}

async function script(name: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<string> {
  const { stdout } = await run('bash', [join(root, 'scripts/kafka', name), ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim().split('\n').pop()!;
}

function killPidFile(file: string): void {
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (pid > 0) process.kill(pid, 'SIGKILL');
}

async function startSingle(): Promise<ChaosKafka> {
  const port = Number(process.env.CHAOS_KAFKA_PORT ?? 39730);
  const runDir = join(root, `.tools/run/kafka-chaos-${port}`);
  const env = {
    KAFKA_RUN_DIR: runDir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
    // Topics are created up front with the partitions the experiment wants.
    KAFKA_AUTO_CREATE_TOPICS: 'false',
    // Workers and faults load the machine: a restart may take longer than start.sh's default.
    KAFKA_START_TIMEOUT: process.env.KAFKA_START_TIMEOUT ?? '300',
  };
  const bootstrap = await script('start.sh', env);
  return {
    topology: 'single',
    bootstrap,
    nextVictim: () => 1,
    kill: () => killPidFile(join(runDir, 'kafka.pid')),
    restart: async () => void (await script('start.sh', { ...env, KAFKA_KEEP_DATA: '1' })),
    stop: async () => void (await script('stop.sh', { ...env, KAFKA_DELETE_DATA: '1' })),
  };
}

async function startCluster(): Promise<ChaosKafka> {
  const port = process.env.CHAOS_CLUSTER_PORT ?? '39720';
  const dir = join(root, `.tools/run/kafka-cluster-chaos-${port}`);
  const env = {
    KAFKA_CLUSTER_DIR: dir,
    KAFKA_CLUSTER_PORT: port,
    KAFKA_CLUSTER_EXTRA_PROPERTIES: 'auto.create.topics.enable=false',
  };
  const bootstrap = await script('start-cluster.sh', env);
  let victim = 0;
  return {
    topology: 'cluster',
    bootstrap,
    nextVictim: () => (victim++ % 3) + 1,
    kill: (node) => killPidFile(join(dir, `node-${node}`, 'kafka.pid')),
    restart: async (node) => void (await script('start-cluster.sh', env, [String(node)])),
    stop: async () => void (await script('stop-cluster.sh', { ...env, KAFKA_DELETE_DATA: '1' })),
  };
}

/**
 * Makes the new Kafka create and load its internal topics (consumer offsets, transaction state) before
 * the workers start: a throwaway group joins and a transactional producer commits once, retried until
 * they do. Workers then start on a Kafka that has been running, rather than all racing its first
 * coordinator requests.
 */
export async function warmUp(bootstrap: string, topic: string, timeoutMs = 300_000): Promise<void> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({
    clientId: 'chaos-warm-up',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const consumer = kafka.consumer({ groupId: 'chaos-warm-up' });
    const producer = kafka.producer({
      transactionalId: 'chaos-warm-up',
      maxInFlightRequests: 1,
      idempotent: true,
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({ eachMessage: async () => undefined });
      await Promise.race([
        joined,
        new Promise((_, reject) => setTimeout(() => reject(new Error('no group join within 60 s')), 60_000)),
      ]);
      await producer.connect();
      const transaction = await producer.transaction();
      await transaction.commit();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    }
  }
}
