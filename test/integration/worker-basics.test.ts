import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerdeError, Serdes, StreamsBuilder, type Serde, type Topology } from 'tributary';
import type { LogRecord } from '../../src/kafka/port.ts';
import { DeadLetterHeaders } from '../../src/runtime/error-handling.ts';
import { createLogger } from '../../src/runtime/logging.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig, type ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();
const logger = process.env.TEST_LOG ? createLogger({ level: 'debug', format: 'json' }) : silentLogger;
const string = Serdes.String();
const long = Serdes.Long();

function wordCount(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(input, { keySerde: string, valueSerde: string })
    .groupBy((_key, word) => word, { keySerde: string })
    .count({ storeName: 'word-counts' })
    .toStream()
    .to(output, { keySerde: string, valueSerde: long });
  return builder.build();
}

/** The latest count per word from the output topic's records. */
function latestCounts(records: readonly LogRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(string.deserialize(r.key!), long.deserialize(r.value!));
  return counts;
}

function startWorker(
  applicationId: string,
  topology: Topology,
  stateDir: string,
  flags: Record<string, string> = {},
) {
  const config = loadWorkerConfig({
    flags: { brokers, 'state-dir': stateDir, 'commit-interval-ms': '200', ...flags },
    env: {},
  });
  return new Worker([{ applicationId, topology }], config, new KafkaKit(brokers).port, logger);
}

