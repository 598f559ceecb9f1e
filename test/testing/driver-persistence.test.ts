import { toOffset } from '../../src/common/offset.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, type TimestampedKeyValueStore } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { openStore } from '../../src/state/managed-store.ts';

const events = defineTopic('events', Serdes.String(), Serdes.String());

describe('the driver persists its LevelDB stores in the background', () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
    directory = undefined;
  });

  it('after flush, the disk holds every write with the latest changelog offset as checkpoint', async () => {
    directory = await mkdtemp(join(tmpdir(), 'tributary-persist-'));
    const builder = new StreamsBuilder();
    builder.stream(events).groupByKey().count({ storeName: 'counts' });
    const topology = builder.build();
    const driver = await TopologyTestDriver.create(topology, { stateDir: directory });
    const input = driver.createInputTopic(events);
    // Many commits between writes to disk: they are coalesced, and none may be lost.
    for (let i = 0; i < 500; i++) input.pipeInput(`k${i % 7}`, 'x', i);
    await driver.flush();
    const changelog = driver.createOutputTopic('test-app-counts-changelog', Serdes.String(), Serdes.Long());
    const logged = changelog.readRecordsToList().length;
    await driver.close();

    const reopened = await openStore(topology.stores.get('counts')!, {
      directory: join(directory, 'test-app', '0_0'),
      now: () => 0,
    });
    const store = reopened.store as TimestampedKeyValueStore<string, number>;
    expect(reopened.checkpoint).toBe(toOffset(logged));
    expect(store.get('k0')).toEqual({ value: 72, timestamp: 497 });
    expect(store.get('k6')).toEqual({ value: 71, timestamp: 496 });
    expect(store.approximateNumEntries()).toBe(7);
    await reopened.close();
  });

  it('checkpoints a table read from a topic at the next offset processed, as a worker does', async () => {
    directory = await mkdtemp(join(tmpdir(), 'tributary-persist-'));
    const prices = defineTopic('prices', Serdes.String(), Serdes.String());
    const builder = new StreamsBuilder();
    builder.table(prices, { storeName: 'prices-table' });
    const topology = builder.build();
    const driver = await TopologyTestDriver.create(topology, { stateDir: directory });
    const input = driver.createInputTopic(prices);
    for (let i = 0; i < 5; i++) input.pipeInput(`p${i}`, String(i), i);
    await driver.close();

    const reopened = await openStore(topology.stores.get('prices-table')!, {
      directory: join(directory, 'test-app', '0_0'),
      now: () => 0,
    });
    expect(reopened.checkpoint).toBe(5n);
    await reopened.close();
  });

  it('rebuilds a global store from its topic at start, as a worker does: nothing of an earlier run stays', async () => {
    directory = await mkdtemp(join(tmpdir(), 'tributary-persist-'));
    const customers = defineTopic('customers', Serdes.String(), Serdes.String());
    const topology = () => {
      const builder = new StreamsBuilder();
      builder.globalTable(customers, { storeName: 'customers-store' });
      builder.stream(events).to('events-out');
      return builder.build();
    };
    const first = await TopologyTestDriver.create(topology(), { stateDir: directory });
    first.createInputTopic(customers).pipeInput('c1', 'Ada', 1);
    expect(first.getKeyValueStore<string, string>('customers-store').get('c1')).toBe('Ada');
    await first.close();

    const second = await TopologyTestDriver.create(topology(), { stateDir: directory });
    try {
      expect(second.getKeyValueStore<string, string>('customers-store').get('c1')).toBeUndefined();
    } finally {
      await second.close();
    }
  });
});
