// The record cache as a user of the DSL sees it through the test driver: updates of a key between
// commits reach downstream once, with the value of the previous commit as old value; a full cache
// flushes early; caching off (per store or in total) forwards every update, as before.
import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Materialized } from 'tributary';
import { TopologyTestDriver, type TopologyTestDriverOptions } from 'tributary/testing';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

describe('the record cache', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  /** Counts words; the counts table goes to `counts`, and its re-grouped sum (by first letter) to `sums`. */
  async function wordCounts(
    options: TopologyTestDriverOptions,
    materialized: Materialized<string, number> = {},
  ) {
    const builder = new StreamsBuilder();
    const counts = builder
      .stream<string, string>('words', strings)
      .flatMap((key, value) => value.split(' ').map((word) => ({ key: word, value: key })))
      .groupByKey(strings)
      .count({ storeName: 'counts', ...materialized });
    counts.toStream().to('counts', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
    counts
      .groupBy((word, count) => ({ key: word[0]!, value: count }), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Long(),
      })
      .reduce(
        (sum, count) => sum + count,
        (sum, count) => sum - count,
        { storeName: 'sums', valueSerde: Serdes.Long() },
      )
      .toStream()
      .to('sums', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build(), options);
    return {
      words: driver.createInputTopic<string, string>('words'),
      counts: driver.createOutputTopic<string, number>('counts', Serdes.String(), Serdes.Long()),
      sums: driver.createOutputTopic<string, number>('sums', Serdes.String(), Serdes.Long()),
    };
  }

  it('merges the updates one record makes of a key, as Kafka Streams’ driver committing after each record', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('letters', strings)
      .flatMapValues((value) => value.split(' '))
      .groupByKey(strings)
      .count({ storeName: 'letter-counts' })
      .toStream()
      .to('letter-counts', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
    for (const [options, expected] of [
      [{}, [2, 3]],
      [{ recordCacheMaxBytes: 0 }, [1, 2, 3]],
    ] as const) {
      driver = await TopologyTestDriver.create(builder.build(), options);
      const letters = driver.createInputTopic<string, string>('letters');
      const counts = driver.createOutputTopic<string, number>(
        'letter-counts',
        Serdes.String(),
        Serdes.Long(),
      );
      letters.pipeInput('a', 'x y', 10);
      letters.pipeInput('a', 'z', 20);
      expect(counts.readValuesToList()).toEqual(expected);
      await driver.close();
      driver = undefined;
    }
  });

  it('forwards every update with the cache off in total or for the store', async () => {
    for (const [options, materialized] of [
      [{ recordCacheMaxBytes: 0 }, {}],
      [{}, { caching: false }],
    ] as const) {
      const { words, counts } = await wordCounts(options, materialized);
      words.pipeInput('s1', 'a a b', 10);
      expect(counts.readKeyValuesToList()).toEqual([
        { key: 'a', value: 1 },
        { key: 'a', value: 2 },
        { key: 'b', value: 1 },
      ]);
      await driver!.close();
      driver = undefined;
    }
  });

  it('between commits, sends a key once, downstream aggregations retracting the value of the last commit', async () => {
    const { words, counts, sums } = await wordCounts({ commitEachRecord: false });
    words.pipeInput('s1', 'ant ape', 10);
    words.pipeInput('s2', 'ant bee', 20);
    expect(counts.readKeyValuesToList()).toEqual([]);
    driver!.commit();
    expect(counts.readKeyValuesToList()).toEqual([
      { key: 'ape', value: 1 },
      { key: 'ant', value: 2 },
      { key: 'bee', value: 1 },
    ]);
    // The sums saw each count once: a = 1 (ape) + 2 (ant), b = 1.
    expect(sums.readKeyValuesToMap()).toEqual(
      new Map([
        ['a', 3],
        ['b', 1],
      ]),
    );
    words.pipeInput('s3', 'ant ant', 30);
    driver!.commit();
    expect(counts.readKeyValuesToList()).toEqual([{ key: 'ant', value: 4 }]);
    // The sum retracted 2 (the count of the last commit) and added 4, once.
    expect(sums.readKeyValuesToList()).toEqual([{ key: 'a', value: 5 }]);
  });

  it('flushes a store’s cache when the record cache is full, without waiting for the commit', async () => {
    const { words, counts } = await wordCounts({ commitEachRecord: false, recordCacheMaxBytes: 400 });
    words.pipeInput('s1', 'a b c d e f g h', 10);
    const early = counts.readKeyValuesToList();
    expect(early.length).toBeGreaterThan(0);
    expect(early.length).toBeLessThan(8);
    driver!.commit();
    expect([...early, ...counts.readKeyValuesToList()].map((kv) => kv.key).sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
      'h',
    ]);
  });

  it('writes one changelog record per key and commit', async () => {
    const { words } = await wordCounts({ commitEachRecord: false });
    words.pipeInput('s1', 'a a a', 10);
    words.pipeInput('s2', 'a', 20);
    driver!.commit();
    const changelog = driver!.createOutputTopic<string, number>(
      'test-app-counts-changelog',
      Serdes.String(),
      Serdes.Long(),
    );
    expect(
      changelog.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp })),
    ).toEqual([{ key: 'a', value: 4, timestamp: 20 }]);
  });

  it('does not forward a key written and deleted between commits that the store never had', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('input', { ...strings, storeName: 'table' })
      .toStream()
      .to('output', strings);
    driver = await TopologyTestDriver.create(builder.build(), { commitEachRecord: false });
    const input = driver.createInputTopic<string, string>('input');
    const output = driver.createOutputTopic<string, string>('output');
    input.pipeInput('k', 'v1', 1);
    input.pipeInput('k', null, 2);
    input.pipeInput('j', 'v', 3);
    driver.commit();
    expect(output.readKeyValuesToList()).toEqual([{ key: 'j', value: 'v' }]);
  });
});