describe.skipIf(!brokers)('a worker on a real broker', () => {
  let kit: KafkaKit;
  const stateDirs: string[] = [];
  const stateDir = () => {
    const dir = join(tmpdir(), uniqueName('tributary-it'));
    stateDirs.push(dir);
    return dir;
  };

  beforeAll(() => {
    kit = new KafkaKit(brokers);
  });
  afterAll(async () => {
    await kit.close();
    await Promise.all(stateDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it.each<ProcessingGuarantee>(['at-least-once', 'exactly-once'])(
    'counts words through a repartition topic and a LevelDB store (%s)',
    async (guarantee) => {
      const [input, output, app] = [uniqueName('words'), uniqueName('counts'), uniqueName('wc')];
      await kit.createTopics({ [input]: 3, [output]: 3 });
      const worker = startWorker(app, wordCount(input, output), stateDir(), { guarantee });
      await worker.start();
      try {
        const words = ['apple', 'pear', 'apple', 'fig', 'pear', 'apple'];
        await kit.produce(
          input,
          string,
          string,
          words.map((w, i) => ({ key: `k${i}`, value: w })),
        );
        const records = await kit.readUntil(
          output,
          (r) =>
            latestCounts(r).get('apple') === 3 &&
            latestCounts(r).get('pear') === 2 &&
            latestCounts(r).get('fig') === 1,
          {
            readCommitted: true,
          },
        );
        expect(Object.fromEntries(latestCounts(records))).toEqual({ apple: 3, pear: 2, fig: 1 });
        // Under exactly-once nothing is duplicated; at-least-once without failures neither. The record
        // cache may merge a word's updates between two commits, so a count may be skipped, never repeated.
        const sent = records.map((r) => `${string.deserialize(r.key!)}=${long.deserialize(r.value!)}`);
        expect(new Set(sent).size).toBe(sent.length);
        expect(records.length).toBeLessThanOrEqual(words.length);
      } finally {
        await worker.stop();
      }
    },
  );

  it('restores every store from its changelog after the state directory is deleted', async () => {
    const [input, output, app] = [uniqueName('words'), uniqueName('counts'), uniqueName('wc')];
    await kit.createTopics({ [input]: 2, [output]: 2 });
    const dir = stateDir();
    let worker = startWorker(app, wordCount(input, output), dir);
    await worker.start();
    await kit.produce(
      input,
      string,
      string,
      ['a', 'b', 'a', 'c', 'a'].map((w) => ({ key: w, value: w })),
    );
    await kit.readUntil(output, (r) => latestCounts(r).get('a') === 3);
    await worker.stop();

    await rm(dir, { recursive: true, force: true });
    worker = startWorker(app, wordCount(input, output), dir);
    await worker.start();
    try {
      await kit.produce(input, string, string, [
        { key: 'a', value: 'a' },
        { key: 'c', value: 'c' },
      ]);
      // Counts continue from the restored values, not from zero.
      const records = await kit.readUntil(
        output,
        (r) => latestCounts(r).get('a') === 4 && latestCounts(r).get('c') === 2,
      );
      expect(latestCounts(records).get('b')).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it('restores stores from changelogs of thousands of overwritten keys exactly, each key at its latest count', async () => {
    // 4 rounds of 6,000 distinct words over 2 partitions: about 12,000 changelog records per store,
    // restored in bulk (a restore of that size into an empty key-value store), each word overwritten
    // 4 times. Saves along the way are covered without a broker (test/state/bulk-load.test.ts).
    const [input, output, app] = [uniqueName('words'), uniqueName('counts'), uniqueName('wc')];
    await kit.createTopics({ [input]: 2, [output]: 2 });
    const words = Array.from({ length: 6_000 }, (_, i) => `word-${i}`);
    const dir = stateDir();
    let worker = startWorker(app, wordCount(input, output), dir);
    await worker.start();
    for (let round = 1; round <= 4; round++) {
      await kit.produce(
        input,
        string,
        string,
        words.map((w) => ({ key: w, value: w })),
      );
      await kit.readUntil(output, (r) => latestCounts(r).get(words.at(-1)!) === round, { timeoutMs: 60_000 });
    }
    await worker.stop();

    await rm(dir, { recursive: true, force: true });
    worker = startWorker(app, wordCount(input, output), dir);
    await worker.start();
    try {
      await kit.produce(
        input,
        string,
        string,
        words.map((w) => ({ key: w, value: w })),
      );
      // Every word continues from its restored count.
      const records = await kit.readUntil(
        output,
        (r) => {
          const counts = latestCounts(r);
          return words.every((w) => (counts.get(w) ?? 0) >= 5);
        },
        { timeoutMs: 60_000 },
      );
      const counts = latestCounts(records);
      expect(words.filter((w) => counts.get(w) !== 5)).toEqual([]);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('sends a record whose value cannot be decoded to the dead-letter topic and goes on', async () => {
    const [input, output, app] = [uniqueName('numbers'), uniqueName('doubled'), uniqueName('dlq')];
    await kit.createTopics({ [input]: 1, [output]: 1 });
    const builder = new StreamsBuilder();
    builder
      .stream(input, { keySerde: string, valueSerde: Serdes.Json<{ n: number }>() })
      .mapValues((v) => ({ n: v.n * 2 }))
      .to(output, { keySerde: string, valueSerde: Serdes.Json<{ n: number }>() });
    const worker = startWorker(app, builder.build(), stateDir(), {
      'on-deserialization-error': 'dead-letter',
    });
    await worker.start();
    try {
      const json = Serdes.Json<{ n: number }>();
      await kit.produceRaw([
        {
          topic: input,
          partition: 0,
          key: string.serialize('good-1'),
          value: json.serialize({ n: 1 }),
          timestamp: Date.now(),
          headers: {},
        },
        {
          topic: input,
          partition: 0,
          key: string.serialize('poison'),
          value: new TextEncoder().encode('{not json'),
          timestamp: Date.now(),
          headers: { trace: 't-1' },
        },
        {
          topic: input,
          partition: 0,
          key: string.serialize('good-2'),
          value: json.serialize({ n: 2 }),
          timestamp: Date.now(),
          headers: {},
        },
      ]);
      const out = await kit.readUntil(output, (r) => r.length >= 2);
      expect(out.map((r) => json.deserialize(r.value!).n)).toEqual([2, 4]);
      const [dead] = await kit.readUntil(`${app}-dlq`, (r) => r.length >= 1);
      expect(new TextDecoder().decode(dead!.value!)).toBe('{not json');
      expect(string.deserialize(dead!.key!)).toBe('poison');
      const header = (name: string) => Buffer.from(dead!.headers[name] as Uint8Array).toString();
      expect(header(DeadLetterHeaders.sourceTopic)).toBe(input);
      expect(header(DeadLetterHeaders.sourcePartition)).toBe('0');
      expect(header(DeadLetterHeaders.sourceOffset)).toBe('1');
      expect(header(DeadLetterHeaders.errorCode)).toBe('TRIB_SERDE');
      expect(header(DeadLetterHeaders.errorMessage)).toMatch(
        /cannot deserialize the value .* offset 1.*not valid JSON/,
      );
      expect(header('trace')).toBe('t-1');
    } finally {
      await worker.stop();
    }
  });

  it('sends the consumed record to the dead-letter topic when a sink under the source cannot serialize its output', async () => {
    const [input, output, app] = [uniqueName('amounts'), uniqueName('copied'), uniqueName('pdlq')];
    await kit.createTopics({ [input]: 1, [output]: 1 });
    const json = Serdes.Json<{ n: number }>();
    const positive: Serde<{ n: number }> = {
      name: 'positive',
      serialize: (value, context) => {
        if (value.n < 0) throw new SerdeError(`n: expected a positive number, got ${value.n}`);
        return json.serialize(value, context);
      },
      deserialize: (bytes, context) => json.deserialize(bytes, context),
    };
    const builder = new StreamsBuilder();
    builder
      .stream(input, { keySerde: string, valueSerde: json })
      .to(output, { keySerde: string, valueSerde: positive });
    const worker = startWorker(app, builder.build(), stateDir(), { 'on-production-error': 'dead-letter' });
    await worker.start();
    try {
      await kit.produce(input, string, json, [
        { key: 'good-1', value: { n: 1 } },
        { key: 'negative', value: { n: -5 } },
        { key: 'good-2', value: { n: 2 } },
      ]);
      const out = await kit.readUntil(output, (r) => r.length >= 2);
      expect(out.map((r) => string.deserialize(r.key!))).toEqual(['good-1', 'good-2']);
      const [dead] = await kit.readUntil(`${app}-dlq`, (r) => r.length >= 1);
      expect(string.deserialize(dead!.key!)).toBe('negative');
      expect(json.deserialize(dead!.value!)).toEqual({ n: -5 });
      const header = (name: string) => Buffer.from(dead!.headers[name] as Uint8Array).toString();
      expect(header(DeadLetterHeaders.sourceTopic)).toBe(input);
      expect(header(DeadLetterHeaders.sourceOffset)).toBe('1');
      expect(header(DeadLetterHeaders.errorCode)).toBe('TRIB_SERDE');
      expect(header(DeadLetterHeaders.errorProcessor)).toMatch(/^KSTREAM-SINK-/);
      expect(header(DeadLetterHeaders.errorMessage)).toBe(
        `sink "${header(DeadLetterHeaders.errorProcessor)}" cannot serialize the value of the record from ` +
          `topic "${input}" partition 0 offset 1 for topic "${output}": n: expected a positive number, got -5`,
      );
    } finally {
      await worker.stop();
    }
  });
});
