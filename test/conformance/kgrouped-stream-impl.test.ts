// Kafka Streams' KGroupedStreamImplTest, transcribed: count, reduce and aggregate of a grouped stream,
// plain and in time, sliding and session windows, and the arguments they refuse.
import { beforeEach, describe, expect } from 'vitest';
import {
  Serdes,
  SessionWindows,
  SlidingWindows,
  StreamsBuilder,
  TimeWindows,
  type KGroupedStream,
  type KTable,
  type Windowed,
} from 'tributary';
import type { TopologyTestDriver } from 'tributary/testing';
import {
  Captured,
  driverPerTest,
  javaTest,
  kvt,
  notApplicable,
  stringInit,
  toStringAdder,
  type Kvt,
} from './support/conformance.ts';

const INVALID_STORE_NAME = '~foo bar~';
const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const stringAdder = (a: string, b: string) => `${a}+${b}`; // Kafka Streams' MockReducer.STRING_ADDER
const nullMerger = () => null as unknown as string;
const NULL_OPTIONS =
  'Kafka Streams refuses a null Materialized; in Tributary the options object is optional, and null or undefined means defaults';
const missing = null as unknown as never;

/** A windowed key as the Java tests write it: `new Windowed<>(key, new TimeWindow(start, end))` or a `SessionWindow`. */
function W(key: string, start: number, end: number): Windowed<string> {
  return { key, window: { start, end } };
}

