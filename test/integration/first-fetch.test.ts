import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import type { EventLogPort, GroupConsumerPort, RecordBatch } from '../../src/kafka/port.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig, type ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { eventually } from '../support/eventually.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();
const string = Serdes.String();
/** How long the table partition's records are held back after the first order arrives. */
const TABLE_DELAY_MS = 1_500;

function pricedOrders(orders: string, prices: string, output: string): Topology {
  const builder = new StreamsBuilder();
  const table = builder.table(prices, { keySerde: string, valueSerde: string, storeName: 'prices' });
  builder
    .stream(orders, { keySerde: string, valueSerde: string })
    .leftJoin(table, (order, price) => `${order} at ${price ?? 'no price'}`)
    .to(output, { keySerde: string, valueSerde: string });
  return builder.build();
}

/**
 * The broker's event log, except that the group consumer hands over the records of `heldTopic` only
 * TABLE_DELAY_MS after the first records of any other topic: as when that partition's first fetch
 * comes later (another leader, a fetch filled by the other partitions). Nothing is dropped or reordered
 * within a partition; the held batches go over in fetch order.
 */
function holdingBack(port: EventLogPort, heldTopic: string): EventLogPort {
  const groupConsumer = (options: Parameters<EventLogPort['groupConsumer']>[0]): GroupConsumerPort => {
    const consumer = port.groupConsumer(options);
    return {
      ...consumer,
      pause: (partitions) => consumer.pause(partitions),
      resume: (partitions) => consumer.resume(partitions),
      seek: (position) => consumer.seek(position),
      commit: (offsets, commitOptions) => consumer.commit(offsets, commitOptions),
      rejoin: () => consumer.rejoin(),
      stop: () => consumer.stop(),
      start: (handlers) => {
        let held: RecordBatch[] | undefined = [];
        let releasing: NodeJS.Timeout | undefined;
        return consumer.start({
          ...handlers,
          onBatch: (batch) => {
            if (held && batch.topic === heldTopic) return void held.push(batch);
            if (held && batch.records.length > 0)
              releasing ??= setTimeout(() => {
                const batches = held ?? [];
                held = undefined;
                for (const b of batches) handlers.onBatch(b);
              }, TABLE_DELAY_MS);
            handlers.onBatch(batch);
          },
        });
      },
    };
  };
  return {
    description: port.description,
    groupFencedOffsets: port.groupFencedOffsets,
    admin: () => port.admin(),
    groupConsumer,
    partitionReader: (options) => port.partitionReader(options),
    producer: (options) => port.producer(options),
    transactionalProducer: (options) => port.transactionalProducer(options),
  };
}

describe.skipIf(!brokers)('a task whose table partition is fetched after its stream partition', () => {
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
    'waits for the table partition and joins the order with its price (%s)',
    async (guarantee) => {
      const [orders, prices, output, applicationId] = [
        uniqueName('orders'),
        uniqueName('prices'),
        uniqueName('priced'),
        uniqueName('pricing'),
      ];
      await kit.createTopics({ [orders]: 1, [prices]: 1, [output]: 1 });
      const stateDir = join(tmpdir(), uniqueName('tributary-first-fetch'));
      stateDirs.push(stateDir);
      const config = loadWorkerConfig({
        flags: { brokers, 'state-dir': stateDir, guarantee, 'commit-interval-ms': '100' },
        env: {},
      });
      const worker = new Worker(
        [{ applicationId, topology: pricedOrders(orders, prices, output) }],
        config,
        holdingBack(kit.port, prices),
        silentLogger,
      );
      try {
        await worker.start();
        // The task runs, its table restored, while both partitions are empty: neither is fetched with
        // anything before the price and the order are written.
        const [runner] = worker.runners;
        await eventually(async () => {
          expect(runner!.state).toBe('running');
          expect(runner!.activeTasks.size).toBe(1);
        });
        const now = Date.now();
        await kit.produce(prices, string, string, [{ key: 'apple', value: '3 EUR', timestamp: now }]);
        await kit.produce(orders, string, string, [{ key: 'apple', value: 'order 1', timestamp: now + 1 }]);
        const priced = await kit.readUntil(output, (records) => records.length >= 1);
        expect(priced.map((r) => string.deserialize(r.value!))).toEqual(['order 1 at 3 EUR']);
      } finally {
        await worker.stop();
      }
    },
    120_000,
  );
});
