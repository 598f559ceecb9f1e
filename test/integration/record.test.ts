/**
 * `tributary record` and `tail` on a real broker. The round trip: an application runs on Kafka; what
 * it consumed is recorded, replayed through the same topology file, and the replay's output equals
 * what the application produced on Kafka (recorded too), key by key. On the way: Avro
 * values, windowed keys, a tombstone, text and binary headers, an aborted transaction that
 * read_committed never shows, and a tail that follows new records until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingRecord } from '../../src/kafka/port.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { loadWorkerConfig } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import type { Serde } from '../../src/serde/serde.ts';
import currencyApp, { payments, rates } from '../cli/fixtures/currency-app.ts';
import { eventually } from '../support/eventually.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();
const root = fileURLToPath(new URL('../..', import.meta.url));
const appFile = 'test/cli/fixtures/currency-app.ts';
const PARTITIONS = 3;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe.skipIf(!brokers)('tributary record and tail on Kafka', () => {
  const run = uniqueName('rec');
  const prefix = `${run}.`;
  const topic = (name: string) => `${prefix}${name}`;
  const applicationId = `currency-app-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-record-it-'));
  const env = {
    ...process.env,
    RECORDED_APP_TOPIC_PREFIX: prefix,
    KAFKA_BROKERS: brokers,
  };
  const base = Math.floor(Date.now() / 1000) * 1000 - 120_000;
  let kit: KafkaKit;
  let worker: Worker;

  /** `node bin/tributary.js ...` as a user runs it, with the run's topic prefix. */
  function tributary(args: string[], options: { untilStopped?: (run: Run) => boolean } = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/tributary.js', ...args], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = { code: -1, stdout: '', stderr: '' };
      let timer: ReturnType<typeof setInterval> | undefined;
      if (options.untilStopped)
        timer = setInterval(() => {
          // Once, as a user presses Ctrl-C once: a second Ctrl-C stops at once, without the clean finish.
          if (!options.untilStopped!(output)) return;
          clearInterval(timer);
          child.kill('SIGINT');
        }, 100);
      child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (timer) clearInterval(timer);
        resolve({ ...output, code: code ?? -1 });
      });
    });
  }

  function encode<K, V>(
    definition: { name: string; keySerde: Serde<K>; valueSerde: Serde<V> },
    key: K,
    value: V | null,
    timestamp: number,
    headers: OutgoingRecord['headers'] = {},
  ): OutgoingRecord {
    const keyBytes = definition.keySerde.serialize(key);
    return {
      topic: topic(definition.name),
      partition: partitionForKey(keyBytes, PARTITIONS),
      key: keyBytes,
      value: value === null ? null : definition.valueSerde.serialize(value),
      timestamp,
      headers,
    };
  }
  const payment = (id: string, ccy: string, amount: number) => ({ id, orderId: `o-${id}`, ccy, amount });

  beforeAll(async () => {
    kit = new KafkaKit(brokers);
    await kit.createTopics(
      Object.fromEntries(
        ['payments', 'rates', 'payments-eur', 'payments-per-minute'].map((name) => [topic(name), PARTITIONS]),
      ),
    );
    const config = loadWorkerConfig({
      flags: {
        brokers,
        'state-dir': join(dir, 'state'),
        guarantee: 'exactly-once',
        'commit-interval-ms': '100',
      },
      env: {},
    });
    worker = new Worker(
      [
        {
          applicationId,
          topology: currencyApp.buildTopology({ renameTopic: topic }),
          errorHandling: currencyApp.errorHandling,
        },
      ],
      config,
      kit.port,
      silentLogger,
    );
    await worker.start();
  });

  afterAll(async () => {
    await worker?.stop();
    await kit?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records what an application consumed; replaying it gives what the application produced', async () => {
    await kit.produceRaw([
      encode(rates, 'EUR', { eur: 1 }, base),
      encode(rates, 'USD', { eur: 0.9 }, base + 1),
      encode(rates, 'GBP', { eur: 1.2 }, base + 2),
      encode(rates, 'CHF', { eur: 1.05 }, base + 3),
      encode(rates, 'GBP', null, base + 4),
    ]);
    // The table is loaded before payments arrive, on Kafka as in the recording's order.
    await eventually(
      async () => {
        const committed = await kit.admin.committedOffsets(applicationId, topic(rates.name));
        const ends = await kit.admin.offsets(topic(rates.name));
        for (const [partition, { high }] of ends)
          if (high !== 0n) expect(committed.get(partition)?.offset).toBe(high);
      },
      { timeoutMs: 60_000 },
    );
    const aborted = await kit.port.transactionalProducer({ transactionalId: uniqueName('aborted') });
    await aborted.begin();
    await aborted.send([encode(payments, 'EUR', payment('never', 'EUR', 1), base + 500)]);
    await aborted.abort();
    await aborted.close();
    const sent = [
      encode(payments, 'USD', payment('p1', 'USD', 10), base + 1000, {
        trace: 't-1',
        bin: new Uint8Array([0xfe, 0xff]),
      }),
      encode(payments, 'GBP', payment('p2', 'GBP', 20), base + 2000),
      encode(payments, 'EUR', payment('p3', 'EUR', 30), base + 3000),
      encode(payments, 'CHF', payment('p4', 'CHF', 40), base + 4000),
      encode(payments, 'USD', payment('p5', 'USD', 50), base + 65_000),
      encode(payments, 'EUR', payment('p6', 'EUR', 60), base + 66_000),
    ];
    await kit.produceRaw(sent);
    await kit.readUntil(topic('payments-eur'), (records) => records.length >= sent.length, {
      timeoutMs: 90_000,
    });
    await kit.readUntil(topic('payments-per-minute'), (records) => records.length >= sent.length, {
      timeoutMs: 90_000,
    });

    const input = join(dir, 'input.jsonl');
    const recorded = await tributary([
      'record',
      appFile,
      '-t',
      topic('payments'),
      '-t',
      topic('rates'),
      '--from-beginning',
      '-o',
      input,
    ]);
    expect(recorded.code, recorded.stderr).toBe(0);
    const recording = jsonLines(readFileSync(input, 'utf8'));
    expect(recording).toHaveLength(5 + sent.length);
    expect(recording.map((r) => r.timestamp)).toEqual(
      [...recording.map((r) => r.timestamp as number)].sort((a, b) => a - b),
    );
    expect(recording.find((r) => (r.value as { id?: string } | null)?.id === 'never')).toBeUndefined();
    expect(recording.find((r) => r.key === 'GBP' && r.value === null)).toMatchObject({
      topic: topic('rates'),
      timestamp: base + 4,
      partition: partitionForKey(Buffer.from('GBP'), PARTITIONS),
    });
    expect(recording.find((r) => (r.value as { id?: string } | null)?.id === 'p1')).toEqual({
      topic: topic('payments'),
      partition: partitionForKey(Buffer.from('USD'), PARTITIONS),
      key: 'USD',
      value: { id: 'p1', orderId: 'o-p1', ccy: 'USD', amount: 10 },
      timestamp: base + 1000,
      headers: { trace: 't-1', bin: { base64: Buffer.from([0xfe, 0xff]).toString('base64') } },
    });

    const produced = join(dir, 'produced.jsonl');
    const output = await tributary([
      'record',
      appFile,
      '-t',
      topic('payments-eur'),
      '-t',
      topic('payments-per-minute'),
      '--from-beginning',
      '-o',
      produced,
    ]);
    expect(output.code, output.stderr).toBe(0);
    const replayed = await tributary([
      'replay',
      appFile,
      '--input',
      input,
      '--partitions',
      String(PARTITIONS),
    ]);
    expect(replayed.code, replayed.stderr).toBe(0);

    const producedRecords = jsonLines(readFileSync(produced, 'utf8'));
    expect(producedRecords).toHaveLength(2 * sent.length);
    expect(byKey(jsonLines(replayed.stdout))).toEqual(byKey(producedRecords));
    // And it is the output one expects: the deleted GBP rate gives no euro amount; counts per window.
    const inEuro = producedRecords.filter((r) => r.topic === topic('payments-eur')).map((r) => r.value);
    expect(inEuro).toEqual(
      expect.arrayContaining([
        { id: 'p2', eur: null },
        { id: 'p1', eur: 9 },
        { id: 'p4', eur: 42 },
      ]),
    );
    const usdCounts = producedRecords.filter(
      (r) => r.topic === topic('payments-per-minute') && (r.key as { key: string }).key === 'USD',
    );
    expect(
      usdCounts.map((r) => [(r.key as { window: { start: number } }).window.start % 60_000, r.value]),
    ).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });

  it('tails a topic on Kafka, following new records until Ctrl-C', async () => {
    let produced = false;
    const tailed = await tributary(['tail', topic('payments'), appFile, '-n', '2', '--follow'], {
      untilStopped: (output) => {
        const lines = jsonLines(output.stdout);
        if (lines.length >= 2 && !produced) {
          produced = true;
          void kit.produceRaw([encode(payments, 'GBP', payment('p9', 'GBP', 90), Date.now())]);
        }
        return lines.some((l) => (l.value as { id?: string }).id === 'p9');
      },
    });
    expect(tailed.code, tailed.stderr).toBe(0);
    const lines = jsonLines(tailed.stdout);
    expect(lines.map((l) => (l.value as { id: string }).id)).toEqual(['p5', 'p6', 'p9']);
    expect(lines[2]).toMatchObject({ topic: topic('payments'), key: 'GBP', offset: expect.any(Number) });
  });
});

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Records per topic, partition and key, in order, as {value, timestamp}: what must match. Records of
 * one key come from one task, in its order; how records of different tasks interleave in an output
 * partition is not defined on a real cluster (tasks run side by side), nor for Kafka Streams.
 */
function byKey(records: readonly Record<string, unknown>[]): Map<string, Record<string, unknown>[]> {
  const result = new Map<string, Record<string, unknown>[]>();
  for (const r of records) {
    const k = `${r.topic as string}/${r.partition as number}/${JSON.stringify(r.key)}`;
    if (!result.has(k)) result.set(k, []);
    result.get(k)!.push({ value: r.value, timestamp: r.timestamp });
  }
  return new Map([...result].sort(([a], [b]) => a.localeCompare(b)));
}