describe('KGroupedStreamImplTest', () => {
  const start = driverPerTest();
  let builder: StreamsBuilder;
  let groupedStream: KGroupedStream<string, string>;

  beforeEach(() => {
    builder = new StreamsBuilder();
    groupedStream = builder.stream<string, string>('topic', strings).groupByKey(strings);
  });

  const time = () => groupedStream.windowedBy(TimeWindows.ofSizeWithNoGrace(10));
  const sliding = () => groupedStream.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100));
  const sessions = (gapMs = 30) => groupedStream.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(gapMs));
  const illegalStore = /store name "~foo bar~" is illegal/;

  javaTest('shouldNotHaveNullAggregatorOnCogroup', () => {
    expect(() => groupedStream.cogroup(missing)).toThrow(/KGroupedStream.cogroup needs an aggregator/);
  });
  javaTest('shouldNotHaveNullReducerOnReduce', () => {
    expect(() => groupedStream.reduce(missing)).toThrow(/needs a reducer/);
  });
  javaTest('shouldNotHaveInvalidStoreNameOnReduce', () => {
    expect(() => groupedStream.reduce(stringAdder, { storeName: INVALID_STORE_NAME })).toThrow(illegalStore);
  });
  javaTest('shouldNotHaveNullReducerWithWindowedReduce', () => {
    expect(() => time().reduce(missing, { storeName: 'store' })).toThrow(/needs a reducer/);
  });
  javaTest('shouldNotHaveNullWindowsWithWindowedReduce', () => {
    expect(() => groupedStream.windowedBy(missing)).toThrow(/needs windows/);
  });
  javaTest('shouldNotHaveInvalidStoreNameWithWindowedReduce', () => {
    expect(() => time().reduce(stringAdder, { storeName: INVALID_STORE_NAME })).toThrow(illegalStore);
  });
  javaTest('shouldNotHaveNullInitializerOnAggregate', () => {
    expect(() => groupedStream.aggregate(missing, toStringAdder, { storeName: 'store' })).toThrow(
      /needs an initializer/,
    );
  });
  javaTest('shouldNotHaveNullAdderOnAggregate', () => {
    expect(() => groupedStream.aggregate(stringInit, missing, { storeName: 'store' })).toThrow(
      /needs an aggregator/,
    );
  });
  javaTest('shouldNotHaveInvalidStoreNameOnAggregate', () => {
    expect(() =>
      groupedStream.aggregate(stringInit, toStringAdder, { storeName: INVALID_STORE_NAME }),
    ).toThrow(illegalStore);
  });
  javaTest('shouldNotHaveNullInitializerOnWindowedAggregate', () => {
    expect(() => time().aggregate(missing, toStringAdder, { storeName: 'store' })).toThrow(
      /needs an initializer/,
    );
  });
  javaTest('shouldNotHaveNullAdderOnWindowedAggregate', () => {
    expect(() => time().aggregate(stringInit, missing, { storeName: 'store' })).toThrow(
      /needs an aggregator/,
    );
  });
  javaTest('shouldNotHaveNullWindowsOnWindowedAggregate', () => {
    expect(() => groupedStream.windowedBy(missing)).toThrow(/needs windows/);
  });
  javaTest('shouldNotHaveInvalidStoreNameOnWindowedAggregate', () => {
    expect(() => time().aggregate(stringInit, toStringAdder, { storeName: INVALID_STORE_NAME })).toThrow(
      illegalStore,
    );
  });
  javaTest('shouldNotHaveNullReducerWithSlidingWindowedReduce', () => {
    expect(() => sliding().reduce(missing, { storeName: 'store' })).toThrow(/needs a reducer/);
  });
  javaTest('shouldNotHaveNullWindowsWithSlidingWindowedReduce', () => {
    expect(() => groupedStream.windowedBy(missing)).toThrow(/needs windows/);
  });
  javaTest('shouldNotHaveInvalidStoreNameWithSlidingWindowedReduce', () => {
    expect(() => sliding().reduce(stringAdder, { storeName: INVALID_STORE_NAME })).toThrow(illegalStore);
  });
  javaTest('shouldNotHaveNullInitializerOnSlidingWindowedAggregate', () => {
    expect(() => sliding().aggregate(missing, toStringAdder, { storeName: 'store' })).toThrow(
      /needs an initializer/,
    );
  });
  javaTest('shouldNotHaveNullAdderOnSlidingWindowedAggregate', () => {
    expect(() => sliding().aggregate(stringInit, missing, { storeName: 'store' })).toThrow(
      /needs an aggregator/,
    );
  });
  javaTest('shouldNotHaveInvalidStoreNameOnSlidingWindowedAggregate', () => {
    expect(() => sliding().aggregate(stringInit, toStringAdder, { storeName: INVALID_STORE_NAME })).toThrow(
      illegalStore,
    );
  });

  /** Runs the topology over `records` ("topic", key, value, timestamp). */
  async function run(
    records: readonly (readonly [string, string | null, number?])[],
  ): Promise<TopologyTestDriver> {
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic');
    for (const [key, value, timestamp] of records) input.pipeInput(key, value, timestamp);
    return driver;
  }

  /** The Java tests' comparator: by key, then window start; the sort is stable, as Java's. */
  const byKeyAndStart = <V>(records: Kvt<Windowed<string>, V>[]) =>
    [...records].sort(
      (a, b) => a.key.key.localeCompare(b.key.key) || a.key.window.start - b.key.window.start,
    );

  async function doCountSlidingWindows(table: KTable<Windowed<string>, number>) {
    const processor = new Captured<Windowed<string>, number>();
    table.toStream().process(processor.supplier);
    await run([
      ['1', 'A', 500],
      ['1', 'A', 999],
      ['1', 'A', 600],
      ['2', 'B', 500],
      ['2', 'B', 600],
      ['2', 'B', 700],
      ['3', 'C', 501],
      ['1', 'A', 1000],
      ['1', 'A', 1000],
      ['2', 'B', 1000],
      ['2', 'B', 1000],
      ['3', 'C', 600],
    ]);
    expect(byKeyAndStart(processor.drain())).toEqual([
      kvt(W('1', 0, 500), 1, 500),
      kvt(W('1', 100, 600), 2, 600),
      kvt(W('1', 499, 999), 2, 999),
      kvt(W('1', 499, 999), 3, 999),
      kvt(W('1', 500, 1000), 4, 1000),
      kvt(W('1', 500, 1000), 5, 1000),
      kvt(W('1', 501, 1001), 1, 999),
      kvt(W('1', 501, 1001), 2, 999),
      kvt(W('1', 501, 1001), 3, 1000),
      kvt(W('1', 501, 1001), 4, 1000),
      kvt(W('1', 601, 1101), 1, 999),
      kvt(W('1', 601, 1101), 2, 1000),
      kvt(W('1', 601, 1101), 3, 1000),
      kvt(W('1', 1000, 1500), 1, 1000),
      kvt(W('1', 1000, 1500), 2, 1000),
      kvt(W('2', 0, 500), 1, 500),
      kvt(W('2', 100, 600), 2, 600),
      kvt(W('2', 200, 700), 3, 700),
      kvt(W('2', 500, 1000), 4, 1000),
      kvt(W('2', 500, 1000), 5, 1000),
      kvt(W('2', 501, 1001), 1, 600),
      kvt(W('2', 501, 1001), 2, 700),
      kvt(W('2', 501, 1001), 3, 1000),
      kvt(W('2', 501, 1001), 4, 1000),
      kvt(W('2', 601, 1101), 1, 700),
      kvt(W('2', 601, 1101), 2, 1000),
      kvt(W('2', 601, 1101), 3, 1000),
      kvt(W('2', 701, 1201), 1, 1000),
      kvt(W('2', 701, 1201), 2, 1000),
      kvt(W('3', 1, 501), 1, 501),
      kvt(W('3', 100, 600), 2, 600),
      kvt(W('3', 502, 1002), 1, 600),
    ]);
  }

  javaTest('shouldCountSlidingWindows', async () => {
    await doCountSlidingWindows(
      groupedStream
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(500, 2000))
        .count({ storeName: 'aggregate-by-key-windowed' }),
    );
  });

  javaTest('shouldCountSlidingWindowsWithInternalStoreName', async () => {
    await doCountSlidingWindows(
      groupedStream.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(500, 2000)).count(),
    );
  });

  /** The Java `lastValueAndTimestampPerKey` of a windowed table's stream, keyed `key@start/end`. */
  async function lastPerSession<V>(table: KTable<Windowed<string>, V>, values: readonly string[]) {
    const processor = new Captured<Windowed<string>, V>();
    table.toStream().process(processor.supplier);
    const timestamps = [10, 15, 30, 70, 100, 90];
    const keys = ['1', '2', '1', '1', '1', '1'];
    await run(keys.map((key, i) => [key, values[i]!, timestamps[i]] as const));
    const last = new Map<string, { value: V; timestamp: number }>();
    for (const { key, value, timestamp } of processor.drain())
      last.set(`${key.key}@${key.window.start}/${key.window.end}`, { value, timestamp });
    return last;
  }

  async function doAggregateSessionWindows(table: KTable<Windowed<string>, number>) {
    const result = await lastPerSession(table, ['1', '2', '1', '1', '1', '1']);
    expect(result.get('1@10/30')).toEqual({ value: 2, timestamp: 30 });
    expect(result.get('2@15/15')).toEqual({ value: 1, timestamp: 15 });
    expect(result.get('1@70/100')).toEqual({ value: 3, timestamp: 100 });
  }

  const countOne = (_key: string, _value: string, aggregate: number) => aggregate + 1;
  const sum = (_key: string, a: number, b: number) => a + b;

  javaTest('shouldAggregateSessionWindows', async () => {
    const table = sessions().aggregate(() => 0, countOne, sum, {
      storeName: 'session-store',
      valueSerde: Serdes.Int(),
    });
    await doAggregateSessionWindows(table);
    expect(table.queryableStoreName).toBe('session-store');
  });

  javaTest('shouldAggregateSessionWindowsWithInternalStoreName', async () => {
    await doAggregateSessionWindows(
      sessions().aggregate(() => 0, countOne, sum, { valueSerde: Serdes.Int() }),
    );
  });

  javaTest('shouldCountSessionWindows', async () => {
    const table = sessions().count({ storeName: 'session-store' });
    await doAggregateSessionWindows(table);
    expect(table.queryableStoreName).toBe('session-store');
  });

  javaTest('shouldCountSessionWindowsWithInternalStoreName', async () => {
    const table = sessions().count();
    await doAggregateSessionWindows(table);
    expect(table.queryableStoreName).toBeUndefined();
  });

  async function doReduceSessionWindows(table: KTable<Windowed<string>, string>) {
    const result = await lastPerSession(table, ['A', 'Z', 'B', 'A', 'B', 'C']);
    expect(result.get('1@10/30')).toEqual({ value: 'A:B', timestamp: 30 });
    expect(result.get('2@15/15')).toEqual({ value: 'Z', timestamp: 15 });
    expect(result.get('1@70/100')).toEqual({ value: 'A:B:C', timestamp: 100 });
  }

  const colon = (value1: string, value2: string) => `${value1}:${value2}`;

  javaTest('shouldReduceSessionWindows', async () => {
    const table = sessions().reduce(colon, { storeName: 'session-store' });
    await doReduceSessionWindows(table);
    expect(table.queryableStoreName).toBe('session-store');
  });

  javaTest('shouldReduceSessionWindowsWithInternalStoreName', async () => {
    const table = sessions().reduce(colon);
    await doReduceSessionWindows(table);
    expect(table.queryableStoreName).toBeUndefined();
  });

  javaTest('shouldNotAcceptNullReducerWhenReducingSessionWindows', () => {
    expect(() => sessions().reduce(missing, { storeName: 'store' })).toThrow(/needs a reducer/);
  });
  javaTest('shouldNotAcceptNullSessionWindowsReducingSessionWindows', () => {
    expect(() => groupedStream.windowedBy(missing)).toThrow(/needs windows/);
  });
  javaTest('shouldNotAcceptInvalidStoreNameWhenReducingSessionWindows', () => {
    expect(() => sessions().reduce(stringAdder, { storeName: INVALID_STORE_NAME })).toThrow(illegalStore);
  });
  javaTest('shouldNotAcceptNullStateStoreSupplierWhenReducingSessionWindows', () => {
    expect(() => sessions().reduce(missing, { storeName: missing })).toThrow(/needs a reducer/);
  });
  javaTest('shouldNotAcceptNullInitializerWhenAggregatingSessionWindows', () => {
    expect(() =>
      sessions().aggregate(missing, toStringAdder, nullMerger, { storeName: 'storeName' }),
    ).toThrow(/needs an initializer/);
  });
  javaTest('shouldNotAcceptNullAggregatorWhenAggregatingSessionWindows', () => {
    expect(() => sessions().aggregate(stringInit, missing, nullMerger, { storeName: 'storeName' })).toThrow(
      /needs an aggregator/,
    );
  });
  javaTest('shouldNotAcceptNullSessionMergerWhenAggregatingSessionWindows', () => {
    expect(() =>
      sessions().aggregate(stringInit, toStringAdder, missing, { storeName: 'storeName' }),
    ).toThrow(/needs a session merger/);
  });
  javaTest('shouldNotAcceptNullSessionWindowsWhenAggregatingSessionWindows', () => {
    expect(() => groupedStream.windowedBy(missing)).toThrow(/needs windows/);
  });
  javaTest('shouldAcceptNullStoreNameWhenAggregatingSessionWindows', () => {
    const table = sessions(10).aggregate(stringInit, toStringAdder, nullMerger, strings);
    expect(table.queryableStoreName).toBeUndefined();
    expect(() => builder.build()).not.toThrow();
  });
  javaTest('shouldNotAcceptInvalidStoreNameWhenAggregatingSessionWindows', () => {
    expect(() =>
      sessions(10).aggregate(stringInit, toStringAdder, nullMerger, { storeName: INVALID_STORE_NAME }),
    ).toThrow(illegalStore);
  });

  notApplicable('shouldThrowNullPointerOnReduceWhenMaterializedIsNull', NULL_OPTIONS);
  notApplicable('shouldThrowNullPointerOnAggregateWhenMaterializedIsNull', NULL_OPTIONS);
  notApplicable('shouldThrowNullPointerOnCountWhenMaterializedIsNull', NULL_OPTIONS);

  /** The Java `processData`: three keys, and a record with a null value (offset 6) that is skipped. */
  const processData = () =>
    run([
      ['1', 'A', 5],
      ['2', 'B', 1],
      ['1', 'C', 3],
      ['1', 'D', 10],
      ['3', 'E', 8],
      ['3', 'F', 9],
      ['3', null],
    ]);

  /** Checks a store's plain values and, read as a timestamped store, their timestamps. */
  function expectStore<V>(driver: TopologyTestDriver, name: string, expected: Record<string, [V, number]>) {
    const plain = driver.getKeyValueStore<string, V>(name);
    const timestamped = driver.getTimestampedKeyValueStore<string, V>(name);
    for (const [key, [value, timestamp]] of Object.entries(expected)) {
      expect(plain.get(key)).toEqual(value);
      expect(timestamped.get(key)).toEqual({ value, timestamp });
    }
  }

  javaTest('shouldCountAndMaterializeResults', async () => {
    groupedStream.count({ storeName: 'count', keySerde: Serdes.String() });
    const driver = await processData();
    expectStore(driver, 'count', { 1: [3, 10], 2: [1, 1], 3: [2, 9] });
  });

  // The Java tests check the warning logged for the skipped record; Tributary counts it by reason.
  javaTest('shouldLogAndMeasureSkipsInAggregate', async () => {
    groupedStream.count({ storeName: 'count', keySerde: Serdes.String() });
    const driver = await processData();
    expect(driver.droppedRecords()).toEqual(new Map([['null-key-or-value', 1]]));
  });

  javaTest('shouldReduceAndMaterializeResults', async () => {
    groupedStream.reduce(stringAdder, { storeName: 'reduce', ...strings });
    const driver = await processData();
    expectStore(driver, 'reduce', { 1: ['A+C+D', 10], 2: ['B', 1], 3: ['E+F', 9] });
  });

  javaTest('shouldLogAndMeasureSkipsInReduce', async () => {
    groupedStream.reduce(stringAdder, { storeName: 'reduce', ...strings });
    const driver = await processData();
    expect(driver.droppedRecords()).toEqual(new Map([['null-key-or-value', 1]]));
  });

  javaTest('shouldAggregateAndMaterializeResults', async () => {
    groupedStream.aggregate(stringInit, toStringAdder, { storeName: 'aggregate', ...strings });
    const driver = await processData();
    expectStore(driver, 'aggregate', { 1: ['0+A+C+D', 10], 2: ['0+B', 1], 3: ['0+E+F', 9] });
  });

  javaTest('shouldAggregateWithDefaultSerdes', async () => {
    const processor = new Captured<string, string>();
    groupedStream.aggregate(stringInit, toStringAdder).toStream().process(processor.supplier);
    await processData();
    const last = new Map(processor.drain().map(({ key, value, timestamp }) => [key, { value, timestamp }]));
    expect(last.get('1')).toEqual({ value: '0+A+C+D', timestamp: 10 });
    expect(last.get('2')).toEqual({ value: '0+B', timestamp: 1 });
    expect(last.get('3')).toEqual({ value: '0+E+F', timestamp: 9 });
  });

  async function doCountWindowed(table: KTable<Windowed<string>, number>) {
    const processor = new Captured<Windowed<string>, number>();
    table.toStream().process(processor.supplier);
    await run([
      ['1', 'A', 0],
      ['1', 'A', 499],
      ['1', 'A', 100],
      ['2', 'B', 0],
      ['2', 'B', 100],
      ['2', 'B', 200],
      ['3', 'C', 1],
      ['1', 'A', 500],
      ['1', 'A', 500],
      ['2', 'B', 500],
      ['2', 'B', 500],
      ['3', 'B', 100],
    ]);
    processor.check(
      kvt(W('1', 0, 500), 1, 0),
      kvt(W('1', 0, 500), 2, 499),
      kvt(W('1', 0, 500), 3, 499),
      kvt(W('2', 0, 500), 1, 0),
      kvt(W('2', 0, 500), 2, 100),
      kvt(W('2', 0, 500), 3, 200),
      kvt(W('3', 0, 500), 1, 1),
      kvt(W('1', 500, 1000), 1, 500),
      kvt(W('1', 500, 1000), 2, 500),
      kvt(W('2', 500, 1000), 1, 500),
      kvt(W('2', 500, 1000), 2, 500),
      kvt(W('3', 0, 500), 2, 100),
    );
  }

  javaTest('shouldCountWindowed', async () => {
    await doCountWindowed(
      groupedStream
        .windowedBy(TimeWindows.ofSizeAndGrace(500, 100))
        .count({ storeName: 'aggregate-by-key-windowed' }),
    );
  });

  javaTest('shouldCountWindowedWithInternalStoreName', async () => {
    await doCountWindowed(groupedStream.windowedBy(TimeWindows.ofSizeAndGrace(500, 100)).count());
  });
});
