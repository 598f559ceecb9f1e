import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder } from 'tributary';
import { KAFKA_CLIENTS } from '../../src/kafka/connection.ts';
import { createLogger } from '../../src/runtime/logging.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();
const logger = process.env.TEST_LOG ? createLogger({ level: 'debug', format: 'json' }) : silentLogger;
const string = Serdes.String();

describe.skipIf(!brokers).each(KAFKA_CLIENTS)('exactly-once commits, through %s', (client) => {
  let kit: KafkaKit;
  let stateDir: string;

  beforeAll(() => {
    kit = new KafkaKit(brokers, undefined, undefined, client);
    stateDir = join(tmpdir(), uniqueName('tributary-eos-commits'));
  });
  afterAll(async () => {
    await kit.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('commits back to back a task that consumes without producing (offsets alone in the transaction)', async () => {
    const [input, output, app] = [uniqueName('quiet-in'), uniqueName('quiet-out'), uniqueName('quiet')];
    await kit.createTopics({ [input]: 2, [output]: 1 });
    const builder = new StreamsBuilder();
    builder
      .stream(input, { keySerde: string, valueSerde: string })
      .filter((_key, value) => value === 'keep')
      .to(output, { keySerde: string, valueSerde: string });
    const config = loadWorkerConfig({
      // Commits as often as the loop allows: each transaction holds only the consumed offsets, so it
      // begins right after the coordinator finished (or is still finishing) the previous one.
      flags: { brokers, 'state-dir': stateDir, guarantee: 'exactly-once', 'commit-interval-ms': '1' },
      env: {},
    });
    const worker = new Worker([{ applicationId: app, topology: builder.build() }], config, kit.port, logger);
    await worker.start();
    const failed = worker.run().then(
      () => undefined,
      (error: unknown) => error,
    );
    try {
      await kit.produceOverTime(
        input,
        string,
        string,
        Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: i === 2999 ? 'keep' : 'drop' })),
        { chunk: 10, pauseMs: 0 },
      );
      const [kept] = await Promise.race([
        kit.readUntil(output, (r) => r.length >= 1, { readCommitted: true }),
        failed.then((error) => Promise.reject(error instanceof Error ? error : new Error('worker stopped'))),
      ]);
      expect(string.deserialize(kept!.value!)).toBe('keep');
      // Every consumed offset got committed, through many transactions that held nothing else.
      const committed = async () => [...(await kit.admin.committedOffsets(app, input)).values()];
      const deadline = Date.now() + 20_000;
      while ((await committed()).reduce((sum, c) => sum + Number(c.offset), 0) < 3000) {
        if (Date.now() > deadline) throw new Error('offsets not committed');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(
        await Promise.race([failed, new Promise((resolve) => setTimeout(() => resolve('running'), 10))]),
      ).toBe('running');
    } finally {
      await worker.stop();
    }
  });
});
