// Kafka Streams' KStreamAggregationDedupIntegrationTest, transcribed: aggregations with the record
// cache on (10 MiB) and commits far apart, so a key's updates between two commits reach the output
// once. The Java test runs a cluster with a 300 ms commit interval; here the driver commits only when
// told (`commitEachRecord: false`, `driver.commit()`), which is what that interval does between
// batches. The Java test waits for the final record of each key (of each window); with the commit
// after all batches, the final record is also the only one.
import { describe, expect } from 'vitest';
import { Serdes, StreamsBuilder, TimeWindows } from 'tributary';
import type { TestInputTopic } from 'tributary/testing';
import { driverPerTest, javaTest } from './support/conformance.ts';

const INPUT = 'stream-one';
const OUTPUT = 'output';

/** The Java test's `produceMessages`: keys 1 to 5 with values A to E, all at `timestamp`. */
function produceMessages(input: TestInputTopic<number, string>, timestamp: number): void {
  for (const [key, value] of [
    [1, 'A'],
    [2, 'B'],
    [3, 'C'],
    [4, 'D'],
    [5, 'E'],
  ] as const)
    input.pipeInput(key, value, timestamp);
}

/** The Java test's comparator: by key, then by value. */
function sortedByKeyAndValue<V extends string | number>(
  records: readonly { key: string | null; value: V | null; timestamp: number }[],
): { key: string | null; value: V | null; timestamp: number }[] {
  return records
    .map(({ key, value, timestamp }) => ({ key, value, timestamp }))
    .sort((a, b) => a.key!.localeCompare(b.key!) || String(a.value).localeCompare(String(b.value)));
}

describe('KStreamAggregationDedupIntegrationTest', () => {
  const start = driverPerTest();

  javaTest('shouldReduce', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<number, string>(INPUT, { keySerde: Serdes.Int(), valueSerde: Serdes.String() })
      // MockMapper.selectValueMapper(): the value becomes the key
      .groupBy((_key, value) => value, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .reduce((value1, value2) => `${value1}:${value2}`, { storeName: 'reduce-by-key' })
      .toStream()
      .to(OUTPUT, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    const driver = await start(builder.build(), { partitions: 3, commitEachRecord: false });
    const input = driver.createInputTopic<number, string>(INPUT);
    const firstBatch = 1_000;
    const timestamp = 2_000;
    produceMessages(input, firstBatch);
    produceMessages(input, timestamp);
    const output = driver.createOutputTopic<string, string>(OUTPUT);
    expect(output.readRecordsToList()).toEqual([]);
    driver.commit();
    expect(sortedByKeyAndValue(output.readRecordsToList())).toEqual([
      { key: 'A', value: 'A:A', timestamp },
      { key: 'B', value: 'B:B', timestamp },
      { key: 'C', value: 'C:C', timestamp },
      { key: 'D', value: 'D:D', timestamp },
      { key: 'E', value: 'E:E', timestamp },
    ]);
  });

  javaTest('shouldReduceWindowed', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<number, string>(INPUT, { keySerde: Serdes.Int(), valueSerde: Serdes.String() })
      .groupBy((_key, value) => value, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .windowedBy(TimeWindows.ofSizeAndGrace(500, 60_000))
      .reduce((value1, value2) => `${value1}:${value2}`, { storeName: 'reduce-time-windows' })
      .toStream()
      .selectKey((windowed) => `${windowed.key}@${windowed.window.start}`)
      .to(OUTPUT, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    const driver = await start(builder.build(), { partitions: 3, commitEachRecord: false });
    const input = driver.createInputTopic<number, string>(INPUT);
    // The Java test's batches are a second apart at the wall clock's time; any such pair will do.
    const secondBatchTimestamp = 2_345;
    const firstBatchTimestamp = secondBatchTimestamp - 1_000;
    produceMessages(input, firstBatchTimestamp);
    produceMessages(input, secondBatchTimestamp);
    produceMessages(input, secondBatchTimestamp);
    const output = driver.createOutputTopic<string, string>(OUTPUT);
    expect(output.readRecordsToList()).toEqual([]);
    driver.commit();
    const firstBatchWindow = Math.floor(firstBatchTimestamp / 500) * 500;
    const secondBatchWindow = Math.floor(secondBatchTimestamp / 500) * 500;
    expect(sortedByKeyAndValue(output.readRecordsToList())).toEqual(
      ['A', 'B', 'C', 'D', 'E'].flatMap((letter) => [
        { key: `${letter}@${firstBatchWindow}`, value: letter, timestamp: firstBatchTimestamp },
        {
          key: `${letter}@${secondBatchWindow}`,
          value: `${letter}:${letter}`,
          timestamp: secondBatchTimestamp,
        },
      ]),
    );
  });

  javaTest('shouldGroupByKey', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<number, string>(INPUT, { keySerde: Serdes.Int(), valueSerde: Serdes.String() })
      .groupByKey({ keySerde: Serdes.Int(), valueSerde: Serdes.String() })
      .windowedBy(TimeWindows.ofSizeWithNoGrace(500))
      .count({ storeName: 'count-windows' })
      .toStream()
      .selectKey((windowed) => `${windowed.key}@${windowed.window.start}`)
      .to(OUTPUT, { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
    const driver = await start(builder.build(), { partitions: 3, commitEachRecord: false });
    const input = driver.createInputTopic<number, string>(INPUT);
    // The Java test's mock clock time; any will do.
    const timestamp = 1_234;
    produceMessages(input, timestamp);
    produceMessages(input, timestamp);
    const output = driver.createOutputTopic<string, number>(OUTPUT);
    expect(output.readRecordsToList()).toEqual([]);
    driver.commit();
    const window = Math.floor(timestamp / 500) * 500;
    expect(sortedByKeyAndValue(output.readRecordsToList())).toEqual(
      [1, 2, 3, 4, 5].map((key) => ({ key: `${key}@${window}`, value: 2, timestamp })),
    );
  });
});
