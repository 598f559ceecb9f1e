import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  SessionWindows,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  defineTopic,
  keyValue,
  type Windowed,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const events = defineTopic('events', Serdes.String(), Serdes.String());
const counts = defineTopic('counts', Serdes.String(), Serdes.Long());
const regions = defineTopic('regions', Serdes.String(), Serdes.String());

describe('suppress until a time limit (Suppressed.untilTimeLimit)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function suppressedCounts(suppressed: Suppressed, partitions = 1) {
    const builder = new StreamsBuilder();
    builder.stream(events).groupByKey().count().suppress(suppressed).toStream().to(counts);
    driver = await TopologyTestDriver.create(builder.build(), { partitions });
    return { input: driver.createInputTopic(events), output: driver.createOutputTopic(counts) };
  }

  it('emits only the latest value of a key, once stream time reaches its first update + the limit; later updates do not restart the wait', async () => {
    const { input, output } = await suppressedCounts(Suppressed.untilTimeLimit(10));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 5);
    input.pipeInput('b', 'x', 9);
    expect(output.readRecordsToList()).toEqual([]);
    input.pipeInput('b', 'x', 10);
    // Due at 0 + 10, not 5 + 10: the second update replaced the value, it did not postpone it.
    expect(output.readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([['a', 2, 5]]);
    input.pipeInput('c', 'x', 19);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'b', value: 2 }]);
  });

  it('emits in order of due time, and each buffered key once', async () => {
    const { input, output } = await suppressedCounts(Suppressed.untilTimeLimit(100));
    input.pipeInput('late', 'x', 30);
    input.pipeInput('early', 'x', 20);
    input.pipeInput('early', 'x', 40);
    input.pipeInput('late', 'x', 45);
    input.pipeInput('tick', 'x', 500);
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'early', value: 2 },
      { key: 'late', value: 2 },
    ]);
    input.pipeInput('tick2', 'x', 1000);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'tick', value: 1 }]);
  });

  it("stream time is per task: a record on another partition does not release this partition's buffer", async () => {
    const { input, output } = await suppressedCounts(Suppressed.untilTimeLimit(10), 2);
    input.pipeRecord({ key: 'a', value: 'x', timestamp: 0, partition: 0 });
    input.pipeRecord({ key: 'b', value: 'x', timestamp: 100, partition: 1 });
    expect(output.readKeyValuesToList()).toEqual([]);
    input.pipeRecord({ key: 'c', value: 'x', timestamp: 100, partition: 0 });
    expect(output.readKeyValuesToList()).toEqual([{ key: 'a', value: 1 }]);
  });

  it('a full buffer set to emit early emits its oldest entries (BufferConfig emitEarlyWhenFull)', async () => {
    const { input, output } = await suppressedCounts(
      Suppressed.untilTimeLimit(1000, { maxRecords: 2, whenFull: 'emit-early' }),
    );
    input.pipeInput('a', 'x', 1);
    input.pipeInput('b', 'x', 2);
    input.pipeInput('b', 'x', 3);
    expect(output.readKeyValuesToList()).toEqual([]);
    input.pipeInput('c', 'x', 4);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'a', value: 1 }]);
  });

  it('a full buffer set to shut down stops processing with an error naming the suppression', async () => {
    const { input } = await suppressedCounts(
      Suppressed.untilTimeLimit(1000, { maxRecords: 1, whenFull: 'shutdown' }),
    );
    input.pipeInput('a', 'x', 1);
    input.pipeInput('a', 'x', 2);
    expect(() => input.pipeInput('b', 'x', 3)).toThrow(/KTABLE-SUPPRESS-\d+: the suppression buffer is full/);
  });

  it('the emitted old value is what downstream last saw, so a downstream aggregation retracts exactly what it added', async () => {
    const builder = new StreamsBuilder();
    builder
      .table(regions)
      .suppress(Suppressed.untilTimeLimit(10))
      .groupBy((_user, region) => keyValue(region, region), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.String(),
      })
      .count({ storeName: 'users-per-region' })
      .toStream()
      .to(counts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(regions);
    input.pipeInput('u2', 'us', 0);
    input.pipeInput('tick', 'none', 10);
    // u1 moves eu -> us -> fr while held back: downstream only ever sees fr, and us keeps u2.
    input.pipeInput('u1', 'eu', 11);
    input.pipeInput('u1', 'us', 12);
    input.pipeInput('u1', 'fr', 13);
    input.pipeInput('tick', 'none', 30);
    const store = driver.getKeyValueStore<string, number>('users-per-region');
    expect(store.get('us')).toBe(1);
    expect(store.get('fr')).toBe(1);
    expect(store.get('eu')).toBeUndefined();
  });

  // Kafka Streams' time-limit suppression does not drop deletes (only final results may): a key created
  // and deleted while held back leaves as a delete too.
  it('emits deletes held back by a time limit, also of a key downstream never saw', async () => {
    const builder = new StreamsBuilder();
    builder
      .table(regions)
      .suppress(Suppressed.untilTimeLimit(10))
      .toStream()
      .to(regions.name + '-out', {
        keySerde: Serdes.String(),
        valueSerde: Serdes.String(),
      });
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(regions);
    const output = driver.createOutputTopic('regions-out', Serdes.String(), Serdes.String());
    input.pipeInput('seen', 'eu', 0);
    input.pipeInput('tick', 'x', 10);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'seen', value: 'eu' }]);
    input.pipeInput('seen', null, 11);
    input.pipeInput('never', 'eu', 11);
    input.pipeInput('never', null, 12);
    input.pipeInput('tick', 'y', 30);
    // tick (due at 10) goes first with its latest value; then the keys due at 11, by serialized key.
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'tick', value: 'y' },
      { key: 'never', value: null },
      { key: 'seen', value: null },
    ]);
  });

  it('held-back updates survive a restart: the buffer is a store, and its time order is rebuilt from it', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'suppress-restart-'));
    try {
      const topology = () => {
        const builder = new StreamsBuilder();
        builder
          .stream(events)
          .groupByKey()
          .count()
          .suppress(Suppressed.untilTimeLimit(10))
          .toStream()
          .to(counts);
        return builder.build();
      };
      driver = await TopologyTestDriver.create(topology(), { stateDir });
      driver.createInputTopic(events).pipeInput('b', 'x', 3);
      driver.createInputTopic(events).pipeInput('a', 'x', 1);
      await driver.close();
      driver = await TopologyTestDriver.create(topology(), { stateDir });
      driver.createInputTopic(events).pipeInput('c', 'x', 20);
      expect(driver.createOutputTopic(counts).readKeyValuesToList()).toEqual([
        { key: 'a', value: 1 },
        { key: 'b', value: 1 },
      ]);
    } finally {
      await driver?.close();
      driver = undefined;
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('suppress until windows close (Suppressed.untilWindowCloses: final results)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  const show = (records: { key: Windowed<string> | null; value: number | null }[]) =>
    records.map(({ key, value }) => `${key!.key}@[${key!.window.start},${key!.window.end}]=${value}`);

  async function finalCounts(windows: TimeWindows, partitions = 1) {
    const keySerde = Serdes.TimeWindowed(Serdes.String(), windows.sizeMs);
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(windows)
      .count()
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('final', { keySerde, valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build(), { partitions });
    return {
      input: driver.createInputTopic(events),
      output: driver.createOutputTopic('final', keySerde, Serdes.Long()),
    };
  }

  it('emits nothing while a window is open, then its final count exactly once when stream time reaches its end', async () => {
    const { input, output } = await finalCounts(TimeWindows.ofSizeWithNoGrace(10));
    input.pipeInput('a', 'x', 1);
    input.pipeInput('a', 'x', 2);
    input.pipeInput('a', 'x', 9);
    expect(output.readRecordsToList()).toEqual([]);
    input.pipeInput('b', 'x', 10);
    const records = output.readRecordsToList();
    expect(show(records)).toEqual(['a@[0,10]=3']);
    // The final result carries the timestamp of the window's last update.
    expect(records[0]!.timestamp).toBe(9);
    input.pipeInput('b', 'x', 15);
    input.pipeInput('a', 'x', 3); // late: the window has closed, nothing changes or is re-emitted
    expect(output.readRecordsToList()).toEqual([]);
    input.pipeInput('c', 'x', 20);
    expect(show(output.readKeyValuesToList())).toEqual(['b@[10,20]=2']);
  });

  it('with grace, the final result waits for window end + grace (late records within grace are included)', async () => {
    const { input, output } = await finalCounts(TimeWindows.ofSizeAndGrace(10, 5));
    input.pipeInput('a', 'x', 1);
    input.pipeInput('b', 'x', 12);
    input.pipeInput('a', 'x', 8);
    input.pipeInput('b', 'x', 14);
    expect(output.readRecordsToList()).toEqual([]);
    input.pipeInput('b', 'x', 15);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10]=2']);
  });

  it('hopping windows: each window is emitted once, in order of window end', async () => {
    const { input, output } = await finalCounts(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5));
    input.pipeInput('a', 'x', 7);
    input.pipeInput('a', 'x', 12);
    input.pipeInput('z', 'x', 30);
    // z's windows [25,35) and [30,40) are still open.
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10]=1', 'a@[5,15]=2', 'a@[10,20]=1']);
  });

  it('each partition closes its windows by its own stream time (4 partitions)', async () => {
    const { input, output } = await finalCounts(TimeWindows.ofSizeWithNoGrace(10), 4);
    input.pipeRecord({ key: 'a', value: 'x', timestamp: 1, partition: 0 });
    input.pipeRecord({ key: 'b', value: 'x', timestamp: 2, partition: 1 });
    input.pipeRecord({ key: 'tick', value: 'x', timestamp: 50, partition: 1 });
    expect(show(output.readKeyValuesToList())).toEqual(['b@[0,10]=1']);
    input.pipeRecord({ key: 'tick', value: 'x', timestamp: 50, partition: 0 });
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10]=1']);
  });

  it('session windows: a session is final once stream time passes its end + gap + grace; merged-away sessions are never emitted', async () => {
    const keySerde = Serdes.SessionWindowed(Serdes.String());
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 2))
      .count()
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('final', { keySerde, valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(events);
    const output = driver.createOutputTopic('final', keySerde, Serdes.Long());
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 8);
    input.pipeInput('b', 'x', 19);
    expect(output.readRecordsToList()).toEqual([]);
    input.pipeInput('b', 'x', 20);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,8]=2']);
  });

  it('a buffer of final results may not emit early when full (Kafka Streams allows only strict buffer configs here)', () => {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count()
      .suppress(Suppressed.untilWindowCloses({ maxRecords: 10, whenFull: 'emit-early' }));
    expect(() => builder.build()).toThrow(/cannot emit early when full/);
  });

  it('a full buffer of final results set to shut down fails processing', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count()
      .suppress(Suppressed.untilWindowCloses({ maxRecords: 1 }))
      .toStream()
      .to('final', { keySerde: Serdes.TimeWindowed(Serdes.String(), 10), valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(events);
    input.pipeInput('a', 'x', 1);
    expect(() => input.pipeInput('b', 'x', 2)).toThrow(/suppression buffer is full \(2 of at most 1 records/);
  });

  it('suppressing a table that is not windowed until windows close is rejected when the topology is built', () => {
    const builder = new StreamsBuilder();
    builder.stream(events).groupByKey().count().suppress(Suppressed.untilWindowCloses());
    expect(() => builder.build()).toThrow(/needs a windowed table/);
  });
});
