// The Kafka clients side by side through the event-log port (what the worker runtime uses): produce,
// consume, and exactly-once transactions, with each client's CPU time, on one broker, in interleaved
// rounds so that both meet the same load. Results go to stdout and to the "Kafka clients: raw" section
// of docs/benchmarks.md.
//
//   npm run bench:clients                starts a broker of its own (BENCH_KAFKA_PORT /
//                                        BENCH_KAFKA_CONTROLLER_PORT, default 39592/39593)
//   KAFKA_BROKERS=host:port npm run bench:clients   uses a running broker instead
//   BENCH_RECORDS (100000)  BENCH_TRANSACTIONS (300)  BENCH_ROUNDS (2)  BENCH_NO_WRITE=1
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, release } from 'node:os';
import { join } from 'node:path';
import { KAFKA_CLIENTS, type KafkaClient } from '../../src/kafka/connection.ts';
import { kafkaEventLog } from '../../src/kafka/event-log.ts';
import type { EventLogPort, OutgoingRecord } from '../../src/kafka/port.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { format, perSecond, provideBroker, root, unique, until } from './kafka-kit.ts';
import { describeMachine } from './machine.ts';
import { toOffset } from '../../src/common/offset.ts';

const HEADING = 'Kafka clients: raw produce, consume and transactions';
const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PARTITIONS = 4;
/** Records per send, as a worker's commit hands them over. */
const SEND = 10_000;
/** Records per transaction: what a task's commit interval of 100 ms gathers at a moderate rate. */
const PER_TRANSACTION = 100;
const VALUE = Buffer.from('v'.repeat(100));

interface Measured {
  readonly perSecond: number;
  /** CPU of this process (both threads of the client's work) per unit, in microseconds. */
  readonly cpuMicros: number;
}

interface ClientResult {
  readonly client: KafkaClient;
  readonly round: number;
  readonly produce: Measured;
  readonly consume: Measured;
  readonly transactions: Measured;
}

/** Runs `work` and measures units per second of wall time and CPU microseconds per unit. */
async function measure(units: number, work: () => Promise<void>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { perSecond: perSecond(units, ms), cpuMicros: Math.round((used.user + used.system) / units) };
}

function records(topic: string, count: number, offset = 0): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic,
    partition: (offset + i) % PARTITIONS,
    key: Buffer.from(`k${offset + i}`),
    value: VALUE,
    timestamp: Date.now(),
    headers: {},
  }));
}

async function run(port: EventLogPort, client: KafkaClient, round: number): Promise<ClientResult> {
  const admin = port.admin();
  const [plain, transactional] = [unique(`bench-${client}-plain`), unique(`bench-${client}-txn`)];
  await admin.createTopics([
    { topic: plain, partitions: PARTITIONS, config: {} },
    { topic: transactional, partitions: PARTITIONS, config: {} },
  ]);

  const producer = port.producer({ clientId: 'bench-clients' });
  const outgoing = records(plain, RECORDS);
  const produce = await measure(RECORDS, async () => {
    for (let at = 0; at < RECORDS; at += SEND) await producer.send(outgoing.slice(at, at + SEND));
  });
  await producer.close();

  const reader = port.partitionReader({ readCommitted: false, topics: [plain], clientId: 'bench-clients' });
  let consumed = 0;
  let failure: Error | undefined;
  const consume = await measure(RECORDS, async () => {
    await reader.start(
      (batch) => (consumed += batch.records.length),
      (error) => (failure = error),
    );
    for (let partition = 0; partition < PARTITIONS; partition++)
      await reader.assign({ topic: plain, partition, offset: toOffset(0) });
    await until(() => consumed >= RECORDS || failure !== undefined, `${client} consuming`);
  });
  await reader.stop();
  if (failure) throw failure;

  const txn = await port.transactionalProducer({
    transactionalId: unique(`bench-${client}-txn-id`),
    clientId: 'bench-clients',
  });
  const group = unique(`bench-${client}-group`);
  const transactions = await measure(TRANSACTIONS, async () => {
    for (let i = 0; i < TRANSACTIONS; i++) {
      await txn.begin();
      await txn.send(records(transactional, PER_TRANSACTION, i * PER_TRANSACTION));
      await txn.sendOffsets(group, [{ topic: plain, partition: i % PARTITIONS, offset: toOffset(i + 1) }]);
      await txn.commit();
    }
  });
  await txn.close();
  await admin.deleteTopics([plain, transactional]);
  await admin.close();
  return { client, round, produce, consume, transactions };
}

function section(results: readonly ClientResult[], version: string): string {
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(', ');
  const cell = (m: Measured, unit: string) =>
    `${format(m.perSecond)} ${unit}/s, ${format(m.cpuMicros)} µs CPU`;
  return [
    `## ${HEADING}`,
    '',
    `Written by \`npm run bench:clients\` (scripts/bench/clients.ts) on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `Machine: ${describeMachine()}, Linux ${release()}; load average ${load} (1, 5, 15 min) when the run ended. Other work shared the machine.`,
    `Broker: Kafka ${version}, one combined KRaft node on the same machine. Both clients run in one process, in interleaved rounds.`,
    `Load: ${format(RECORDS)} records of 100-byte values to ${PARTITIONS} partitions, sent ${format(SEND)} at a time through the port's idempotent producer, then read back by a partition reader (read_uncommitted); ${format(TRANSACTIONS)} transactions of ${PER_TRANSACTION} records and one consumed offset each (begin, send, sendOffsets, commit), one after the other.`,
    '',
    '| client | round | produce | consume | transactions |',
    '| --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.client} | ${r.round} | ${cell(r.produce, 'records')} | ${cell(r.consume, 'records')} | ${cell(r.transactions, 'transactions')} |`,
    ),
    '',
    'CPU is that of the whole benchmark process per record (per transaction), both clients measured alike.',
    '',
  ].join('\n');
}

function write(markdown: string): void {
  const path = join(root, 'docs/benchmarks.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf(`## ${HEADING}\n`);
  if (start < 0) return writeFileSync(path, `${text.trimEnd()}\n\n${markdown}`);
  const next = text.indexOf('\n## ', start + 3);
  writeFileSync(path, text.slice(0, start) + markdown + (next < 0 ? '' : text.slice(next + 1)));
}

const broker = await provideBroker();
try {
  const results: ClientResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const client of KAFKA_CLIENTS) {
      console.error(`round ${round}: ${client}...`);
      const port = kafkaEventLog({
        brokers: broker.brokers.split(','),
        clientId: 'bench-clients',
        client,
        logger: silentLogger,
      });
      const result = await run(port, client, round);
      console.error(JSON.stringify(result));
      results.push(result);
    }
  }
  const markdown = section(results, broker.version);
  console.log(markdown);
  if (!process.env.BENCH_NO_WRITE) write(markdown);
} finally {
  await broker.stop();
}
