import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  Stores,
  StreamsBuilder,
  TimeWindows,
  defineTopic,
  type ValueAndTimestamp,
  type WindowStore,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { openStore } from '../../src/state/managed-store.ts';

const events = defineTopic('events', Serdes.String(), Serdes.String());

describe('timestamped window stores (windowed aggregations)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function windowedCount() {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(100, 50))
      .count({ storeName: 'counts' });
    const topology = builder.build();
    driver = await TopologyTestDriver.create(topology);
    return { topology, driver, input: driver.createInputTopic(events) };
  }

  it('logs the bare value with the window’s own timestamp, not an 8-byte prefix', async () => {
    const { driver, input } = await windowedCount();
    input.pipeInput('a', 'x', 30);
    // Out of order within the window: the row keeps 30, the largest timestamp aggregated into it.
    input.pipeInput('a', 'x', 10);
    const changelog = driver.createOutputTopic('test-app-counts-changelog', Serdes.Bytes(), Serdes.Bytes());
    const records = changelog.readRecordsToList();
    expect(records).toHaveLength(2);
    const last = records.at(-1)!;
    // Exactly what Kafka's LongSerializer writes for 2: no timestamp in front of it.
    expect(Buffer.from(last.value!).toString('hex')).toBe('0000000000000002');
    expect(last.timestamp).toBe(30);
  });

  it('the driver shows plain values; getTimestampedWindowStore shows them with their timestamps', async () => {
    const { driver, input } = await windowedCount();
    input.pipeInput('a', 'x', 30);
    input.pipeInput('a', 'x', 10);
    input.pipeInput('a', 'x', 120);
    expect(driver.getWindowStore<string, number>('counts').fetch('a', 0)).toBe(2);
    expect([...driver.getWindowStore<string, number>('counts').fetchWindows('a', 0, 1000)]).toEqual([
      { windowStart: 0, value: 2 },
      { windowStart: 100, value: 1 },
    ]);
    expect([...driver.getWindowStore<string, number>('counts').all()].map((e) => e.value)).toEqual([2, 1]);
    expect(driver.getTimestampedWindowStore<string, number>('counts').fetch('a', 0)).toEqual({
      value: 2,
      timestamp: 30,
    });
  });

  it('the store spec says so, in describe() and in its JSON form', async () => {
    const { topology } = await windowedCount();
    const spec = topology.stores.get('counts')!;
    expect(spec).toMatchObject({ kind: 'window', timestamped: true, valueSerde: { name: 'long' } });
    const store = topology
      .describe()
      .toJSON()
      .stores.find((s) => s.name === 'counts');
    expect(store).toMatchObject({ kind: 'window', timestamped: true, valueSerde: 'long' });
  });

  it('restores {value, timestamp} from bare changelog values and logs in the same form', async () => {
    const spec = Stores.timestampedWindow({
      name: 'w',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      windowSizeMs: 100,
      retentionMs: 1000,
      backend: 'memory',
    });
    let now = 0;
    const managed = await openStore(spec, { directory: undefined, now: () => now });
    const store = managed.store as WindowStore<string, ValueAndTimestamp<number>>;
    now = 99; // the record being processed; the row's own timestamp must win
    store.put('k', { value: 7, timestamp: 42 }, 0);
    const [logged] = managed.drainChangelog();
    expect(Buffer.from(logged!.value!).toString('hex')).toBe('0000000000000007');
    expect(logged!.timestamp).toBe(42);

    const restored = await openStore(spec, { directory: undefined, now: () => 0 });
    restored.restore([logged!]);
    expect((restored.store as WindowStore<string, ValueAndTimestamp<number>>).fetch('k', 0)).toEqual({
      value: 7,
      timestamp: 42,
    });
    // A delete restores as a delete.
    restored.restore([{ ...logged!, value: null }]);
    expect((restored.store as WindowStore<string, ValueAndTimestamp<number>>).fetch('k', 0)).toBeUndefined();
    await managed.close();
    await restored.close();
  });

  it('plain window stores still log their stored value as is', async () => {
    const spec = Stores.window({
      name: 'w',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      windowSizeMs: 100,
      retentionMs: 1000,
      backend: 'memory',
    });
    const managed = await openStore(spec, { directory: undefined, now: () => 55 });
    (managed.store as WindowStore<string, number>).put('k', 7, 0);
    const [logged] = managed.drainChangelog();
    expect(Buffer.from(logged!.value!).toString('hex')).toBe('0000000000000007');
    expect(logged!.timestamp).toBe(55);
    await managed.close();
  });
});
