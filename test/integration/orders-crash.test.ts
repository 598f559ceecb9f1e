/**
 * The orders system killed (SIGKILL) and restarted while orders and payments flow, under at-least-once
 * and under exactly-once: every order acknowledged by the orders API (201, and 202 for its payment in
 * full) ends CONFIRMED; no order's state ever goes backwards on `orders`, in orders-store's changes,
 * or over the API (each order seen before a crash is read right after the restart); every confirmed
 * order gets one email; under exactly-once no state is even written twice. Once as `npm start` runs it
 * (the embedded log), once as a Kafka worker running all seven applications under the system's own
 * application ids and topic names, on the test broker. Each run prints what it counted.
 *
 * `ORDERS_CRASH=long` (`npm run test:crash`) kills more often, with more traffic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../src/embedded/event-log.ts';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS, type KafkaClient } from '../../src/kafka/connection.ts';
import type { ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { topologyFiles } from '../../scripts/orders/apps.ts';
import { eventually } from '../support/eventually.ts';
import { kafkaBrokers } from '../support/kafka-kit.ts';
import {
  readTopic,
  runOrdersThroughCrashes,
  type CrashPlan,
  type CrashReport,
  type OrdersSystem,
} from '../support/orders-crash.ts';
import { StartProcess } from '../support/start-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const long = process.env.ORDERS_CRASH === 'long';
const guarantees: readonly ProcessingGuarantee[] = ['at-least-once', 'exactly-once'];
/**
 * Kills early in a run, late in it, and while a restart still catches up; in `npm test`, one in a run
 * and one while the restart catches up. Each guarantee commits at its default interval (30 s
 * at-least-once, 100 ms exactly-once), as users run it: under at-least-once, a kill within 30 s of a
 * start comes before its first commit, and everything read since the start is read again. On Kafka an
 * order takes seconds from 201 to CONFIRMED on a loaded machine (each application's records pass a
 * broker several times), so the first kill there waits for orders to have got that far.
 */
function planFor(log: 'embedded' | 'kafka'): CrashPlan {
  const killAfterMs =
    log === 'embedded'
      ? long
        ? [6_000, 1_500, 9_000, 500, 4_000, 12_000, 2_500]
        : [5_000, 1_500]
      : long
        ? [20_000, 1_500, 9_000, 500, 25_000, 4_000]
        : [20_000, 2_000];
  return {
    killAfterMs,
    finalMs: long ? 5_000 : 2_000,
    ordersPerSecond: long ? 30 : 20,
    settleTimeoutMs: long ? 120_000 : 60_000,
    log: logLine,
  };
}
const SYSTEM_TOPICS = [
  'orders',
  'order-validations',
  'warehouse-inventory',
  'payments',
  'customers',
  'emails',
];
const TOPOLOGIES = topologyFiles().map((file) => `topologies/${file}`);

function expectCrashSafe(report: CrashReport, plan: CrashPlan, guarantee: ProcessingGuarantee): void {
  expect(report.runs).toBe(plan.killAfterMs.length + 1);
  expect(report.acknowledged).toBeGreaterThan(0);
  expect(report.notConfirmed).toEqual([]);
  expect(report.confirmed).toBe(report.acknowledged);
  expect(report.backwardsInTopic).toEqual([]);
  expect(report.backwardsInView).toBe(0);
  expect(report.readsBehindAfterRestart).toBe(0);
  expect(report.withoutEmail).toBe(0);
  expect(report.severalEmails).toBe(0);
  if (guarantee === 'exactly-once') expect(report.repeatedExamples).toEqual([]);
}

function print(where: string, guarantee: string, plan: CrashPlan, report: CrashReport): void {
  const { notConfirmed, backwardsInTopic, repeatedExamples, ...counts } = report;
  console.info(
    `orders through ${plan.killAfterMs.length} crashes (${where}, ${guarantee}): ${JSON.stringify(counts)}` +
      (notConfirmed.length > 0 ? `\n  not confirmed: ${notConfirmed.join(' | ')}` : '') +
      (backwardsInTopic.length > 0 ? `\n  backwards on orders: ${backwardsInTopic.join(' | ')}` : '') +
      (repeatedExamples.length > 0 ? `\n  repeated on orders: ${repeatedExamples.join(' | ')}` : ''),
  );
}

