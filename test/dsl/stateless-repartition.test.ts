import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, type TimestampedKeyValueStore } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { murmur2 } from '../../src/runtime/partitioner.ts';

const input = defineTopic('in', Serdes.String(), Serdes.String());
const output = defineTopic('out', Serdes.String(), Serdes.String());
const partitionOf = (key: string, partitions: number) =>
  (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;

describe('repartitioning', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('repartition() with a partition count writes through <app>-<name>-repartition with that many partitions', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .selectKey((_k, v) => v)
      .repartition({ name: 'by-value', partitions: 4, keySerde: Serdes.String() })
      .to(output);
    const topology = builder.build();
    expect([...topology.internalTopics.values()]).toContainEqual(
      expect.objectContaining({ name: 'by-value-repartition', kind: 'repartition', partitions: 4 }),
    );
    driver = await TopologyTestDriver.create(topology, { partitions: 2 });
    const topic = driver.createInputTopic(input);
    const values = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const value of values) topic.pipeInput('k', value, 0);
    const repartitioned = driver
      .createOutputTopic('test-app-by-value-repartition', Serdes.String(), Serdes.String())
      .readRecordsToList();
    expect(repartitioned.map((r) => [r.key, r.partition])).toEqual(values.map((v) => [v, partitionOf(v, 4)]));
    // Everything comes out again, read back from the repartition topic.
    expect(driver.createOutputTopic(output).readKeyValuesToList()).toEqual(
      values.map((v) => ({ key: v, value: v })),
    );
  });

  it('repartition() with a custom partitioner puts each record where the partitioner says', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .repartition({
        name: 'by-length',
        partitions: 3,
        partitioner: (_topic, _key, value, partitions) => value.length % partitions,
      })
      .to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    for (const value of ['x', 'xx', 'xxx', 'xxxx']) topic.pipeInput('same-key', value, 0);
    const repartitioned = driver
      .createOutputTopic('test-app-by-length-repartition', Serdes.String(), Serdes.String())
      .readRecordsToList();
    expect(repartitioned.map((r) => [r.value, r.partition])).toEqual([
      ['x', 1],
      ['xx', 2],
      ['xxx', 0],
      ['xxxx', 1],
    ]);
  });

  it('repartition() without a count takes the partition count of its input', async () => {
    const builder = new StreamsBuilder();
    builder.stream(input).repartition({ name: 'plain' }).to(output);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 5 });
    driver.createInputTopic(input).pipeInput('k', 'v', 0);
    expect(
      driver.createOutputTopic('test-app-plain-repartition', Serdes.String(), Serdes.String()).readRecord()
        .partition,
    ).toBe(partitionOf('k', 5));
  });

  it('grouping after a key change goes through a repartition topic and lands each record by its new key', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .selectKey((_k, v) => v.split(':')[0]!)
      .mapValues((v) => v.split(':')[1]!) // keeps the key, so the repartition is still needed
      .groupByKey({ name: 'by-user', keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .count({ storeName: 'counts' })
      .toStream()
      .to('counts-out', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 3 });
    const topic = driver.createInputTopic(input);
    const events = ['ann:1', 'bob:2', 'ann:3', 'cat:4', 'bob:5', 'ann:6'];
    events.forEach((event, i) => topic.pipeInput(`event-${i}`, event, i));
    expect(driver.producedTopicNames()).toContain('test-app-by-user-repartition');
    const repartitioned = driver
      .createOutputTopic('test-app-by-user-repartition', Serdes.String(), Serdes.String())
      .readRecordsToList();
    expect(repartitioned.map((r) => [r.key, r.value, r.partition])).toEqual(
      events.map((e) => {
        const [user, value] = e.split(':') as [string, string];
        return [user, value, partitionOf(user, 3)];
      }),
    );
    expect(driver.getKeyValueStore<string, number>('counts').get('ann')).toBe(3);
    // Each count lives in the task of the partition its key hashes to.
    expect(
      driver
        .getStateStore<TimestampedKeyValueStore<string, number>>('counts', partitionOf('ann', 3))
        .get('ann'),
    ).toEqual({
      value: 3,
      timestamp: 5,
    });
    expect(
      driver.createOutputTopic('counts-out', Serdes.String(), Serdes.Long()).readKeyValuesToMap(),
    ).toEqual(
      new Map([
        ['ann', 3],
        ['bob', 2],
        ['cat', 1],
      ]),
    );
  });

  it('groupBy(selector) repartitions too, named after the grouping or else the store', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .groupBy((_k, v) => v, { keySerde: Serdes.String() })
      .count({ storeName: 'by-value' });
    const topology = builder.build();
    expect([...topology.internalTopics.keys()]).toContain('by-value-repartition');
  });

  it('no repartition when the key did not change (mapValues, filter, peek)', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .mapValues((v) => v.toUpperCase())
      .filter(() => true)
      .peek(() => undefined)
      .groupByKey()
      .count({ storeName: 'counts' });
    const topology = builder.build();
    expect([...topology.internalTopics.values()].filter((t) => t.kind === 'repartition')).toEqual([]);
  });
});

