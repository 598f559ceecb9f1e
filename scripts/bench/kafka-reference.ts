// The reference orders system on Kafka, for the Kafka benchmark (scripts/bench/kafka.ts): a generated
// recording through all seven applications in one worker process.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Message } from 'kafkajs';
import type { Serde } from '../../src/index.ts';
import { WorkerProcess } from '../../test/support/worker-process.ts';
import { BATCH, createTopics, perSecond, root, unique, until } from './kafka-kit.ts';

/** The reference system's applications. */
export const REFERENCE_TOPOLOGIES = [
  'order-details',
  'inventory',
  'fraud',
  'validations-aggregator',
  'payments',
  'emails',
  'orders-view',
].map((app) => `topologies/${app}.ts`);

export interface ReferenceResult {
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
  const { sequence, orderIds } = await referenceRecording(orders);
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
    await produceInOrder(kafka, sequence);
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

/**
 * The generated recording of `orders` orders (customers, stock, orders, payments;
 * scripts/orders/recording.ts) as Kafka messages in recording order, with the ids of its orders.
 * By default its timeline ends now, orders 10 ms apart (see below); `timeline` sets another.
 */
export async function referenceRecording(
  orders: number,
  timeline?: { readonly meanOrderGapMs: number; readonly startMs: number },
): Promise<{ sequence: { topic: string; message: Message }[]; orderIds: Set<string> }> {
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
    ...(timeline ?? { meanOrderGapMs: gapMs, startMs: Date.now() - orders * gapMs }),
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
  return { sequence, orderIds };
}

/** Produces messages in their order, a batch of consecutive ones at a time (a batch may span topics). */
export async function produceInOrder(
  kafka: Kafka,
  sequence: readonly { topic: string; message: Message }[],
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
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
  } finally {
    await producer.disconnect();
  }
}