describe('the orders system through crashes, on the embedded log (tributary start)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each(guarantees)(
    'confirms every acknowledged order and never goes backwards (%s)',
    async (guarantee) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tributary-crash-'));
      dirs.push(dataDir);
      const system: OrdersSystem = {
        start: async () => {
          const started = await StartProcess.start({ DATA_DIR: dataDir, PROCESSING_GUARANTEE: guarantee });
          expect(started.output()).toContain(`guarantee: ${guarantee}`);
          return started;
        },
        read: async (topic) => {
          const log = EmbeddedLog.open(join(dataDir, 'log'), { readOnly: true });
          try {
            return await readTopic(embeddedEventLog(log), topic, guarantee === 'exactly-once');
          } finally {
            log.close();
          }
        },
      };
      const plan = planFor('embedded');
      const report = await runOrdersThroughCrashes(system, plan);
      print('embedded log', guarantee, plan, report);
      expectCrashSafe(report, plan, guarantee);
    },
    600_000,
  );
});

/**
 * On Kafka through each client: the default client under both guarantees, the other under
 * exactly-once, where the clients differ most (one transaction per task on kafkajs, one per worker
 * application on platformatic, whose offsets carry the group generation). KAFKA_CLIENT=<client>
 * runs that client under both guarantees instead.
 */
const chosenClient = KAFKA_CLIENTS.find((client) => client === process.env.KAFKA_CLIENT);
const kafkaRuns: readonly { client: KafkaClient; guarantee: ProcessingGuarantee }[] = chosenClient
  ? guarantees.map((guarantee) => ({ client: chosenClient, guarantee }))
  : [
      ...guarantees.map((guarantee) => ({ client: DEFAULT_KAFKA_CLIENT, guarantee })),
      ...KAFKA_CLIENTS.filter((client) => client !== DEFAULT_KAFKA_CLIENT).map((client) => ({
        client,
        guarantee: 'exactly-once' as const,
      })),
    ];

describe.skipIf(!kafkaBrokers())('the orders system through crashes, on Kafka (one worker)', () => {
  const suites = new Map(
    KAFKA_CLIENTS.map((client) => [client, useWorkerProcesses('tributary-crash', { client })]),
  );

  it.each(kafkaRuns)(
    'confirms every acknowledged order and never goes backwards ($guarantee, $client)',
    async ({ client, guarantee }) => {
      const suite = suites.get(client)!;
      const { kit } = suite;
      await kit.createTopics(Object.fromEntries(SYSTEM_TOPICS.map((topic) => [topic, 3])));
      const stateDir = suite.stateDir();
      const system: OrdersSystem = {
        start: async (name) => {
          const worker = await suite.startServing({
            name,
            topologies: TOPOLOGIES,
            stateDir,
            flags: { guarantee },
          });
          await eventually(
            async () => {
              const ready = await fetch(`${worker.url}/health/ready`);
              if (ready.status !== 200) throw new Error(`${name} not ready: ${await ready.text()}`);
            },
            { timeoutMs: 120_000, stopWhen: () => !worker.running },
          );
          return { url: worker.url, kill: () => worker.kill(), stop: () => worker.stop() };
        },
        read: (topic) => readTopic(kit.port, topic, guarantee === 'exactly-once'),
      };
      const plan = planFor('kafka');
      const report = await runOrdersThroughCrashes(system, plan);
      print(`Kafka through ${client}`, guarantee, plan, report);
      expectCrashSafe(report, plan, guarantee);
    },
    600_000,
  );
});

function logLine(line: string): void {
  if (process.env.TEST_LOG) console.info(line);
}