describe('toTable and stateless KTable operators', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('toTable: each record upserts its key, a null value (tombstone) deletes it, a null key is dropped', async () => {
    const builder = new StreamsBuilder();
    builder.stream(input).toTable({ storeName: 'latest' }).toStream().to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    topic.pipeInput('a', '1', 1);
    topic.pipeInput('b', '2', 2);
    topic.pipeInput('a', '3', 3);
    topic.pipeInput('b', null, 4);
    topic.pipeInput(null, 'lost', 5);
    const store = driver.getKeyValueStore<string, string>('latest');
    expect([...store.all()]).toEqual([{ key: 'a', value: '3' }]);
    expect(
      driver
        .createOutputTopic(output)
        .readRecordsToList()
        .map((r) => [r.key, r.value, r.timestamp]),
    ).toEqual([
      ['a', '1', 1],
      ['b', '2', 2],
      ['a', '3', 3],
      ['b', null, 4],
    ]);
    expect(driver.droppedRecords()).toEqual(new Map([['null-key', 1]]));
  });

  it('toTable after a key change repartitions first', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .selectKey((_k, v) => v)
      .toTable({ storeName: 'by-value', keySerde: Serdes.String(), valueSerde: Serdes.String() });
    const topology = builder.build();
    expect([...topology.internalTopics.values()].filter((t) => t.kind === 'repartition')).toHaveLength(1);
  });

  // As Kafka Streams' KTableFilter: without old values (its source table is not materialized under a
  // name) the filter cannot tell a row that never passed from one that stops passing, and forwards a
  // delete for both; with them (a named source table) it forwards deletes only for rows that passed.
  // The filter's own store does not cache here: a cache drops the delete of a row its store never had.
  it('KTable.filter of an unnamed table forwards a delete for every row it filters out', async () => {
    const builder = new StreamsBuilder();
    builder
      .table(input)
      .filter((_k, v) => Number(v) > 10, { storeName: 'big', caching: false })
      .toStream()
      .to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    topic.pipeInput('a', '20', 1); // passes
    topic.pipeInput('b', '5', 2); // never passed: still a delete
    topic.pipeInput('a', '7', 3); // stops passing: delete
    topic.pipeInput('a', '30', 4);
    topic.pipeInput('a', null, 5); // deleted upstream: delete
    expect(driver.createOutputTopic(output).readKeyValuesToList()).toEqual([
      { key: 'a', value: '20' },
      { key: 'b', value: null },
      { key: 'a', value: null },
      { key: 'a', value: '30' },
      { key: 'a', value: null },
    ]);
    expect([...driver.getKeyValueStore<string, string>('big').all()]).toEqual([]);
  });

  it('KTable.filter of a named table forwards a delete only when a row stops passing', async () => {
    const builder = new StreamsBuilder();
    builder
      .table(input, { storeName: 'source' })
      .filter((_k, v) => Number(v) > 10, { storeName: 'big' })
      .toStream()
      .to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    topic.pipeInput('a', '20', 1);
    topic.pipeInput('b', '5', 2); // never passed: nothing downstream
    topic.pipeInput('a', '7', 3);
    topic.pipeInput('a', '30', 4);
    topic.pipeInput('a', null, 5);
    expect(driver.createOutputTopic(output).readKeyValuesToList()).toEqual([
      { key: 'a', value: '20' },
      { key: 'a', value: null },
      { key: 'a', value: '30' },
      { key: 'a', value: null },
    ]);
  });

  it('KTable.filterNot keeps the rows the predicate rejects', async () => {
    const builder = new StreamsBuilder();
    builder
      .table(input)
      .filterNot((_k, v) => v.startsWith('x'))
      .toStream()
      .to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    topic.pipeInput('a', 'xa', 1);
    topic.pipeInput('b', 'ok', 2);
    expect(driver.createOutputTopic(output).readKeyValuesToList()).toEqual([
      { key: 'a', value: null },
      { key: 'b', value: 'ok' },
    ]);
  });

  it('KTable.mapValues maps new values; deletes pass as tombstones without calling the mapper', async () => {
    const calls: (string | null)[] = [];
    const builder = new StreamsBuilder();
    builder
      .table(input)
      .mapValues(
        (v, k) => {
          calls.push(v);
          return `${k}=${v.length}`;
        },
        { storeName: 'lengths', valueSerde: Serdes.String() },
      )
      .toStream()
      .to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    topic.pipeInput('a', 'xyz', 1);
    topic.pipeInput('a', null, 2);
    expect(
      driver
        .createOutputTopic(output)
        .readRecordsToList()
        .map((r) => [r.key, r.value, r.timestamp]),
    ).toEqual([
      ['a', 'a=3', 1],
      ['a', null, 2],
    ]);
    // The mapper also maps the old value (so downstream could retract it), never null.
    expect(calls.every((v) => v !== null)).toBe(true);
    expect(driver.getKeyValueStore<string, string>('lengths').get('a')).toBeUndefined();
  });

  it('KTable.toStream: every update, deletes as null values, timestamps kept', async () => {
    const builder = new StreamsBuilder();
    builder.table(input).toStream().to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    topic.pipeInput('a', '1', 10);
    topic.pipeInput('a', '1', 11);
    topic.pipeInput('a', null, 12);
    expect(
      driver
        .createOutputTopic(output)
        .readRecordsToList()
        .map((r) => [r.value, r.timestamp]),
    ).toEqual([
      ['1', 10],
      ['1', 11],
      [null, 12],
    ]);
  });
});
