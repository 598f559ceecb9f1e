import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import { EmbeddedLog } from '../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../src/embedded/event-log.ts';
import type { OutgoingRecord } from '../../src/kafka/port.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig, type ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';

const string = Serdes.String();
const long = Serdes.Long();
const directories: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-embedded-worker-'));
  directories.push(dir);
  return dir;
}

function openLog(dir: string): EmbeddedLog {
  const log = EmbeddedLog.open(join(dir, 'log'));
  cleanups.push(() => log.close());
  return log;
}

function wordCount(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('words', { keySerde: string, valueSerde: string })
    .groupBy((_key, word) => word, { keySerde: string })
    // Caching off: every update reaches `counts`, so its record count shows nothing was counted twice
    // across a restart (the record cache would merge a word's updates between commits).
    .count({ storeName: 'word-counts', caching: false })
    .toStream()
    .to('counts', { keySerde: string, valueSerde: long });
  return builder.build();
}

function worker(
  log: EmbeddedLog,
  dir: string,
  topology: Topology,
  guarantee: ProcessingGuarantee = 'at-least-once',
  app = 'wc',
  flags: Record<string, string> = {},
) {
  const config = loadWorkerConfig({
    flags: { 'state-dir': join(dir, 'state'), guarantee, 'commit-interval-ms': '50', ...flags },
    env: {},
  });
  const w = new Worker([{ applicationId: app, topology }], config, embeddedEventLog(log), silentLogger);
  cleanups.push(() => w.stop());
  return w;
}

async function produceWords(log: EmbeddedLog, words: string[]): Promise<void> {
  const partitions = log.partitionCount('words')!;
  const records: OutgoingRecord[] = words.map((w, i) => {
    const key = string.serialize(`${w}-${i}`);
    return {
      topic: 'words',
      partition: partitionForKey(key, partitions),
      key,
      value: string.serialize(w),
      timestamp: Date.now(),
      headers: {},
    };
  });
  await embeddedEventLog(log).producer({}).send(records);
}

function counts(log: EmbeddedLog): { latest: Map<string, number>; records: number } {
  const latest = new Map<string, number>();
  let records = 0;
  for (let p = 0; p < log.partitionCount('counts')!; p++) {
    for (const r of log.partition('counts', p).read(0, true, 1_000_000, 1 << 30).records) {
      latest.set(string.deserialize(r.key!), long.deserialize(r.value!));
      records++;
    }
  }
  return { latest, records };
}

async function expectCounts(log: EmbeddedLog, expected: Record<string, number>): Promise<void> {
  await vi.waitFor(() => expect(Object.fromEntries(counts(log).latest)).toEqual(expected), {
    timeout: 10_000,
    interval: 20,
  });
}

