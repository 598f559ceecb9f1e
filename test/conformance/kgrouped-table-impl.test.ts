// Kafka Streams' KGroupedTableImplTest, transcribed: count, reduce and aggregate of a re-grouped table,
// and the arguments they refuse.
import { beforeEach, describe, expect } from 'vitest';
import { Serdes, StreamsBuilder, type KGroupedTable, type KTable } from 'tributary';
import type { TestInputTopic, TopologyTestDriver } from 'tributary/testing';
import {
  Captured,
  driverPerTest,
  javaTest,
  notApplicable,
  stringInit,
  toStringAdder,
  toStringRemover,
} from './support/conformance.ts';

const INVALID_STORE_NAME = '~foo bar~';
const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const concat = (a: string, b: string) => a + b;
const NULL_OPTIONS =
  'Kafka Streams refuses a null Materialized; in Tributary the options object is optional, and null or undefined means defaults';

// JavaScript callers can pass anything: these reach the DSL as the Java tests' nulls do.
const missing = null as unknown as never;

describe('KGroupedTableImplTest', () => {
  const start = driverPerTest();
  let groupedTable: KGroupedTable<string, string>;

  beforeEach(() => {
    groupedTable = new StreamsBuilder()
      .table<string, string>('blah', strings)
      .groupBy((_key, value) => ({ key: value, value }));
  });

  javaTest('shouldNotAllowInvalidStoreNameOnAggregate', () => {
    expect(() =>
      groupedTable.aggregate(stringInit, toStringAdder, toStringRemover, { storeName: INVALID_STORE_NAME }),
    ).toThrow(/store name "~foo bar~" is illegal/);
  });

  javaTest('shouldNotAllowNullInitializerOnAggregate', () => {
    expect(() =>
      groupedTable.aggregate(missing, toStringAdder, toStringRemover, { storeName: 'store' }),
    ).toThrow(/needs an initializer/);
  });

  javaTest('shouldNotAllowNullAdderOnAggregate', () => {
    expect(() =>
      groupedTable.aggregate(stringInit, missing, toStringRemover, { storeName: 'store' }),
    ).toThrow(/needs an adder/);
  });

  javaTest('shouldNotAllowNullSubtractorOnAggregate', () => {
    expect(() => groupedTable.aggregate(stringInit, toStringAdder, missing, { storeName: 'store' })).toThrow(
      /needs a subtractor/,
    );
  });

  javaTest('shouldNotAllowNullAdderOnReduce', () => {
    expect(() => groupedTable.reduce(missing, concat, { storeName: 'store' })).toThrow(/needs an adder/);
  });

  javaTest('shouldNotAllowNullSubtractorOnReduce', () => {
    expect(() => groupedTable.reduce(concat, missing, { storeName: 'store' })).toThrow(/needs a subtractor/);
  });

  javaTest('shouldNotAllowInvalidStoreNameOnReduce', () => {
    expect(() => groupedTable.reduce(concat, concat, { storeName: INVALID_STORE_NAME })).toThrow(
      /store name "~foo bar~" is illegal/,
    );
  });

  /** The Java `getReducedResults` and `assertReduced`: the latest value and timestamp per key. */
  async function assertReduced(builder: StreamsBuilder, reduced: KTable<string, number>) {
    const latest = new Map<string, { value: number | null; timestamp: number }>();
    const processor = new Captured<string, number | null>();
    reduced.toStream().process(processor.supplier);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, number>('input');
    const collect = () => {
      for (const r of processor.drain()) latest.set(r.key, { value: r.value, timestamp: r.timestamp });
    };
    input.pipeInput('A', 1.1, 10);
    input.pipeInput('B', 2.2, 11);
    collect();
    expect(latest.get('A')).toEqual({ value: 1, timestamp: 10 });
    expect(latest.get('B')).toEqual({ value: 2, timestamp: 11 });
    input.pipeInput('A', 2.6, 30);
    input.pipeInput('B', 1.3, 30);
    input.pipeInput('A', 5.7, 50);
    input.pipeInput('B', 6.2, 20);
    collect();
    expect(latest.get('A')).toEqual({ value: 5, timestamp: 50 });
    expect(latest.get('B')).toEqual({ value: 6, timestamp: 30 });
    return driver;
  }

  const intProjection = (key: string, value: number) => ({ key, value: Math.trunc(value) });
  const add = (a: number, b: number) => a + b;
  const subtract = (a: number, b: number) => a - b;

  javaTest('shouldReduce', async () => {
    const builder = new StreamsBuilder();
    const reduced = builder
      .table<string, number>('input', {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Double(),
        storeName: 'store',
      })
      .groupBy(intProjection, { keySerde: Serdes.String(), valueSerde: Serdes.Int() })
      .reduce(add, subtract, { storeName: 'reduced' });
    await assertReduced(builder, reduced);
    expect(reduced.queryableStoreName).toBe('reduced');
  });

  javaTest('shouldReduceWithInternalStoreName', async () => {
    const builder = new StreamsBuilder();
    const reduced = builder
      .table<string, number>('input', {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Double(),
        storeName: 'store',
      })
      .groupBy(intProjection, { keySerde: Serdes.String(), valueSerde: Serdes.Int() })
      .reduce(add, subtract);
    await assertReduced(builder, reduced);
    expect(reduced.queryableStoreName).toBeUndefined();
  });

  javaTest('shouldReduceAndMaterializeResults', async () => {
    const builder = new StreamsBuilder();
    const reduced = builder
      .table<string, number>('input', { keySerde: Serdes.String(), valueSerde: Serdes.Double() })
      .groupBy(intProjection, { keySerde: Serdes.String(), valueSerde: Serdes.Int() })
      .reduce(add, subtract, { storeName: 'reduce', keySerde: Serdes.String(), valueSerde: Serdes.Int() });
    const driver = await assertReduced(builder, reduced);
    const reduce = driver.getKeyValueStore<string, number>('reduce');
    expect([reduce.get('A'), reduce.get('B')]).toEqual([5, 6]);
    const timestamped = driver.getTimestampedKeyValueStore<string, number>('reduce');
    expect([timestamped.get('A'), timestamped.get('B')]).toEqual([
      { value: 5, timestamp: 50 },
      { value: 6, timestamp: 30 },
    ]);
  });

  /** The Java `processData`. */
  function processData(driver: TopologyTestDriver) {
    const input: TestInputTopic<string, string> = driver.createInputTopic('input');
    input.pipeInput('A', '1', 10);
    input.pipeInput('B', '1', 50);
    input.pipeInput('C', '1', 30);
    input.pipeInput('D', '2', 40);
    input.pipeInput('E', '2', 60);
  }

  javaTest('shouldCountAndMaterializeResults', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('input', strings)
      .groupBy((_key, value) => ({ key: value, value }), strings)
      .count({ storeName: 'count', keySerde: Serdes.String(), valueSerde: Serdes.Long() });
    const driver = await start(builder.build());
    processData(driver);
    const counts = driver.getKeyValueStore<string, number>('count');
    expect([counts.get('1'), counts.get('2')]).toEqual([3, 2]);
    const timestamped = driver.getTimestampedKeyValueStore<string, number>('count');
    expect([timestamped.get('1'), timestamped.get('2')]).toEqual([
      { value: 3, timestamp: 50 },
      { value: 2, timestamp: 60 },
    ]);
  });

  javaTest('shouldAggregateAndMaterializeResults', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('input', strings)
      .groupBy((_key, value) => ({ key: value, value }), strings)
      .aggregate(stringInit, toStringAdder, toStringRemover, {
        storeName: 'aggregate',
        valueSerde: Serdes.String(),
        keySerde: Serdes.String(),
      });
    const driver = await start(builder.build());
    processData(driver);
    const aggregate = driver.getKeyValueStore<string, string>('aggregate');
    expect([aggregate.get('1'), aggregate.get('2')]).toEqual(['0+1+1+1', '0+2+2']);
    const timestamped = driver.getTimestampedKeyValueStore<string, string>('aggregate');
    expect([timestamped.get('1'), timestamped.get('2')]).toEqual([
      { value: '0+1+1+1', timestamp: 50 },
      { value: '0+2+2', timestamp: 60 },
    ]);
  });

  notApplicable('shouldThrowNullPointOnCountWhenMaterializedIsNull', NULL_OPTIONS);
  notApplicable('shouldThrowNullPointerOnReduceWhenMaterializedIsNull', NULL_OPTIONS);

  javaTest('shouldThrowNullPointerOnReduceWhenAdderIsNull', () => {
    expect(() => groupedTable.reduce(missing, concat, { storeName: 'store' })).toThrow(/needs an adder/);
  });

  javaTest('shouldThrowNullPointerOnReduceWhenSubtractorIsNull', () => {
    expect(() => groupedTable.reduce(concat, missing, { storeName: 'store' })).toThrow(/needs a subtractor/);
  });

  javaTest('shouldThrowNullPointerOnAggregateWhenInitializerIsNull', () => {
    expect(() =>
      groupedTable.aggregate(missing, toStringAdder, toStringRemover, { storeName: 'store' }),
    ).toThrow(/needs an initializer/);
  });

  javaTest('shouldThrowNullPointerOnAggregateWhenAdderIsNull', () => {
    expect(() =>
      groupedTable.aggregate(stringInit, missing, toStringRemover, { storeName: 'store' }),
    ).toThrow(/needs an adder/);
  });

  javaTest('shouldThrowNullPointerOnAggregateWhenSubtractorIsNull', () => {
    expect(() => groupedTable.aggregate(stringInit, toStringAdder, missing, { storeName: 'store' })).toThrow(
      /needs a subtractor/,
    );
  });

  notApplicable('shouldThrowNullPointerOnAggregateWhenMaterializedIsNull', NULL_OPTIONS);
});
