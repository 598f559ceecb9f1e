import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import type { EventLogPort, OutgoingRecord } from '../../src/kafka/port.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { interceptingBatches } from '../support/port-overrides.ts';

const brokers = kafkaBrokers();
const string = Serdes.String();
/** 100 record batches of 20 records of 100-byte values: about 2.3 KB a batch, 230 KB in all. */
const BATCHES = 100;
const PER_BATCH = 20;
const VALUE = 'v'.repeat(100);
const FETCH_BYTES = 8 * 1024;

function copy(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(input, { keySerde: string, valueSerde: string })
    .to(output, { keySerde: string, valueSerde: string });
  return builder.build();
}

/** The broker's event log, noting the record bytes of every batch its group consumers deliver. */
function measuringBatches(port: EventLogPort, batchBytes: number[]): EventLogPort {
  return interceptingBatches(port, (handlers) => ({
    ...handlers,
    onBatch: (batch) => {
      let bytes = 0;
      for (const r of batch.records) bytes += (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);
      if (batch.records.length > 0) batchBytes.push(bytes);
      handlers.onBatch(batch);
    },
  }));
}

describe.skipIf(!brokers)('a worker with a small max-partition-fetch-bytes', () => {
  let kit: KafkaKit;
  const stateDirs: string[] = [];

  beforeAll(() => {
    kit = new KafkaKit(brokers);
  });
  afterAll(async () => {
    await kit.close();
    for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
  });

  it('fetches a backlog in pieces of about that size and processes all of it, in order', async () => {
    const [input, output, applicationId] = [
      uniqueName('fetched'),
      uniqueName('copied'),
      uniqueName('fetching'),
    ];
    await kit.createTopics({ [input]: 1, [output]: 1 });
    const now = Date.now();
    for (let b = 0; b < BATCHES; b++) {
      const batch: OutgoingRecord[] = Array.from({ length: PER_BATCH }, (_, i) => ({
        topic: input,
        partition: 0,
        key: string.serialize(`k${b * PER_BATCH + i}`),
        value: string.serialize(VALUE),
        timestamp: now,
        headers: {},
      }));
      // One send per record batch, so the backlog lies in many small batches on the broker.
      await kit.produceRaw(batch);
    }
    const stateDir = join(tmpdir(), uniqueName('tributary-fetch-size'));
    stateDirs.push(stateDir);
    const config = loadWorkerConfig({
      flags: {
        brokers,
        'state-dir': stateDir,
        'commit-interval-ms': '200',
        'max-partition-fetch-bytes': String(FETCH_BYTES),
      },
      env: {},
    });
    const batchBytes: number[] = [];
    const worker = new Worker(
      [{ applicationId, topology: copy(input, output) }],
      config,
      measuringBatches(kit.port, batchBytes),
      silentLogger,
    );
    try {
      await worker.start();
      const copied = await kit.readUntil(output, (records) => records.length >= BATCHES * PER_BATCH);
      expect(copied.map((r) => string.deserialize(r.key!))).toEqual(
        Array.from({ length: BATCHES * PER_BATCH }, (_, i) => `k${i}`),
      );
      // At the client's default (1 MiB) the whole backlog came in one or two fetches.
      expect(batchBytes.length).toBeGreaterThanOrEqual(20);
      expect(Math.max(...batchBytes)).toBeLessThanOrEqual(FETCH_BYTES);
    } finally {
      await worker.stop();
    }
  }, 120_000);
});
