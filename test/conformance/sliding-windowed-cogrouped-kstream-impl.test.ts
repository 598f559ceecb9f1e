// Kafka Streams' SlidingWindowedCogroupedKStreamImplTest, transcribed: a cogroup aggregated in sliding
// windows, with the arguments it refuses and the names it gives.
import { beforeEach, describe, expect } from 'vitest';
import { SlidingWindows, StreamsBuilder, type TimeWindowedCogroupedKStream, type Windowed } from 'tributary';
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

const WINDOW_SIZE_MS = 500;
const NULL_OPTIONS =
  'Kafka Streams refuses a null Named or Materialized; in Tributary the options object is optional (the name is one of its fields), and null or undefined means defaults';
const missing = null as unknown as never;

/** A key in the window the Java test's `TimeWindowedDeserializer` reads: `[start, start + 500)`. */
function windowed(key: string, start: number, end: number): Windowed<string> {
  return { key, window: { start, end } };
}

describe('SlidingWindowedCogroupedKStreamImplTest', () => {
  const start = driverPerTest();
  let setup: ReturnType<typeof windowedCogroupSetup>;
  let windowedCogroupedStream: TimeWindowedCogroupedKStream<string, string>;

  beforeEach(() => {
    setup = windowedCogroupSetup();
    windowedCogroupedStream = setup.cogroupedStream.windowedBy(
      SlidingWindows.ofTimeDifferenceAndGrace(WINDOW_SIZE_MS, 2000),
    );
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
      .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(WINDOW_SIZE_MS, 2000))
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

  javaTest('slidingWindowAggregateStreamsTest', async () => {
    const output = new WindowedOutput(windowedCogroupedStream.aggregate(stringInit, strings));
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 500],
      ['k2', 'A', 500],
      ['k2', 'A', 501],
      ['k1', 'A', 502],
      ['k1', 'B', 503],
      ['k2', 'B', 503],
      ['k2', 'B', 504],
      ['k1', 'B', 504],
    ]);
    expect(output.records()).toEqual([
      kvt(windowed('k1', 0, 500), '0+A', 500),
      kvt(windowed('k2', 0, 500), '0+A', 500),
      kvt(windowed('k2', 501, 1001), '0+A', 501),
      kvt(windowed('k2', 1, 501), '0+A+A', 501),
      kvt(windowed('k1', 501, 1001), '0+A', 502),
      kvt(windowed('k1', 2, 502), '0+A+A', 502),
      kvt(windowed('k1', 501, 1001), '0+A+B', 503),
      kvt(windowed('k1', 503, 1003), '0+B', 503),
      kvt(windowed('k1', 3, 503), '0+A+A+B', 503),
      kvt(windowed('k2', 501, 1001), '0+A+B', 503),
      kvt(windowed('k2', 502, 1002), '0+B', 503),
      kvt(windowed('k2', 3, 503), '0+A+A+B', 503),
      kvt(windowed('k2', 502, 1002), '0+B+B', 504),
      kvt(windowed('k2', 501, 1001), '0+A+B+B', 504),
      kvt(windowed('k2', 504, 1004), '0+B', 504),
      kvt(windowed('k2', 4, 504), '0+A+A+B+B', 504),
      kvt(windowed('k1', 503, 1003), '0+B+B', 504),
      kvt(windowed('k1', 501, 1001), '0+A+B+B', 504),
      kvt(windowed('k1', 504, 1004), '0+B', 504),
      kvt(windowed('k1', 4, 504), '0+A+A+B+B', 504),
    ]);
  });

  javaTest('slidingWindowAggregateOverlappingWindowsTest', async () => {
    const output = new WindowedOutput(
      setup.groupedStream
        .cogroup(toStringAdder)
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(WINDOW_SIZE_MS, 2000))
        .aggregate(stringInit, strings),
    );
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 500],
      ['k2', 'A', 500],
      ['k1', 'B', 750],
      ['k2', 'B', 750],
      ['k2', 'A', 1000],
      ['k1', 'A', 1000],
    ]);
    output.check(
      kvt('k1', '0+A', 500),
      kvt('k2', '0+A', 500),
      kvt('k1', '0+B', 750),
      kvt('k1', '0+A+B', 750),
      kvt('k2', '0+B', 750),
      kvt('k2', '0+A+B', 750),
      kvt('k2', '0+B+A', 1000),
      kvt('k2', '0+A', 1000),
      kvt('k2', '0+A+B+A', 1000),
      kvt('k1', '0+B+A', 1000),
      kvt('k1', '0+A', 1000),
      kvt('k1', '0+A+B+A', 1000),
    );
  });
});
