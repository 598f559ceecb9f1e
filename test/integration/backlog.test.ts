import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import type { OutgoingRecord } from '../../src/kafka/port.ts';
import { createLogger } from '../../src/runtime/logging.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig, type ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { eventually } from '../support/eventually.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();
const logger = process.env.TEST_LOG ? createLogger({ level: 'debug', format: 'json' }) : silentLogger;
const string = Serdes.String();

/**
 * A backlog of distinct keys with 1 KB values on one partition: every record changes another key of
 * the store, so the changelog records of one commit interval add up to tens of megabytes for one
 * changelog partition, far beyond the broker's default message limit (1 MiB).
 */
const KEYS = 30_000;
const VALUE = 'v'.repeat(1_000);

function latestPerKey(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(input, { keySerde: string, valueSerde: string })
    .groupByKey()
    .reduce((_old, value) => value, { storeName: 'latest' })
    .toStream()
    .to(output, { keySerde: string, valueSerde: string });
  return builder.build();
}

describe.skipIf(!brokers)('a worker catching up on a backlog, at the default commit interval', () => {
  let kit: KafkaKit;
  const stateDirs: string[] = [];

  beforeAll(() => {
    kit = new KafkaKit(brokers);
  });
  afterAll(async () => {
    await kit.close();
    await Promise.all(stateDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it.each<ProcessingGuarantee>(['at-least-once', 'exactly-once'])(
    'sends its changelog in requests the broker accepts and commits the whole backlog (%s)',
    async (guarantee) => {
      const [input, output, app] = [uniqueName('backlog'), uniqueName('latest'), uniqueName('backlog')];
      await kit.createTopics({ [input]: 1, [output]: 1 });
      const now = Date.now();
      const records: OutgoingRecord[] = Array.from({ length: KEYS }, (_, i) => ({
        topic: input,
        partition: 0,
        key: string.serialize(`key-${i}`),
        value: string.serialize(VALUE),
        timestamp: now,
        headers: {},
      }));
      // Pre-loaded in chunks well under the broker's limit, whatever the producer does with a large send.
      for (let at = 0; at < records.length; at += 500) await kit.produceRaw(records.slice(at, at + 500));

      const stateDir = join(tmpdir(), uniqueName('tributary-backlog'));
      stateDirs.push(stateDir);
      // No commit interval given: the default of the guarantee (30 s at-least-once, 100 ms exactly-once).
      const config = loadWorkerConfig({ flags: { brokers, 'state-dir': stateDir, guarantee }, env: {} });
      const worker = new Worker(
        [{ applicationId: app, topology: latestPerKey(input, output) }],
        config,
        kit.port,
        logger,
      );
      let failure: unknown;
      const running = worker.run().catch((error: unknown) => (failure = error));
      try {
        await worker.start();
        // The group's committed offset reaches the end of the backlog: commits went through.
        await eventually(
          async () => {
            if (failure) throw new Error(`the worker failed: ${String(failure)}`);
            const committed = (await kit.admin.committedOffsets(app, input)).get(0)?.offset;
            expect(committed).toBe(BigInt(KEYS));
          },
          { timeoutMs: 120_000, intervalMs: 500, stopWhen: () => failure !== undefined },
        );
        const changelog = await kit.readUntil(`${app}-latest-changelog`, (r) => r.length >= KEYS, {
          readCommitted: true,
        });
        expect(new Set(changelog.map((r) => string.deserialize(r.key!))).size).toBe(KEYS);
        const latest = await kit.readUntil(output, (r) => r.length >= KEYS, { readCommitted: true });
        expect(latest).toHaveLength(KEYS);
        expect(failure).toBeUndefined();
      } finally {
        await worker.stop();
        await running;
      }
    },
    180_000,
  );

  it('fails with an error naming topic, partition and size when a record is larger than the topic accepts', async () => {
    const [input, output, app] = [uniqueName('sizes'), uniqueName('blown-up'), uniqueName('too-large')];
    await kit.createTopics({ [input]: 2, [output]: 2 });
    const builder = new StreamsBuilder();
    builder
      .stream(input, { keySerde: string, valueSerde: string })
      .mapValues((size) => 'x'.repeat(Number(size)))
      .to(output, { keySerde: string, valueSerde: string });
    const stateDir = join(tmpdir(), uniqueName('tributary-backlog'));
    stateDirs.push(stateDir);
    const config = loadWorkerConfig({ flags: { brokers, 'state-dir': stateDir }, env: {} });
    const worker = new Worker([{ applicationId: app, topology: builder.build() }], config, kit.port, logger);
    const running = worker.run();
    running.catch(() => undefined);
    try {
      await worker.start();
      await kit.produceRaw([
        {
          topic: input,
          partition: 1,
          key: string.serialize('huge'),
          value: string.serialize(String(2 * 1024 * 1024)),
          timestamp: Date.now(),
          headers: {},
        },
      ]);
      await expect(running).rejects.toThrow(
        new RegExp(
          `record for topic "${output}" partition [01] takes 2097\\d{3} bytes .* more than the 1048588 bytes`,
        ),
      );
      await expect(running).rejects.toMatchObject({ code: 'TRIB_RECORD_TOO_LARGE' });
    } finally {
      await worker.stop();
    }
  });

  it("sends to a topic in batches within the topic's own max.message.bytes, and refuses a record above it", async () => {
    const topic = uniqueName('small-messages');
    await kit.admin.createTopics([{ topic, partitions: 2, config: { 'max.message.bytes': '65536' } }]);
    const records: OutgoingRecord[] = Array.from({ length: 2_000 }, (_, i) => ({
      topic,
      partition: i % 2,
      key: string.serialize(`k${i}`),
      value: string.serialize(VALUE),
      timestamp: Date.now(),
      headers: {},
    }));
    await kit.produceRaw(records);
    expect(await kit.readUntil(topic, (r) => r.length >= records.length)).toHaveLength(records.length);
    await expect(
      kit.produceRaw([{ ...records[0]!, partition: 1, value: string.serialize('x'.repeat(70_000)) }]),
    ).rejects.toThrow(
      new RegExp(`record for topic "${topic}" partition 1 takes 700\\d\\d bytes .* 65536 bytes`),
    );
  });
});
