// Kafka Streams' TimeWindowedCogroupedKStreamImplTest, transcribed: a cogroup aggregated in tumbling
// and hopping windows, with the arguments it refuses and the names it gives.
import { beforeEach, describe, expect } from 'vitest';
import { StreamsBuilder, TimeWindows, type TimeWindowedCogroupedKStream } from 'tributary';
import {
  driverPerTest,
  javaTest,
  kvt,
  notApplicable,
  stringInit,
  toStringAdder,
} from './support/conformance.ts';
import { topologyShape } from './support/topology-shape.ts';
import { pipe, strings, windowedCogroupSetup, WindowedOutput } from './support/windowed-cogroup.ts';

const WINDOW_SIZE = 500;
const NULL_OPTIONS =
  'Kafka Streams refuses a null Named or Materialized; in Tributary the options object is optional (the name is one of its fields), and null or undefined means defaults';
const missing = null as unknown as never;

describe('TimeWindowedCogroupedKStreamImplTest', () => {
  const start = driverPerTest();
  let setup: ReturnType<typeof windowedCogroupSetup>;
  let windowedCogroupedStream: TimeWindowedCogroupedKStream<string, string>;

  beforeEach(() => {
    setup = windowedCogroupSetup();
    windowedCogroupedStream = setup.cogroupedStream.windowedBy(TimeWindows.ofSizeWithNoGrace(WINDOW_SIZE));
  });

  javaTest('shouldNotHaveNullInitializerOnAggregate', () => {
    expect(() => windowedCogroupedStream.aggregate(missing)).toThrow(/needs an initializer/);
  });
  notApplicable('shouldNotHaveNullMaterializedOnTwoOptionAggregate', NULL_OPTIONS);
  notApplicable('shouldNotHaveNullNamedTwoOptionOnAggregate', NULL_OPTIONS);
  javaTest('shouldNotHaveNullInitializerTwoOptionNamedOnAggregate', () => {
    expect(() => windowedCogroupedStream.aggregate(missing, { name: 'test' })).toThrow(
      /needs an initializer/,
    );
  });
  javaTest('shouldNotHaveNullInitializerTwoOptionMaterializedOnAggregate', () => {
    expect(() => windowedCogroupedStream.aggregate(missing, { storeName: 'test' })).toThrow(
      /needs an initializer/,
    );
  });
  javaTest('shouldNotHaveNullInitializerThreeOptionOnAggregate', () => {
    expect(() => windowedCogroupedStream.aggregate(missing, { name: 'test', storeName: 'test' })).toThrow(
      /needs an initializer/,
    );
  });
  notApplicable('shouldNotHaveNullMaterializedOnAggregate', NULL_OPTIONS);
  notApplicable('shouldNotHaveNullNamedOnAggregate', NULL_OPTIONS);

  javaTest('namedParamShouldSetName', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('topic', strings)
      .groupByKey(strings)
      .cogroup(toStringAdder)
      .windowedBy(TimeWindows.ofSizeWithNoGrace(WINDOW_SIZE))
      .aggregate(stringInit, { name: 'foo' });
    expect(topologyShape(builder.build().describe().toString())).toEqual(
      topologyShape(`Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])
      --> foo-cogroup-agg-0
    Processor: foo-cogroup-agg-0 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000001])
      --> foo-cogroup-merge
      <-- KSTREAM-SOURCE-0000000000
    Processor: foo-cogroup-merge (stores: [])
      --> none
      <-- foo-cogroup-agg-0
`),
    );
  });

  javaTest('timeWindowAggregateTestStreamsTest', async () => {
    const output = new WindowedOutput(windowedCogroupedStream.aggregate(stringInit, strings));
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k2', 'A', 0],
      ['k2', 'A', 1],
      ['k1', 'A', 2],
      ['k1', 'B', 3],
      ['k2', 'B', 3],
      ['k2', 'B', 4],
      ['k1', 'B', 4],
    ]);
    output.check(
      kvt('k1', '0+A', 0),
      kvt('k2', '0+A', 0),
      kvt('k2', '0+A+A', 1),
      kvt('k1', '0+A+A', 2),
      kvt('k1', '0+A+A+B', 3),
      kvt('k2', '0+A+A+B', 3),
      kvt('k2', '0+A+A+B+B', 4),
      kvt('k1', '0+A+A+B+B', 4),
    );
  });

  javaTest('timeWindowMixAggregatorsTest', async () => {
    const output = new WindowedOutput(windowedCogroupedStream.aggregate(stringInit, strings));
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k2', 'A', 0],
      ['k2', 'A', 1],
      ['k1', 'A', 2],
    ]);
    pipe(driver, 'topic2', [
      ['k1', 'B', 3],
      ['k2', 'B', 3],
      ['k2', 'B', 4],
      ['k1', 'B', 4],
    ]);
    output.check(
      kvt('k1', '0+A', 0),
      kvt('k2', '0+A', 0),
      kvt('k2', '0+A+A', 1),
      kvt('k1', '0+A+A', 2),
      kvt('k1', '0+A+A-B', 3),
      kvt('k2', '0+A+A-B', 3),
      kvt('k2', '0+A+A-B-B', 4),
      kvt('k1', '0+A+A-B-B', 4),
    );
  });

  javaTest('timeWindowAggregateManyWindowsTest', async () => {
    const output = new WindowedOutput(
      setup.groupedStream
        .cogroup(toStringAdder)
        .windowedBy(TimeWindows.ofSizeWithNoGrace(500))
        .aggregate(stringInit, strings),
    );
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k2', 'A', 499],
      ['k2', 'A', 500],
      ['k1', 'A', 500],
    ]);
    output.check(kvt('k1', '0+A', 0), kvt('k2', '0+A', 499), kvt('k2', '0+A', 500), kvt('k1', '0+A', 500));
  });

  javaTest('timeWindowAggregateOverlappingWindowsTest', async () => {
    const output = new WindowedOutput(
      setup.groupedStream
        .cogroup(toStringAdder)
        .windowedBy(TimeWindows.ofSizeWithNoGrace(500).advanceBy(200))
        .aggregate(stringInit, strings),
    );
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k2', 'A', 0],
      ['k1', 'B', 250],
      ['k2', 'B', 250],
      ['k2', 'A', 500],
      ['k1', 'A', 500],
    ]);
    output.check(
      kvt('k1', '0+A', 0),
      kvt('k2', '0+A', 0),
      kvt('k1', '0+A+B', 250),
      kvt('k1', '0+B', 250),
      kvt('k2', '0+A+B', 250),
      kvt('k2', '0+B', 250),
      kvt('k2', '0+B+A', 500),
      kvt('k2', '0+A', 500),
      kvt('k1', '0+B+A', 500),
      kvt('k1', '0+A', 500),
    );
  });

  javaTest('timeWindowMixAggregatorsManyWindowsTest', async () => {
    const output = new WindowedOutput(windowedCogroupedStream.aggregate(stringInit, strings));
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k2', 'A', 0],
      ['k2', 'A', 1],
      ['k1', 'A', 2],
    ]);
    pipe(driver, 'topic2', [
      ['k1', 'B', 3],
      ['k2', 'B', 3],
      ['k2', 'B', 501],
      ['k1', 'B', 501],
    ]);
    output.check(
      kvt('k1', '0+A', 0),
      kvt('k2', '0+A', 0),
      kvt('k2', '0+A+A', 1),
      kvt('k1', '0+A+A', 2),
      kvt('k1', '0+A+A-B', 3),
      kvt('k2', '0+A+A-B', 3),
      kvt('k2', '0-B', 501),
      kvt('k1', '0-B', 501),
    );
  });
});
