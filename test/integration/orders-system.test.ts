import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TributaryApp } from 'tributary';
import { replay, type RecordedRecord, type ReplayRecord } from 'tributary/testing';
import type { LogRecord, OutgoingRecord } from '../../src/kafka/port.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { createLogger } from '../../src/runtime/logging.ts';
import { kafkaEventLog } from '../../src/kafka/kafkajs/event-log.ts';
import { loadWorkerConfig, type ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { requiredAcls } from '../../src/runtime/worker/required-acls.ts';
import { Worker } from '../../src/worker/worker.ts';
import { fromJsonForm, toJsonForm, type Serde } from '../../src/serde/serde.ts';
import { loadOrderApps } from '../../scripts/orders/apps.ts';
import { orderIndependentRecording } from '../../scripts/orders/order-independent.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { grantAcls } from '../support/kafka-acls.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { adminLogin, connectionAs, kitAs, securedKafka } from '../support/secured-kafka.ts';

const brokers = kafkaBrokers();
const secured = securedKafka();
const logger = process.env.TEST_LOG ? createLogger({ level: 'info', format: 'json' }) : silentLogger;
const PARTITIONS = 3;
const DAY = 24 * 60 * 60 * 1000;
const topicsByName = new Map<string, { keySerde: Serde<unknown>; valueSerde: Serde<unknown> }>(
  Object.values(topics).map((t) => [
    t.name,
    t as unknown as { keySerde: Serde<unknown>; valueSerde: Serde<unknown> },
  ]),
);

/** The order-independent recording, with timestamps of today (aligned to a day, as the generator's are), so the broker keeps them. */
function recordingOfToday(orders: number): RecordedRecord[] {
  return orderIndependentRecording({ orders, seed: 7, startMs: Math.floor(Date.now() / DAY) * DAY });
}
/** The latest value per key of one topic, from records in the order they were written. */
function latestByKey(records: readonly { key: unknown; value: unknown }[]): Map<string, unknown> {
  const latest = new Map<string, unknown>();
  for (const r of records) latest.set(String(r.key), r.value);
  return latest;
}

function summarizeOrders(states: Map<string, unknown>): Map<string, string> {
  return new Map([...states].map(([id, order]) => [id, (order as Order).state]));
}

/** Decodes what the live system wrote to one of the reference topics into the replay's JSON form. */
function decode(topic: string, records: readonly LogRecord[]): ReplayRecord[] {
  const definition = topicsByName.get(topic)!;
  return records.map((r) => ({
    topic,
    partition: r.partition,
    key: toJsonForm(definition.keySerde, r.key === null ? null : definition.keySerde.deserialize(r.key)),
    value: toJsonForm(
      definition.valueSerde,
      r.value === null ? null : definition.valueSerde.deserialize(r.value),
    ),
    timestamp: r.timestamp,
  }));
}

describe.skipIf(!brokers)('the orders system on Kafka, with replay as the oracle', () => {
  const recording = recordingOfToday(150);
  let expected: readonly ReplayRecord[];
  let kit: KafkaKit;
  const dirs: string[] = [];

  beforeAll(async () => {
    kit = new KafkaKit(brokers);
    const result = await replay({ apps: await loadOrderApps(), input: recording, partitions: PARTITIONS });
    expected = result.records;
  });
  afterAll(async () => {
    await kit.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /**
   * Runs all seven applications in one worker on `cluster` (topics created and read by its kit) and
   * checks they reach the replay's final states; `login` holds the worker's security settings.
   */
  async function runOrders(
    guarantee: ProcessingGuarantee,
    cluster: { kit: KafkaKit; brokers: string; login?: Record<string, string>; principal?: string },
  ): Promise<void> {
    const { kit } = cluster;
    // Topics and application ids of this run only: runs never see each other's data or state.
    const run = uniqueName('orders');
    const topicName = (name: string) => `${run}.${name}`;
    await kit.createTopics(
      Object.fromEntries([...topicsByName.keys()].map((name) => [topicName(name), PARTITIONS])),
    );
    const apps: TributaryApp[] = await loadOrderApps();
    const applications = apps.map((app) => ({
      applicationId: `${app.applicationId}-${run}`,
      topology: app.buildTopology({ renameTopic: topicName }),
    }));
    if (cluster.principal)
      // Least privilege: exactly what `tributary acls` lists for each application.
      await grantAcls(
        adminLogin(secured!),
        cluster.principal,
        applications.flatMap((a) =>
          requiredAcls(a.topology, a.applicationId, { processingGuarantee: guarantee }),
        ),
      );
    const stateDir = join(tmpdir(), run);
    dirs.push(stateDir);
    const config = loadWorkerConfig({
      flags: { brokers: cluster.brokers, 'state-dir': stateDir, guarantee, 'commit-interval-ms': '100' },
      env: cluster.login ?? {},
    });
    const port = cluster.login
      ? kafkaEventLog({
          brokers: config.brokers!,
          clientId: config.clientId,
          security: config.kafkaSecurity,
          logger,
        })
      : kit.port;
    const worker = new Worker(applications, config, port, logger);
    await worker.start();
    try {
      await kit.produceRaw(recording.map((record) => encode(record, topicName)));

      const expectedOrders = summarizeOrders(latestByKey(expected.filter((r) => r.topic === 'orders')));
      const expectedEmails = latestByKey(expected.filter((r) => r.topic === 'emails'));
      const live = await kit
        .readUntil(
          topicName('orders'),
          (records) => sameStates(summarizeOrders(latestByKey(decode('orders', records))), expectedOrders),
          { readCommitted: true, timeoutMs: 150_000 },
        )
        .catch(async (error: Error) => {
          // Say which orders differ rather than only that the wait timed out.
          const seen = summarizeOrders(
            latestByKey(decode('orders', await kit.readUntil(topicName('orders'), () => true))),
          );
          throw new Error(`${error.message}\n${describeDifferences(seen, expectedOrders)}`);
        });
      expect(summarizeOrders(latestByKey(decode('orders', live)))).toEqual(expectedOrders);

      // Terminal states are final: every CONFIRMED order has its email, with the customer's details.
      const emails = await kit.readUntil(
        topicName('emails'),
        (records) => records.length >= expectedEmails.size,
        {
          readCommitted: true,
        },
      );
      expect(latestByKey(decode('emails', emails))).toEqual(expectedEmails);
      if (guarantee === 'exactly-once') {
        // Nothing duplicated: exactly as many emails and order updates as the replay wrote (the live
        // `orders` topic also holds the CREATED orders fed in, which replay does not print).
        const fedOrders = recording.filter((r) => r.topic === 'orders').length;
        expect(emails).toHaveLength(expected.filter((r) => r.topic === 'emails').length);
        expect(live.length - fedOrders).toBe(expected.filter((r) => r.topic === 'orders').length);
      }
    } finally {
      await worker.stop();
    }
  }

  it.each<ProcessingGuarantee>(['exactly-once', 'at-least-once'])(
    'reaches the same final state of every order, and the same emails, as the replay (%s)',
    (guarantee) => runOrders(guarantee, { kit, brokers }),
  );

  it.skipIf(!secured)(
    'does so too over SASL_SSL (SCRAM-SHA-512) under exactly-once, granted only the ACLs `tributary acls` lists',
    async () => {
      const admin = kitAs(secured!, 'admin');
      try {
        const { brokers: bootstrap, env } = connectionAs(secured!, 'alice-scram-512');
        await runOrders('exactly-once', {
          kit: admin,
          brokers: bootstrap,
          login: env,
          principal: 'User:alice',
        });
      } finally {
        await admin.close();
      }
    },
  );

  it('uses a recording that exercises every outcome', () => {
    const states = [...summarizeOrders(latestByKey(expected.filter((r) => r.topic === 'orders'))).values()];
    for (const state of ['CONFIRMED', 'FAILED', 'VALIDATED']) expect(states).toContain(state);
    const reasons = expected
      .filter((r) => r.topic === 'orders' && (r.value as Order).state === 'FAILED')
      .map((r) => (r.value as Order).failureReason);
    expect(reasons.some((reason) => /^FRAUD_CHECK failed/.test(reason ?? ''))).toBe(true);
    expect(reasons.some((reason) => /^payment .* is less than the order value/.test(reason ?? ''))).toBe(
      true,
    );
    expect(reasons.some((reason) => /^ORDER_DETAILS_CHECK failed/.test(reason ?? ''))).toBe(true);
    expect(expected.some((r) => r.topic === 'emails')).toBe(true);
  });
});

function encode(record: RecordedRecord, topicName: (name: string) => string): OutgoingRecord {
  const definition = topicsByName.get(record.topic)!;
  const context = { topic: record.topic, part: 'key' as const };
  const key = fromJsonForm(definition.keySerde, record.key, context);
  const value = fromJsonForm(definition.valueSerde, record.value, { ...context, part: 'value' });
  const keyBytes = key === null ? null : definition.keySerde.serialize(key);
  return {
    topic: topicName(record.topic),
    partition: record.partition ?? (keyBytes === null ? 0 : partitionForKey(keyBytes, PARTITIONS)),
    key: keyBytes,
    value: value === null ? null : definition.valueSerde.serialize(value),
    timestamp: record.timestamp,
    headers: {},
  };
}

function sameStates(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...b].every(([id, state]) => a.get(id) === state);
}

function describeDifferences(seen: Map<string, string>, expected: Map<string, string>): string {
  const lines = [...expected]
    .filter(([id, state]) => seen.get(id) !== state)
    .slice(0, 20)
    .map(([id, state]) => `  ${id}: expected ${state}, live ${seen.get(id) ?? 'nothing'}`);
  return `orders that differ (first 20 of ${lines.length}):\n${lines.join('\n')}`;
}