describe('a worker on the embedded log', () => {
  it.each<ProcessingGuarantee>(['at-least-once', 'exactly-once'])(
    'counts words through a repartition topic and a LevelDB store, and keeps counting after a restart (%s)',
    async (guarantee) => {
      const dir = directory();
      const log = openLog(dir);
      log.createTopic('words', 3);
      log.createTopic('counts', 3);
      let w = worker(log, dir, wordCount(), guarantee);
      await w.start();
      await produceWords(log, ['apple', 'pear', 'apple', 'fig', 'pear', 'apple']);
      await expectCounts(log, { apple: 3, pear: 2, fig: 1 });
      expect(counts(log).records).toBe(6);
      expect(log.topicNames()).toEqual(
        ['counts', 'wc-word-counts-repartition', 'wc-word-counts-changelog', 'words'].sort(),
      );
      await w.stop();

      w = worker(log, dir, wordCount(), guarantee);
      await w.start();
      await produceWords(log, ['apple', 'kiwi']);
      await expectCounts(log, { apple: 4, pear: 2, fig: 1, kiwi: 1 });
      // Nothing from before the restart was processed again.
      expect(counts(log).records).toBe(8);
    },
  );

  it('survives a restart of the whole log: the stores are restored from changelogs kept on disk', async () => {
    const dir = directory();
    let log = openLog(dir);
    log.createTopic('words', 2);
    log.createTopic('counts', 2);
    let w = worker(log, dir, wordCount(), 'exactly-once');
    await w.start();
    await produceWords(log, ['a', 'b', 'a']);
    await expectCounts(log, { a: 2, b: 1 });
    await w.stop();
    log.close();
    // Lose the state directory: only the log survives.
    rmSync(join(dir, 'state'), { recursive: true, force: true });

    log = openLog(dir);
    w = worker(log, dir, wordCount(), 'exactly-once');
    await w.start();
    await produceWords(log, ['a']);
    await expectCounts(log, { a: 3, b: 1 });
  });

  it('shares the tasks between two workers of one application, with standbys, and moves them when one stops', async () => {
    const dir = directory();
    const log = openLog(dir);
    log.createTopic('words', 4);
    log.createTopic('counts', 4);
    const standbys = { 'standby-replicas': '1' };
    const first = worker(log, join(dir, 'first'), wordCount(), 'exactly-once', 'wc', standbys);
    const second = worker(log, join(dir, 'second'), wordCount(), 'exactly-once', 'wc', standbys);
    await Promise.all([first.start(), second.start()]);
    const active = (w: Worker) => w.runner('wc')!.assignment.active;
    const standby = (w: Worker) => w.runner('wc')!.assignment.standby;
    await vi.waitFor(
      () => {
        expect(active(first).length).toBeGreaterThan(0);
        expect(active(second).length).toBeGreaterThan(0);
        expect([...active(first), ...active(second)].sort()).toEqual([
          '0_0',
          '0_1',
          '0_2',
          '0_3',
          '1_0',
          '1_1',
          '1_2',
          '1_3',
        ]);
        // Each stateful task (the count) has a standby on the other worker, as the assignor decides.
        for (const task of ['1_0', '1_1', '1_2', '1_3']) {
          const [owner, other] = active(first).includes(task) ? [first, second] : [second, first];
          expect(standby(other)).toContain(task);
          expect(standby(owner)).not.toContain(task);
        }
      },
      { timeout: 10_000, interval: 20 },
    );
    await produceWords(log, ['x', 'y', 'x', 'z']);
    await expectCounts(log, { x: 2, y: 1, z: 1 });

    await second.stop();
    await vi.waitFor(() => expect(active(first)).toHaveLength(8), { timeout: 10_000, interval: 20 });
    await produceWords(log, ['y', 'z', 'z']);
    await expectCounts(log, { x: 2, y: 2, z: 3 });
  });

  it('loads a global table and joins a stream with it', async () => {
    const dir = directory();
    const log = openLog(dir);
    for (const topic of ['customers', 'orders', 'enriched']) log.createTopic(topic, 2);
    const port = embeddedEventLog(log);
    const send = (topic: string, key: string, value: string) => {
      const k = string.serialize(key);
      return port.producer({}).send([
        {
          topic,
          partition: partitionForKey(k, 2),
          key: k,
          value: string.serialize(value),
          timestamp: Date.now(),
          headers: {},
        },
      ]);
    };
    await send('customers', 'c1', 'Ada');
    const builder = new StreamsBuilder();
    const customers = builder.globalTable('customers', { keySerde: string, valueSerde: string });
    builder
      .stream('orders', { keySerde: string, valueSerde: string })
      .join(
        customers,
        (_k, customer) => customer,
        (order, name) => `${order} for ${name}`,
      )
      .to('enriched', { keySerde: string, valueSerde: string });
    const w = worker(log, dir, builder.build(), 'exactly-once', 'enrich');
    await w.start();
    await send('customers', 'c2', 'Grace');
    await send('orders', 'o1', 'c1');
    await send('orders', 'o2', 'c2');
    const enriched = () =>
      [0, 1]
        .flatMap((p) =>
          log
            .partition('enriched', p)
            .read(0, true, 100, 1 << 20)
            .records.map((r) => string.deserialize(r.value!)),
        )
        .sort();
    await vi.waitFor(() => expect(enriched()).toEqual(['c1 for Ada', 'c2 for Grace']), {
      timeout: 10_000,
      interval: 20,
    });
  });
});
