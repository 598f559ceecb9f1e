/**
 * `tributary record` and `tributary tail` on the embedded log (the Kafka side is in
 * test/integration/record.test.ts): what they read, in which order, decoded how; ranges; records
 * that cannot be decoded; a recording replayed and piped into the test driver; following a log
 * another process writes, stopped with Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopologyTestDriver, replay, parseRecording } from 'tributary/testing';
import { main } from '../../src/cli/main.ts';
import { EmbeddedLog } from '../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../src/embedded/event-log.ts';
import type { OutgoingRecord } from '../../src/kafka/port.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import type { Serde } from '../../src/serde/serde.ts';
import { eventually } from '../support/eventually.ts';
import currencyApp, { payments, paymentsPerMinute, rates } from './fixtures/currency-app.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const app = 'test/cli/fixtures/currency-app.ts';
const T = 1_700_000_000_000;
const PARTITIONS = 3;

let dir: string;
let log: EmbeddedLog;

function encode<K, V>(
  topic: { name: string; keySerde: Serde<K>; valueSerde: Serde<V> },
  key: K,
  value: V | null,
  timestamp: number,
  headers: OutgoingRecord['headers'] = {},
): OutgoingRecord {
  const keyBytes = topic.keySerde.serialize(key);
  return {
    topic: topic.name,
    partition: partitionForKey(keyBytes, PARTITIONS),
    key: keyBytes,
    value: value === null ? null : topic.valueSerde.serialize(value),
    timestamp,
    headers,
  };
}

const payment = (id: string, ccy: string, amount: number) => ({ id, orderId: `o-${id}`, ccy, amount });

async function append(records: OutgoingRecord[]): Promise<void> {
  const producer = embeddedEventLog(log).producer({});
  await producer.send(records);
  await producer.close();
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function tributary(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: root,
  });
  return { code, stdout, stderr };
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-record-'));
  log = EmbeddedLog.open(join(dir, 'log'));
  for (const topic of [payments, rates, paymentsPerMinute]) log.createTopic(topic.name, PARTITIONS);
  await append([
    encode(rates, 'EUR', { eur: 1 }, T),
    encode(rates, 'USD', { eur: 0.9 }, T + 1),
    encode(rates, 'GBP', { eur: 1.2 }, T + 2),
    encode(payments, 'USD', payment('p1', 'USD', 10), T + 1000, {
      trace: 'abc',
      raw: new Uint8Array([0xff, 0]),
    }),
    encode(payments, 'GBP', payment('p2', 'GBP', 20), T + 2000),
    // The GBP rate is deleted: later GBP payments find none.
    encode(rates, 'GBP', null, T + 2500),
    encode(payments, 'GBP', payment('p3', 'GBP', 30), T + 3000),
    encode(payments, 'EUR', payment('p4', 'EUR', 40), T + 4000),
    // Bytes that are not an Avro Payment: recorded as they are, never dropped.
    { ...encode(payments, 'EUR', null, T + 5000), value: new Uint8Array([1, 2, 3]) },
    encode(payments, 'USD', payment('p5', 'USD', 50), T + 61_000),
    encode(paymentsPerMinute, { key: 'USD', window: { start: T, end: T + 60_000 } }, 1, T + 1000),
  ]);
});

afterAll(() => {
  log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tributary record', () => {
  it('records topics in processing order, decoded with the topology files’ serdes, keeping what it cannot decode', async () => {
    const run = await tributary(
      'record',
      app,
      '--data-dir',
      dir,
      '--topic',
      payments.name,
      '--topic',
      rates.name,
      '--from-beginning',
    );
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.timestamp)).toEqual(
      [0, 1, 2, 1000, 2000, 2500, 3000, 4000, 5000, 61_000].map((d) => T + d),
    );
    expect(lines[3]).toEqual({
      topic: payments.name,
      partition: partitionForKey(Buffer.from('USD'), PARTITIONS),
      key: 'USD',
      value: { id: 'p1', orderId: 'o-p1', ccy: 'USD', amount: 10 },
      timestamp: T + 1000,
      headers: { trace: 'abc', raw: { base64: Buffer.from([0xff, 0]).toString('base64') } },
    });
    expect(lines[5]).toMatchObject({ topic: rates.name, key: 'GBP', value: null });
    const undecodable = lines[8]!;
    expect(undecodable).toMatchObject({ topic: payments.name, key: 'EUR', rawValue: 'AQID' });
    expect(undecodable).not.toHaveProperty('value');
    const partition = partitionForKey(Buffer.from('EUR'), PARTITIONS);
    expect(run.stderr).toMatch(
      new RegExp(
        `warning: topic "payments" partition ${partition} offset 2: the value cannot be read with serde avro:tributary.orders.Payment: .*truncated buffer; kept as its bytes \\("rawValue", base64\\)`,
      ),
    );
    expect(run.stderr).toContain('recorded 10 records');
    expect(run.stderr).toContain('1 record could not be decoded');
  });

  it('makes a recording that replay and the test driver take as it is', async () => {
    const file = join(dir, 'replayable.jsonl');
    const recorded = await tributary(
      'record',
      app,
      '--data-dir',
      dir,
      '-t',
      payments.name,
      '-t',
      rates.name,
      '--from-beginning',
      '-o',
      file,
    );
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toBe('');
    const recording = readFileSync(file, 'utf8');

    const result = await replay({ apps: [currencyApp], input: recording, partitions: PARTITIONS });
    const inEuro = result.records.filter((r) => r.topic === 'payments-eur').map((r) => r.value);
    expect(inEuro).toEqual([
      { id: 'p1', eur: 9 },
      { id: 'p2', eur: 24 },
      { id: 'p3', eur: null },
      { id: 'p4', eur: 40 },
      { id: 'p5', eur: 45 },
    ]);
    // The bytes no serde could read reach the deserialization handler, which dead-letters them.
    const deadLetters = result.records.filter((r) => r.topic === 'currency-app-dlq');
    expect(deadLetters).toHaveLength(1);

    const driver = await TopologyTestDriver.create(currencyApp.buildTopology(), {
      applicationId: 'currency-app',
      partitions: PARTITIONS,
      errorHandling: currencyApp.errorHandling,
    });
    try {
      driver.pipeRecording(recording, 'replayable.jsonl');
      const counts = driver.createOutputTopic(paymentsPerMinute).readKeyValuesToList();
      expect(counts.filter((c) => c.key?.key === 'GBP').map((c) => c.value)).toEqual([1, 2]);
      expect(parseRecording(recording)).toHaveLength(10);
    } finally {
      await driver.close();
    }
  });

  it('records a time range or an offset range', async () => {
    const byTime = await tributary(
      'record',
      app,
      '--data-dir',
      dir,
      '-t',
      payments.name,
      '--from-time',
      String(T + 2000),
      '--to-time',
      new Date(T + 4000).toISOString(),
    );
    expect(byTime.code, byTime.stderr).toBe(0);
    expect(jsonLines(byTime.stdout).map((l) => (l.value as { id: string }).id)).toEqual(['p2', 'p3']);

    const gbp = partitionForKey(Buffer.from('GBP'), PARTITIONS);
    const byOffset = await tributary(
      'record',
      app,
      '--data-dir',
      dir,
      '-t',
      payments.name,
      '--partition',
      String(gbp),
      '--from-offset',
      '1',
      '--to-offset',
      `${gbp}=2`,
    );
    expect(byOffset.code, byOffset.stderr).toBe(0);
    const lines = jsonLines(byOffset.stdout);
    expect(lines.every((l) => l.partition === gbp)).toBe(true);
    expect(lines).toHaveLength(1);
  });

  it('says what to give when topics, a start or a known topic are missing', async () => {
    const noTopic = await tributary('record', app, '--data-dir', dir, '--from-beginning');
    expect(noTopic.code).toBe(2);
    expect(noTopic.stderr).toContain(
      'name the topics to record with --topic; the topology files read payments, rates',
    );
    const noStart = await tributary('record', app, '--data-dir', dir, '-t', payments.name);
    expect(noStart.code).toBe(2);
    expect(noStart.stderr).toContain(
      'say where to start (--from-beginning, --from-offset, --from-time), or --follow',
    );
    const unknown = await tributary('record', app, '--data-dir', dir, '-t', 'elsewhere', '--from-beginning');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no topology file reads or writes "elsewhere"');
    const twoStops = await tributary(
      'record',
      app,
      '--data-dir',
      dir,
      '-t',
      payments.name,
      '--follow',
      '--to-offset',
      '3',
    );
    expect(twoStops.stderr).toContain('--to-offset and --follow: give one of');
    const noLog = await tributary(
      'record',
      app,
      '--data-dir',
      join(dir, 'nothing'),
      '-t',
      payments.name,
      '--from-beginning',
    );
    expect(noLog.code).toBe(2);
    expect(noLog.stderr).toContain('no embedded log in');
    const missing = await tributary(
      'record',
      app,
      '--data-dir',
      dir,
      '-t',
      'payments-eur',
      '--from-beginning',
      '-o',
      join(dir, 'never-written.jsonl'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no topic "payments-eur" in the event log');
    expect(existsSync(join(dir, 'never-written.jsonl'))).toBe(false);
  });
});

describe('tributary tail', () => {
  it('prints the last records of a topic across partitions, with their offsets', async () => {
    const run = await tributary('tail', payments.name, app, '--data-dir', dir, '-n', '2');
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.timestamp)).toEqual([T + 5000, T + 61_000]);
    expect(lines[1]).toMatchObject({ key: 'USD', offset: 3, value: { id: 'p5' } });
  });

  it('prints windowed keys in their JSON form, from the beginning', async () => {
    const run = await tributary('tail', paymentsPerMinute.name, app, '--data-dir', dir, '--from-beginning');
    expect(run.code, run.stderr).toBe(0);
    expect(jsonLines(run.stdout)).toEqual([
      {
        topic: paymentsPerMinute.name,
        partition: expect.any(Number),
        offset: 0,
        key: { key: 'USD', window: { start: T, end: T + 60_000 } },
        value: 1,
        timestamp: T + 1000,
      },
    ]);
  });

  it('shows a topic no topology file knows as bytes, and says so', async () => {
    const run = await tributary(
      'tail',
      rates.name,
      '--data-dir',
      dir,
      '-n',
      '1',
      'test/cli/fixtures/orders-app.ts',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('no topology file reads or writes "rates"');
    expect(jsonLines(run.stdout)[0]).toMatchObject({ rawKey: Buffer.from('GBP').toString('base64') });
  });
});

describe('following a log another process writes', () => {
  /** `node bin/tributary.js ...` in the background, as a user runs it in a terminal. */
  function background(args: string[]) {
    const child = spawn(process.execPath, ['bin/tributary.js', ...args], {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
    const closed = new Promise<Run>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, ...output }));
    });
    return { child, output, closed };
  }

  it('records new records until Ctrl-C, then writes everything read and exits 0', async () => {
    const file = join(dir, 'followed.jsonl');
    const recorded = () => (existsSync(file) ? jsonLines(readFileSync(file, 'utf8')) : []);
    const run = background(['record', app, '--data-dir', dir, '-t', payments.name, '--follow', '-o', file]);
    await eventually(async () => expect(run.output.stderr).toContain('Ctrl-C stops'), { timeoutMs: 20_000 });
    await append([encode(payments, 'EUR', payment('p6', 'EUR', 60), T + 70_000)]);
    await append([encode(payments, 'USD', payment('p7', 'USD', 70), T + 71_000)]);
    await eventually(async () => expect(recorded()).toHaveLength(2), { timeoutMs: 20_000 });
    run.child.kill('SIGINT');
    const result = await run.closed;
    expect(result.code, result.stderr).toBe(0);
    expect(recorded().map((l) => (l.value as { id: string }).id)).toEqual(['p6', 'p7']);
    expect(result.stderr).toMatch(/recorded 2 records to .*followed\.jsonl \(stopped\)/);
  });

  it('tails a topic: the last records, then new ones as they come', async () => {
    const run = background(['tail', rates.name, app, '--data-dir', dir, '-n', '1', '--follow']);
    await eventually(async () => expect(jsonLines(run.output.stdout)).toHaveLength(1), { timeoutMs: 20_000 });
    await append([encode(rates, 'CHF', { eur: 1.05 }, T + 80_000)]);
    await eventually(async () => expect(jsonLines(run.output.stdout)).toHaveLength(2), { timeoutMs: 20_000 });
    run.child.kill('SIGINT');
    const result = await run.closed;
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout).map((l) => [l.key, l.value])).toEqual([
      ['GBP', null],
      ['CHF', { eur: 1.05 }],
    ]);
  });
});
