import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import type { EventLogPort, RecordBatch } from '../../src/kafka/port.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig, type ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { interceptingBatches } from '../support/port-overrides.ts';

const brokers = kafkaBrokers();
const string = Serdes.String();
/** How long the held-back partition's records are held back after the first records of another arrive. */
const HOLD_BACK_MS = 1_500;

/** Two streams merged in one task: what goes out, in order, is the order the task processed them in. */
function mergedStreams(early: string, late: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(early, { keySerde: string, valueSerde: string })
    .merge(builder.stream(late, { keySerde: string, valueSerde: string }))
    .to(output, { keySerde: string, valueSerde: string });
  return builder.build();
}

/**
 * The broker's event log, except that the group consumer hands over the records of `heldTopic` only
 * HOLD_BACK_MS after the first records of any other topic: as when that partition's first fetch
 * comes later (another leader, a fetch filled by the other partitions). Nothing is dropped or reordered
 * within a partition; the held batches go over in fetch order.
 */
function holdingBack(port: EventLogPort, heldTopic: string): EventLogPort {
  return interceptingBatches(port, (handlers) => {
    let held: RecordBatch[] | undefined = [];
    let releasing: NodeJS.Timeout | undefined;
    return {
      ...handlers,
      onBatch: (batch) => {
        if (held && batch.topic === heldTopic) return void held.push(batch);
        if (held && batch.records.length > 0)
          releasing ??= setTimeout(() => {
            const batches = held ?? [];
            held = undefined;
            for (const b of batches) handlers.onBatch(b);
          }, HOLD_BACK_MS);
        handlers.onBatch(batch);
      },
    };
  });
}

describe.skipIf(!brokers)('a task whose partition with the older record is fetched after another', () => {
  let kit: KafkaKit;
  const stateDirs: string[] = [];

  beforeAll(() => {
    kit = new KafkaKit(brokers);
  });
  afterAll(async () => {
    await kit.close();
    for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
  });

  it.each<ProcessingGuarantee>(['at-least-once', 'exactly-once'])(
    'waits for that partition, known to hold records when the task starts, and processes in timestamp order (%s)',
    async (guarantee) => {
      const [early, late, output, applicationId] = [
        uniqueName('early'),
        uniqueName('late'),
        uniqueName('merged'),
        uniqueName('merging'),
      ];
      await kit.createTopics({ [early]: 1, [late]: 1, [output]: 1 });
      // Written before the task starts, so the partitions' ends it lists show both hold a record; the
      // older one's partition is fetched HOLD_BACK_MS after the other's (another leader, a fetch filled
      // by other partitions), as in a catch-up.
      const now = Date.now();
      await kit.produce(early, string, string, [{ key: 'k', value: 'first', timestamp: now }]);
      await kit.produce(late, string, string, [{ key: 'k', value: 'second', timestamp: now + 1 }]);
      const stateDir = join(tmpdir(), uniqueName('tributary-first-fetch'));
      stateDirs.push(stateDir);
      const config = loadWorkerConfig({
        flags: { brokers, 'state-dir': stateDir, guarantee, 'commit-interval-ms': '100' },
        env: {},
      });
      const worker = new Worker(
        [{ applicationId, topology: mergedStreams(early, late, output) }],
        config,
        holdingBack(kit.port, early),
        silentLogger,
      );
      try {
        await worker.start();
        const merged = await kit.readUntil(output, (records) => records.length >= 2);
        expect(merged.map((r) => string.deserialize(r.value!))).toEqual(['first', 'second']);
      } finally {
        await worker.stop();
      }
    },
    120_000,
  );
});
