// Kafka Streams' CogroupedKStreamImplTest, transcribed: grouped streams of one key folded into one
// table, each with its own aggregator (KIP-150); the arguments cogroup refuses; the names and
// repartition topics of the topology it builds.
import { beforeEach, describe, expect } from 'vitest';
import { Serdes, StreamsBuilder, type CogroupedKStream, type KGroupedStream } from 'tributary';
import {
  driverPerTest,
  javaTest,
  kvt,
  notApplicable,
  stringInit,
  toStringAdder,
  toStringRemover,
} from './support/conformance.ts';
import { topologyShape } from './support/topology-shape.ts';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const stringAggregator = (_key: string, value: string, aggregate: string) => aggregate + value;
const stringInitializer = () => '';
const stringSumAggregator = (_key: string, value: string, aggregate: number) =>
  aggregate + Number.parseInt(value, 10);
const sumAggregator = (_key: string, value: number, aggregate: number) => aggregate + value;
const sumInitializer = () => 0;
const NULL_OPTIONS =
  'Kafka Streams refuses a null Named or Materialized; in Tributary the options object is optional (the name is one of its fields), and null or undefined means defaults';

// JavaScript callers can pass anything: these reach the DSL as the Java tests' nulls do.
const missing = null as unknown as never;

describe('CogroupedKStreamImplTest', () => {
  const start = driverPerTest();
  let groupedStream: KGroupedStream<string, string>;
  let cogroupedStream: CogroupedKStream<string, string>;

  beforeEach(() => {
    groupedStream = new StreamsBuilder().stream<string, string>('topic', strings).groupByKey(strings);
    cogroupedStream = groupedStream.cogroup(toStringAdder);
  });

  javaTest('shouldThrowNPEInCogroupIfKGroupedStreamIsNull', () => {
    expect(() => cogroupedStream.cogroup(missing, toStringAdder)).toThrow(/needs a grouped stream/);
  });

  javaTest('shouldNotHaveNullAggregatorOnCogroup', () => {
    expect(() => cogroupedStream.cogroup(groupedStream, missing)).toThrow(/needs an aggregator/);
  });

  javaTest('shouldNotHaveNullInitializerOnAggregate', () => {
    expect(() => cogroupedStream.aggregate(missing)).toThrow(/needs an initializer/);
  });

  javaTest('shouldNotHaveNullInitializerOnAggregateWitNamed', () => {
    expect(() => cogroupedStream.aggregate(missing, { name: 'name' })).toThrow(/needs an initializer/);
  });

  javaTest('shouldNotHaveNullInitializerOnAggregateWitMaterialized', () => {
    expect(() => cogroupedStream.aggregate(missing, { storeName: 'store' })).toThrow(/needs an initializer/);
  });

  javaTest('shouldNotHaveNullInitializerOnAggregateWitNamedAndMaterialized', () => {
    expect(() => cogroupedStream.aggregate(missing, { name: 'name', storeName: 'store' })).toThrow(
      /needs an initializer/,
    );
  });

  notApplicable('shouldNotHaveNullNamedOnAggregate', NULL_OPTIONS);
  notApplicable('shouldNotHaveNullMaterializedOnAggregate', NULL_OPTIONS);
  notApplicable('shouldNotHaveNullNamedOnAggregateWithMateriazlied', NULL_OPTIONS);
  notApplicable('shouldNotHaveNullMaterializedOnAggregateWithNames', NULL_OPTIONS);

  javaTest('shouldNotHaveNullWindowOnWindowedByTime', () => {
    expect(() => cogroupedStream.windowedBy(missing)).toThrow(/needs windows/);
  });

  javaTest('shouldNotHaveNullWindowOnWindowedBySession', () => {
    expect(() => cogroupedStream.windowedBy(missing)).toThrow(/needs windows/);
  });

  javaTest('shouldNotHaveNullWindowOnWindowedBySliding', () => {
    expect(() => cogroupedStream.windowedBy(missing)).toThrow(/needs windows/);
  });

  /** Java's `describe()` text and ours have the same shape (see `topologyShape` for what that leaves out). */
  function expectShape(builder: StreamsBuilder, java: string): void {
    expect(topologyShape(builder.build().describe().toString())).toEqual(topologyShape(java));
  }

  /** Streams "one" and "two" (and "three") of strings, as most naming tests start. */
  function streams(builder: StreamsBuilder, ...topics: string[]) {
    return topics.map((topic) => builder.stream<string, string>(topic, strings));
  }

  const swap = (key: string, value: string) => ({ key: value, value: key });

  javaTest('shouldNameProcessorsAndStoreBasedOnNamedParameter', () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    one!
      .groupByKey()
      .cogroup(stringAggregator)
      .cogroup(two!.groupByKey(), stringAggregator)
      .aggregate(stringInitializer, { name: 'test', storeName: 'store' })
      .toStream()
      .to('output');
    expectShape(
      builder,
      `Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> test-cogroup-agg-0
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> test-cogroup-agg-1
    Processor: test-cogroup-agg-0 (stores: [store])
      --> test-cogroup-merge
      <-- KSTREAM-SOURCE-0000000000
    Processor: test-cogroup-agg-1 (stores: [store])
      --> test-cogroup-merge
      <-- KSTREAM-SOURCE-0000000001
    Processor: test-cogroup-merge (stores: [])
      --> KTABLE-TOSTREAM-0000000005
      <-- test-cogroup-agg-0, test-cogroup-agg-1
    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000006
      <-- test-cogroup-merge
    Sink: KSTREAM-SINK-0000000006 (topic: output)
      <-- KTABLE-TOSTREAM-0000000005
`,
    );
  });

  javaTest('shouldNameRepartitionTopic', () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    one!
      .map(swap)
      .groupByKey({ name: 'repartition-test' })
      .cogroup(stringAggregator)
      .cogroup(two!.groupByKey(), stringAggregator)
      .aggregate(stringInitializer)
      .toStream()
      .to('output');
    expectShape(
      builder,
      `Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000002
    Processor: KSTREAM-MAP-0000000002 (stores: [])
      --> repartition-test-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: repartition-test-repartition-filter (stores: [])
      --> repartition-test-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Sink: repartition-test-repartition-sink (topic: repartition-test-repartition)
      <-- repartition-test-repartition-filter

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> COGROUPKSTREAM-AGGREGATE-0000000008
    Source: repartition-test-repartition-source (topics: [repartition-test-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000007
    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- repartition-test-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])
      --> KTABLE-TOSTREAM-0000000010
      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008
    Processor: KTABLE-TOSTREAM-0000000010 (stores: [])
      --> KSTREAM-SINK-0000000011
      <-- COGROUPKSTREAM-MERGE-0000000009
    Sink: KSTREAM-SINK-0000000011 (topic: output)
      <-- KTABLE-TOSTREAM-0000000010
`,
    );
  });

  javaTest('shouldInsertRepartitionsTopicForUpstreamKeyModification', () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    one!
      .map(swap)
      .groupByKey()
      .cogroup(stringAggregator)
      .cogroup(two!.groupByKey(), stringAggregator)
      .aggregate(stringInitializer, { name: 'test', storeName: 'store' })
      .toStream()
      .to('output');
    expectShape(
      builder,
      `Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000002
    Processor: KSTREAM-MAP-0000000002 (stores: [])
      --> store-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: store-repartition-filter (stores: [])
      --> store-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Sink: store-repartition-sink (topic: store-repartition)
      <-- store-repartition-filter

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> test-cogroup-agg-1
    Source: store-repartition-source (topics: [store-repartition])
      --> test-cogroup-agg-0
    Processor: test-cogroup-agg-0 (stores: [store])
      --> test-cogroup-merge
      <-- store-repartition-source
    Processor: test-cogroup-agg-1 (stores: [store])
      --> test-cogroup-merge
      <-- KSTREAM-SOURCE-0000000001
    Processor: test-cogroup-merge (stores: [])
      --> KTABLE-TOSTREAM-0000000009
      <-- test-cogroup-agg-0, test-cogroup-agg-1
    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])
      --> KSTREAM-SINK-0000000010
      <-- test-cogroup-merge
    Sink: KSTREAM-SINK-0000000010 (topic: output)
      <-- KTABLE-TOSTREAM-0000000009
`,
    );
  });

  javaTest('shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInSameCogroups', () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    const groupedOne = one!.map(swap).groupByKey();
    const groupedTwo = two!.groupByKey();
    const cogroupedTwo = groupedOne
      .cogroup(stringAggregator)
      .cogroup(groupedTwo, stringAggregator)
      .aggregate(stringInitializer);
    const cogroupedOne = groupedOne
      .cogroup(stringAggregator)
      .cogroup(groupedTwo, stringAggregator)
      .aggregate(stringInitializer);
    cogroupedOne.toStream().to('output');
    cogroupedTwo.toStream().to('OUTPUT2');
    expectShape(
      builder,
      `Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000002
    Processor: KSTREAM-MAP-0000000002 (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter, COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter
    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition)
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000015
    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000007
    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000014
    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-AGGREGATE-0000000014 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010])
      --> COGROUPKSTREAM-MERGE-0000000016
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010])
      --> COGROUPKSTREAM-MERGE-0000000016
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])
      --> KTABLE-TOSTREAM-0000000019
      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008
    Processor: COGROUPKSTREAM-MERGE-0000000016 (stores: [])
      --> KTABLE-TOSTREAM-0000000017
      <-- COGROUPKSTREAM-AGGREGATE-0000000014, COGROUPKSTREAM-AGGREGATE-0000000015
    Processor: KTABLE-TOSTREAM-0000000017 (stores: [])
      --> KSTREAM-SINK-0000000018
      <-- COGROUPKSTREAM-MERGE-0000000016
    Processor: KTABLE-TOSTREAM-0000000019 (stores: [])
      --> KSTREAM-SINK-0000000020
      <-- COGROUPKSTREAM-MERGE-0000000009
    Sink: KSTREAM-SINK-0000000018 (topic: output)
      <-- KTABLE-TOSTREAM-0000000017
    Sink: KSTREAM-SINK-0000000020 (topic: OUTPUT2)
      <-- KTABLE-TOSTREAM-0000000019
`,
    );
  });

  const NO_OPTIMIZER =
    'Tributary has no topology optimizer (topology.optimization=all): each grouped stream is repartitioned where the topology says so, which the case without optimization checks';
  notApplicable(
    'shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInSameCogroupsWithOptimization',
    NO_OPTIMIZER,
  );

  javaTest(
    'shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInDifferentCogroups',
    () => {
      const builder = new StreamsBuilder();
      const [one, two, three] = streams(builder, 'one', 'two', 'three');
      const groupedOne = one!.map(swap).groupByKey();
      groupedOne
        .cogroup(stringAggregator)
        .cogroup(three!.groupByKey(), stringAggregator)
        .aggregate(stringInitializer);
      groupedOne
        .cogroup(stringAggregator)
        .cogroup(two!.groupByKey(), stringAggregator)
        .aggregate(stringInitializer);
      expectShape(
        builder,
        `Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000003
    Processor: KSTREAM-MAP-0000000003 (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter, COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-sink
      <-- KSTREAM-MAP-0000000003
    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-sink
      <-- KSTREAM-MAP-0000000003
    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition)
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter
    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition)
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter

  Sub-topology: 1
    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000015
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> COGROUPKSTREAM-AGGREGATE-0000000016
    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011])
      --> COGROUPKSTREAM-MERGE-0000000017
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000016 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011])
      --> COGROUPKSTREAM-MERGE-0000000017
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-MERGE-0000000017 (stores: [])
      --> none
      <-- COGROUPKSTREAM-AGGREGATE-0000000015, COGROUPKSTREAM-AGGREGATE-0000000016

  Sub-topology: 2
    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000008
    Source: KSTREAM-SOURCE-0000000002 (topics: [three])
      --> COGROUPKSTREAM-AGGREGATE-0000000009
    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004])
      --> COGROUPKSTREAM-MERGE-0000000010
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000009 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004])
      --> COGROUPKSTREAM-MERGE-0000000010
      <-- KSTREAM-SOURCE-0000000002
    Processor: COGROUPKSTREAM-MERGE-0000000010 (stores: [])
      --> none
      <-- COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000009
`,
      );
    },
  );

  notApplicable(
    'shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInDifferentCogroupsWithOptimization',
    NO_OPTIMIZER,
  );

  javaTest('shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReused', () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    const groupedOne = one!.map(swap).groupByKey();
    groupedOne
      .cogroup(stringAggregator)
      .cogroup(two!.groupByKey(), stringAggregator)
      .aggregate(stringInitializer);
    groupedOne.aggregate(stringInitializer, stringAggregator);
    expectShape(
      builder,
      `Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000002
    Processor: KSTREAM-MAP-0000000002 (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter, KSTREAM-FILTER-0000000013
      <-- KSTREAM-SOURCE-0000000000
    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Processor: KSTREAM-FILTER-0000000013 (stores: [])
      --> KSTREAM-SINK-0000000012
      <-- KSTREAM-MAP-0000000002
    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter
    Sink: KSTREAM-SINK-0000000012 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition)
      <-- KSTREAM-FILTER-0000000013

  Sub-topology: 1
    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000007
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> COGROUPKSTREAM-AGGREGATE-0000000008
    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])
      --> none
      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008

  Sub-topology: 2
    Source: KSTREAM-SOURCE-0000000014 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition])
      --> KSTREAM-AGGREGATE-0000000011
    Processor: KSTREAM-AGGREGATE-0000000011 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000010])
      --> none
      <-- KSTREAM-SOURCE-0000000014
`,
    );
  });

  notApplicable(
    'shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedWithOptimization',
    NO_OPTIMIZER,
  );
  notApplicable(
    'shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedRemadeWithOptimization',
    NO_OPTIMIZER,
  );

  javaTest('shouldInsertRepartitionsTopicForCogroupsUsedTwice', () => {
    const builder = new StreamsBuilder();
    const [one] = streams(builder, 'one');
    const cogrouped = one!.map(swap).groupByKey({ name: 'foo' }).cogroup(stringAggregator);
    cogrouped.aggregate(stringInitializer);
    cogrouped.aggregate(stringInitializer);
    expectShape(
      builder,
      `Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000001
    Processor: KSTREAM-MAP-0000000001 (stores: [])
      --> foo-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: foo-repartition-filter (stores: [])
      --> foo-repartition-sink
      <-- KSTREAM-MAP-0000000001
    Sink: foo-repartition-sink (topic: foo-repartition)
      <-- foo-repartition-filter

  Sub-topology: 1
    Source: foo-repartition-source (topics: [foo-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000006, COGROUPKSTREAM-AGGREGATE-0000000012
    Processor: COGROUPKSTREAM-AGGREGATE-0000000006 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000002])
      --> COGROUPKSTREAM-MERGE-0000000007
      <-- foo-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000012 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000008])
      --> COGROUPKSTREAM-MERGE-0000000013
      <-- foo-repartition-source
    Processor: COGROUPKSTREAM-MERGE-0000000007 (stores: [])
      --> none
      <-- COGROUPKSTREAM-AGGREGATE-0000000006
    Processor: COGROUPKSTREAM-MERGE-0000000013 (stores: [])
      --> none
      <-- COGROUPKSTREAM-AGGREGATE-0000000012
`,
    );
  });

  /** Pipes `records` (topic, key, value, timestamp) and returns what reached "output". */
  async function run(
    builder: StreamsBuilder,
    records: readonly (readonly [string, string, unknown, number])[],
  ) {
    const driver = await start(builder.build());
    const inputs = new Map<string, ReturnType<typeof driver.createInputTopic<string, unknown>>>();
    for (const [topic, key, value, timestamp] of records) {
      let input = inputs.get(topic);
      if (!input) inputs.set(topic, (input = driver.createInputTopic<string, unknown>(topic)));
      input.pipeInput(key, value, timestamp);
    }
    return driver
      .createOutputTopic<string, unknown>('output')
      .readRecordsToList()
      .map(({ key, value, timestamp, headers }) => ({ ...kvt(key, value, timestamp), headers }));
  }

  /** The Java tests' `assertOutputKeyValueTimestamp`: key, value and timestamp, no headers. */
  const out = (key: string, value: unknown, timestamp: number) => ({
    ...kvt(key, value, timestamp),
    headers: {},
  });

  javaTest('shouldCogroupAndAggregateSingleKStreams', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('one', strings)
      .groupByKey()
      .cogroup(stringAggregator)
      .aggregate(stringInitializer)
      .toStream()
      .to('output');
    const output = await run(builder, [
      ['one', 'k1', 'A', 0],
      ['one', 'k2', 'B', 0],
      ['one', 'k2', 'B', 0],
      ['one', 'k1', 'A', 0],
    ]);
    expect(output).toEqual([out('k1', 'A', 0), out('k2', 'B', 0), out('k2', 'BB', 0), out('k1', 'AA', 0)]);
  });

  javaTest('testCogroupHandleNullValues', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('one', strings)
      .groupByKey()
      .cogroup(stringAggregator)
      .aggregate(stringInitializer)
      .toStream()
      .to('output');
    const output = await run(builder, [
      ['one', 'k1', 'A', 0],
      ['one', 'k2', 'B', 0],
      ['one', 'k2', null, 0],
      ['one', 'k2', 'B', 0],
      ['one', 'k1', 'A', 0],
    ]);
    expect(output).toEqual([out('k1', 'A', 0), out('k2', 'B', 0), out('k2', 'BB', 0), out('k1', 'AA', 0)]);
  });

  javaTest('shouldCogroupAndAggregateTwoKStreamsWithDistinctKeys', async () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    one!
      .groupByKey()
      .cogroup(stringAggregator)
      .cogroup(two!.groupByKey(), stringAggregator)
      .aggregate(stringInitializer)
      .toStream()
      .to('output');
    const output = await run(builder, [
      ['one', 'k1', 'A', 0],
      ['one', 'k1', 'A', 1],
      ['one', 'k1', 'A', 10],
      ['one', 'k1', 'A', 100],
      ['two', 'k2', 'B', 100],
      ['two', 'k2', 'B', 200],
      ['two', 'k2', 'B', 1],
      ['two', 'k2', 'B', 500],
      ['two', 'k2', 'B', 500],
      ['two', 'k2', 'B', 100],
    ]);
    expect(output).toEqual([
      out('k1', 'A', 0),
      out('k1', 'AA', 1),
      out('k1', 'AAA', 10),
      out('k1', 'AAAA', 100),
      out('k2', 'B', 100),
      out('k2', 'BB', 200),
      out('k2', 'BBB', 200),
      out('k2', 'BBBB', 500),
      out('k2', 'BBBBB', 500),
      out('k2', 'BBBBBB', 500),
    ]);
  });

  // The Java tests below read only the first records of the output; the rest, which they leave unread,
  // follow the same rule and are checked here too (marked).
  const sharedKeyInputs = (secondTopic: string, values: readonly unknown[]) =>
    [
      ['one', 'k1', 'A', 0],
      ['one', 'k2', 'A', 1],
      ['one', 'k1', 'A', 10],
      ['one', 'k2', 'A', 100],
      ...(
        [
          ['k2', 100],
          ['k2', 200],
          ['k1', 1],
          ['k2', 500],
          ['k1', 500],
          ['k2', 500],
          ['k3', 500],
          ['k2', 100],
        ] as const
      ).map(([key, timestamp], i) => [secondTopic, key, values[i], timestamp] as const),
    ] as const;

  javaTest('shouldCogroupAndAggregateTwoKStreamsWithSharedKeys', async () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    one!
      .groupByKey()
      .cogroup(stringAggregator)
      .cogroup(two!.groupByKey(), stringAggregator)
      .aggregate(stringInitializer)
      .toStream()
      .to('output');
    const output = await run(builder, sharedKeyInputs('two', Array(8).fill('B')));
    expect(output).toEqual([
      out('k1', 'A', 0),
      out('k2', 'A', 1),
      out('k1', 'AA', 10),
      out('k2', 'AA', 100),
      out('k2', 'AAB', 100),
      out('k2', 'AABB', 200),
      out('k1', 'AAB', 10),
      out('k2', 'AABBB', 500),
      out('k1', 'AABB', 500),
      out('k2', 'AABBBB', 500),
      out('k3', 'B', 500), // unread by the Java test
      out('k2', 'AABBBBB', 500), // unread by the Java test
    ]);
  });

  const sumExpectations = [
    out('k1', 1, 0),
    out('k2', 1, 1),
    out('k1', 2, 10),
    out('k2', 2, 100),
    out('k2', 4, 100),
    out('k2', 6, 200),
    out('k1', 4, 10),
    out('k2', 8, 500),
    out('k1', 6, 500),
    out('k2', 11, 500),
  ];

  javaTest('shouldAllowDifferentOutputTypeInCoGroup', async () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    one!
      .groupByKey()
      .cogroup(stringSumAggregator)
      .cogroup(two!.groupByKey(), stringSumAggregator)
      .aggregate(sumInitializer, { storeName: 'store1', valueSerde: Serdes.Int() })
      .toStream()
      .to('output', { keySerde: Serdes.String(), valueSerde: Serdes.Int() });
    const output = await run(
      builder,
      sharedKeyInputs('two', ['2', '2', '2', '2', '2', '3', '2', '2']).map(
        ([topic, key, value, timestamp]) => [topic, key, topic === 'one' ? '1' : value, timestamp] as const,
      ),
    );
    expect(output).toEqual([
      ...sumExpectations,
      out('k3', 2, 500), // unread by the Java test
      out('k2', 13, 500), // unread by the Java test
    ]);
  });

  javaTest('shouldCoGroupStreamsWithDifferentInputTypes', async () => {
    const builder = new StreamsBuilder();
    const one = builder.stream<string, string>('one', strings);
    const two = builder.stream<string, number>('two', {
      keySerde: Serdes.String(),
      valueSerde: Serdes.Int(),
    });
    one
      .groupByKey()
      .cogroup(stringSumAggregator)
      .cogroup(two.groupByKey(), sumAggregator)
      .aggregate(sumInitializer, { storeName: 'store1', valueSerde: Serdes.Int() })
      .toStream()
      .to('output', { keySerde: Serdes.String(), valueSerde: Serdes.Int() });
    const output = await run(
      builder,
      sharedKeyInputs('two', [2, 2, 2, 2, 2, 3, 2, 2]).map(
        ([topic, key, value, timestamp]) => [topic, key, topic === 'one' ? '1' : value, timestamp] as const,
      ),
    );
    expect(output).toEqual([
      ...sumExpectations,
      out('k3', 2, 500),
      out('k2', 13, 500), // unread by the Java test
    ]);
  });

  javaTest('testCogroupKeyMixedAggregators', async () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    one!
      .groupByKey()
      .cogroup(toStringRemover)
      .cogroup(two!.groupByKey(), toStringAdder)
      .aggregate(stringInit, { storeName: 'store1', valueSerde: Serdes.String() })
      .toStream()
      .to('output');
    const output = await run(builder, [
      ['one', 'k1', '1', 0],
      ['one', 'k2', '1', 1],
      ['one', 'k1', '1', 10],
      ['one', 'k2', '1', 100],
      ['two', 'k1', '2', 500],
      ['two', 'k2', '2', 500],
      ['two', 'k1', '2', 500],
      ['two', 'k2', '2', 100],
    ]);
    expect(output).toEqual([
      out('k1', '0-1', 0),
      out('k2', '0-1', 1),
      out('k1', '0-1-1', 10),
      out('k2', '0-1-1', 100),
      out('k1', '0-1-1+2', 500),
      out('k2', '0-1-1+2', 500),
      out('k1', '0-1-1+2+2', 500),
      out('k2', '0-1-1+2+2', 500),
    ]);
  });

  javaTest('testCogroupWithThreeGroupedStreams', async () => {
    const builder = new StreamsBuilder();
    const [one, two, three] = streams(builder, 'one', 'two', 'three');
    one!
      .groupByKey()
      .cogroup(stringAggregator)
      .cogroup(two!.groupByKey(), stringAggregator)
      .cogroup(three!.groupByKey(), stringAggregator)
      .aggregate(stringInitializer)
      .toStream()
      .to('output');
    const output = await run(
      builder,
      sharedKeyInputs('two', Array(8).fill('B')).map(
        ([topic, key, value, timestamp], i) => [i >= 8 ? 'three' : topic, key, value, timestamp] as const,
      ),
    );
    expect(output).toEqual([
      out('k1', 'A', 0),
      out('k2', 'A', 1),
      out('k1', 'AA', 10),
      out('k2', 'AA', 100),
      out('k2', 'AAB', 100),
      out('k2', 'AABB', 200),
      out('k1', 'AAB', 10),
      out('k2', 'AABBB', 500),
      out('k1', 'AABB', 500),
      out('k2', 'AABBBB', 500),
      out('k3', 'B', 500),
      out('k2', 'AABBBBB', 500), // unread by the Java test
    ]);
  });

  javaTest('testCogroupWithKTableKTableInnerJoin', async () => {
    const builder = new StreamsBuilder();
    const [one, two] = streams(builder, 'one', 'two');
    const table1 = one!
      .groupByKey()
      .cogroup(stringAggregator)
      .cogroup(two!.groupByKey(), stringAggregator)
      .aggregate(stringInitializer, { name: 'name', storeName: 'store' });
    const table2 = builder.table<string, string>('three', strings);
    table1
      .join(table2, (left, right) => `${left}+${right}`, strings)
      .toStream()
      .to('output');
    const driver = await start(builder.build());
    const output = driver.createOutputTopic<string, string>('output');
    driver.createInputTopic<string, string>('one').pipeInput('k1', 'A', 5);
    driver.createInputTopic<string, string>('two').pipeInput('k2', 'B', 6);
    expect(output.isEmpty()).toBe(true);
    const three = driver.createInputTopic<string, string>('three');
    three.pipeInput('k1', 'C', 0);
    three.pipeInput('k2', 'D', 10);
    expect(output.readRecordsToList().map(({ key, value, timestamp }) => kvt(key, value, timestamp))).toEqual(
      [kvt('k1', 'A+C', 5), kvt('k2', 'B+D', 10)],
    );
  });
});
