import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const words = defineTopic('words', Serdes.String(), Serdes.String());
const numbers = defineTopic('numbers', Serdes.String(), Serdes.Long());
const counts = defineTopic('counts', Serdes.String(), Serdes.Long());
const texts = defineTopic('texts', Serdes.String(), Serdes.String());

describe('grouped stream aggregations (KGroupedStream count / reduce / aggregate)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('count: one update per record, carrying the new count; the store holds the latest count per key', async () => {
    const builder = new StreamsBuilder();
    builder.stream(words).groupByKey().count({ storeName: 'word-counts' }).toStream().to(counts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(words);
    input.pipeInput('a', 'x', 1);
    input.pipeInput('b', 'x', 2);
    input.pipeInput('a', 'y', 3);
    expect(driver.createOutputTopic(counts).readKeyValuesToList()).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
      { key: 'a', value: 2 },
    ]);
    const store = driver.getKeyValueStore<string, number>('word-counts');
    expect(store.get('a')).toBe(2);
    expect(store.get('b')).toBe(1);
  });

  it('records with a null key or a null value are dropped (KStreamAggregate skips them)', async () => {
    const builder = new StreamsBuilder();
    builder.stream(words).groupByKey().count().toStream().to(counts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(words);
    input.pipeInput(null, 'x', 1);
    input.pipeInput('a', null, 2);
    input.pipeInput('a', 'x', 3);
    expect(driver.createOutputTopic(counts).readKeyValuesToList()).toEqual([{ key: 'a', value: 1 }]);
  });

  it('reduce: the first value of a key is its aggregate as is; the reducer sees (aggregate, value) after that', async () => {
    const seen: [string, string][] = [];
    const builder = new StreamsBuilder();
    builder
      .stream(words)
      .groupByKey()
      .reduce((aggregate, value) => {
        seen.push([aggregate, value]);
        return `${aggregate}+${value}`;
      })
      .toStream()
      .to(texts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(words);
    input.pipeInput('k', 'first', 1);
    input.pipeInput('k', 'second', 2);
    input.pipeInput('k', 'third', 3);
    expect(driver.createOutputTopic(texts).readValuesToList()).toEqual([
      'first',
      'first+second',
      'first+second+third',
    ]);
    expect(seen).toEqual([
      ['first', 'second'],
      ['first+second', 'third'],
    ]);
  });

  it('aggregate: the initializer runs once per key, the aggregator gets (key, value, aggregate)', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(numbers)
      .groupByKey()
      .aggregate(
        () => 100,
        (key, value, sum) => sum + value + (key === 'b' ? 1000 : 0),
        { valueSerde: Serdes.Long() },
      )
      .toStream()
      .to(counts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(numbers);
    input.pipeInput('a', 1, 1);
    input.pipeInput('a', 2, 2);
    input.pipeInput('b', 5, 3);
    expect(driver.createOutputTopic(counts).readKeyValuesToList()).toEqual([
      { key: 'a', value: 101 },
      { key: 'a', value: 103 },
      { key: 'b', value: 1105 },
    ]);
  });

  it('the result timestamp is the largest timestamp aggregated so far (max of record and stored)', async () => {
    const builder = new StreamsBuilder();
    builder.stream(words).groupByKey().count({ storeName: 'ts-counts' }).toStream().to(counts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(words);
    input.pipeInput('a', 'x', 50);
    input.pipeInput('a', 'y', 20);
    input.pipeInput('a', 'z', 70);
    expect(
      driver
        .createOutputTopic(counts)
        .readRecordsToList()
        .map((r) => [r.value, r.timestamp]),
    ).toEqual([
      [1, 50],
      [2, 50],
      [3, 70],
    ]);
    expect(driver.getTimestampedKeyValueStore<string, number>('ts-counts').get('a')).toEqual({
      value: 3,
      timestamp: 70,
    });
  });

  it('groupBy repartitions by the new key so each key is counted in one place, across 4 partitions', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(words)
      .groupBy((_key, value) => value, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .count({ storeName: 'value-counts' })
      .toStream()
      .to(counts);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 4 });
    const input = driver.createInputTopic(words);
    const values = ['red', 'blue', 'red', 'green', 'red', 'blue'];
    values.forEach((value, i) => input.pipeInput(`key-${i}`, value, i));
    expect(driver.createOutputTopic(counts).readKeyValuesToMap()).toEqual(
      new Map([
        ['red', 3],
        ['blue', 2],
        ['green', 1],
      ]),
    );
    const store = driver.getKeyValueStore<string, number>('value-counts');
    expect([...store.all()].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'blue', value: 2 },
      { key: 'green', value: 1 },
      { key: 'red', value: 3 },
    ]);
  });

  it('downstream table operators see the count as changes (filter forwards only rows that pass)', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(words)
      .groupByKey()
      .count()
      .filter((_k, n) => n >= 2)
      .toStream()
      .to(counts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(words);
    input.pipeInput('a', 'x', 1);
    input.pipeInput('a', 'y', 2);
    input.pipeInput('a', 'z', 3);
    expect(driver.createOutputTopic(counts).readKeyValuesToList()).toEqual([
      { key: 'a', value: 2 },
      { key: 'a', value: 3 },
    ]);
  });
});
