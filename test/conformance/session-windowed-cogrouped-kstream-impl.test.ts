// Kafka Streams' SessionWindowedCogroupedKStreamImplTest, transcribed: a cogroup aggregated in session
// windows (sessions merged with a merger, the merged ones deleted), with the arguments it refuses and
// the names it gives.
import { beforeEach, describe, expect } from 'vitest';
import { SessionWindows, StreamsBuilder, type SessionWindowedCogroupedKStream } from 'tributary';
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

const NULL_OPTIONS =
  'Kafka Streams refuses a null Named or Materialized; in Tributary the options object is optional (the name is one of its fields), and null or undefined means defaults';
const missing = null as unknown as never;
const sessionMerger = (_key: string, aggOne: string, aggTwo: string) => `${aggOne}+${aggTwo}`;
const DAY_MS = 24 * 60 * 60 * 1000;

describe('SessionWindowedCogroupedKStreamImplTest', () => {
  const start = driverPerTest();
  let setup: ReturnType<typeof windowedCogroupSetup>;
  let windowedCogroupedStream: SessionWindowedCogroupedKStream<string, string>;

  beforeEach(() => {
    setup = windowedCogroupSetup();
    windowedCogroupedStream = setup.cogroupedStream.windowedBy(
      SessionWindows.ofInactivityGapAndGrace(100, DAY_MS),
    );
  });

  javaTest('shouldNotHaveNullInitializerOnAggregate', () => {
    expect(() => windowedCogroupedStream.aggregate(missing, sessionMerger)).toThrow(/needs an initializer/);
  });
  javaTest('shouldNotHaveNullSessionMergerOnAggregate', () => {
    expect(() => windowedCogroupedStream.aggregate(stringInit, missing)).toThrow(/needs a session merger/);
  });
  notApplicable('shouldNotHaveNullMaterializedOnAggregate', NULL_OPTIONS);
  javaTest('shouldNotHaveNullSessionMerger2OnAggregate', () => {
    expect(() => windowedCogroupedStream.aggregate(stringInit, missing, { storeName: 'test' })).toThrow(
      /needs a session merger/,
    );
  });
  javaTest('shouldNotHaveNullInitializer2OnAggregate', () => {
    expect(() => windowedCogroupedStream.aggregate(missing, sessionMerger, { storeName: 'test' })).toThrow(
      /needs an initializer/,
    );
  });
  notApplicable('shouldNotHaveNullMaterialized2OnAggregate', NULL_OPTIONS);
  javaTest('shouldNotHaveNullSessionMerger3OnAggregate', () => {
    expect(() =>
      windowedCogroupedStream.aggregate(stringInit, missing, { name: 'name', storeName: 'test' }),
    ).toThrow(/needs a session merger/);
  });
  notApplicable('shouldNotHaveNullNamedOnAggregate', NULL_OPTIONS);
  javaTest('shouldNotHaveNullInitializer3OnAggregate', () => {
    expect(() =>
      windowedCogroupedStream.aggregate(missing, sessionMerger, { name: 'name', storeName: 'test' }),
    ).toThrow(/needs an initializer/);
  });
  notApplicable('shouldNotHaveNullNamed2OnAggregate', NULL_OPTIONS);

  javaTest('namedParamShouldSetName', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('topic', strings)
      .groupByKey(strings)
      .cogroup(toStringAdder)
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(1))
      .aggregate(stringInit, sessionMerger, { name: 'foo' });
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

  /** The first stream alone, cogrouped with `toStringAdder` in sessions of a 500 ms gap. */
  function singleStreamSessions() {
    return new WindowedOutput(
      setup.groupedStream
        .cogroup(toStringAdder)
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(500))
        .aggregate(stringInit, sessionMerger, strings),
    );
  }

  javaTest('sessionWindowAggregateTest', async () => {
    const output = singleStreamSessions();
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k2', 'A', 0],
      ['k1', 'B', 599],
      ['k2', 'B', 607],
    ]);
    output.check(kvt('k1', '0+A', 0), kvt('k2', '0+A', 0), kvt('k1', '0+B', 599), kvt('k2', '0+B', 607));
  });

  // Both records of k1 fall in the session [0, 0]: merging them keeps the window, so nothing is deleted.
  javaTest('sessionWindowAggregate2Test', async () => {
    const output = singleStreamSessions();
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k1', 'A', 0],
      ['k2', 'B', 599],
      ['k1', 'B', 607],
    ]);
    output.check(kvt('k1', '0+A', 0), kvt('k1', '0+0+A+A', 0), kvt('k2', '0+B', 599), kvt('k1', '0+B', 607));
  });

  javaTest('sessionWindowAggregateTest2StreamsTest', async () => {
    const output = new WindowedOutput(windowedCogroupedStream.aggregate(stringInit, sessionMerger, strings));
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k1', 'A', 84],
      ['k1', 'A', 113],
      ['k1', 'A', 199],
      ['k1', 'B', 300],
      ['k2', 'B', 301],
      ['k2', 'B', 400],
      ['k1', 'B', 400],
    ]);
    output.check(
      kvt('k1', '0+A', 0),
      kvt('k1', null, 0),
      kvt('k1', '0+0+A+A', 84),
      kvt('k1', null, 84),
      kvt('k1', '0+0+0+A+A+A', 113),
      kvt('k1', null, 113),
      kvt('k1', '0+0+0+0+A+A+A+A', 199),
      kvt('k1', '0+B', 300),
      kvt('k2', '0+B', 301),
      kvt('k2', null, 301),
      kvt('k2', '0+0+B+B', 400),
      kvt('k1', null, 300),
      kvt('k1', '0+0+B+B', 400),
    );
  });

  javaTest('sessionWindowMixAggregatorsTest', async () => {
    const output = new WindowedOutput(windowedCogroupedStream.aggregate(stringInit, sessionMerger, strings));
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
      ['k2', 'B', 444],
      ['k1', 'B', 444],
    ]);
    output.check(
      kvt('k1', '0+A', 0),
      kvt('k2', '0+A', 0),
      kvt('k2', null, 0),
      kvt('k2', '0+0+A+A', 1),
      kvt('k1', null, 0),
      kvt('k1', '0+0+A+A', 2),
      kvt('k1', null, 2),
      kvt('k1', '0+0+0+A+A-B', 3),
      kvt('k2', null, 1),
      kvt('k2', '0+0+0+A+A-B', 3),
      kvt('k2', '0-B', 444),
      kvt('k1', '0-B', 444),
    );
  });

  javaTest('sessionWindowMixAggregatorsManyWindowsTest', async () => {
    const output = new WindowedOutput(windowedCogroupedStream.aggregate(stringInit, sessionMerger, strings));
    const driver = await start(setup.builder.build());
    pipe(driver, 'topic', [
      ['k1', 'A', 0],
      ['k2', 'A', 0],
      ['k2', 'A', 1],
      ['k1', 'A', 2],
    ]);
    pipe(driver, 'topic2', [
      ['k1', 'B', 3],
      ['k2', 'B', 500],
      ['k2', 'B', 501],
      ['k1', 'B', 501],
    ]);
    output.check(
      kvt('k1', '0+A', 0),
      kvt('k2', '0+A', 0),
      kvt('k2', null, 0),
      kvt('k2', '0+0+A+A', 1),
      kvt('k1', null, 0),
      kvt('k1', '0+0+A+A', 2),
      kvt('k1', null, 2),
      kvt('k1', '0+0+0+A+A-B', 3),
      kvt('k2', '0-B', 500),
      kvt('k2', null, 500),
      kvt('k2', '0+0-B-B', 501),
      kvt('k1', '0-B', 501),
    );
  });
});
