// Helpers of the Kafka benchmark (scripts/bench/kafka.ts): a broker, topics, producing and reading
// with kafkajs directly (the baseline measures the client without the product in between).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Consumer, Kafka, Message } from 'kafkajs';
import { pinnedKafkaVersion } from '../../test/support/kafka-version.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
/** Records per send: what the workers' producer sends at most at a time, too. */
export const BATCH = 1_000;

export interface Broker {
  readonly brokers: string;
  readonly version: string;
  stop(): Promise<void>;
}

export const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
export const perSecond = (count: number, ms: number) => Math.round((count * 1000) / Math.max(ms, 1));
export const format = (n: number) => n.toLocaleString('en');

export async function provideBroker(): Promise<Broker> {
  if (process.env.KAFKA_BROKERS)
    return { brokers: process.env.KAFKA_BROKERS, version: 'external', stop: async () => undefined };
  const env = {
    ...process.env,
    KAFKA_PORT: process.env.BENCH_KAFKA_PORT ?? '39592',
    KAFKA_CONTROLLER_PORT: process.env.BENCH_KAFKA_CONTROLLER_PORT ?? '39593',
    KAFKA_RUN_DIR: join(root, '.tools/run/kafka-bench'),
  };
  console.error('starting a broker for the benchmark (scripts/kafka/start.sh)...');
  const stdout = await startBroker(env);
  return {
    brokers: stdout.trim().split('\n').pop()!,
    version: process.env.KAFKA_VERSION ?? pinnedKafkaVersion(),
    stop: async () => void (await run('bash', [join(root, 'scripts/kafka/stop.sh')], { env })),
  };
}

/**
 * How long a start may be tried again while the port is still taken: the previous run's broker closed
 * its connections last, so its listening port lingers in TIME_WAIT for up to a minute and the next
 * broker cannot bind it ("Address already in use"), which failed every other run of a benchmark that
 * starts a broker per run.
 */
const PORT_RELEASE_WAIT_MS = 120_000;

async function startBroker(env: NodeJS.ProcessEnv): Promise<string> {
  const deadline = Date.now() + PORT_RELEASE_WAIT_MS;
  for (;;) {
    try {
      const { stdout } = await run('bash', [join(root, 'scripts/kafka/start.sh')], {
        env,
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      if (!String((error as Error).message).includes('Address already in use') || Date.now() > deadline)
        throw error;
      console.error('the broker port is still held by the previous run; trying again in 5 s...');
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  }
}

export async function createTopics(
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
    // A new KRaft topic can refuse requests for a moment after creation: wait for its leaders, and
    // for each leader to answer for its partitions (ListOffsets goes to the leader itself).
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: Object.keys(topics) });
        if (metadata.every((t) => t.partitions.every((p) => p.leader >= 0))) {
          for (const topic of Object.keys(topics)) await admin.fetchTopicOffsets(topic);
          return;
        }
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
export async function produce(kafka: Kafka, topic: string, messages: readonly Message[]): Promise<number> {
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
export async function reader(
  kafka: Kafka,
  topic: string,
  onMessages: (
    messages: readonly { key: Buffer | null; value: Buffer | null; timestamp: string }[],
    arrived: number,
  ) => void,
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
export async function until(condition: () => boolean, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
