// Kafka Streams' SuppressScenarioTest, transcribed: suppression by time limit and buffer limits, final
// results of windowed aggregations, and suppressed tables feeding re-groupings and joins.
import { describe } from 'vitest';
import {
  Serdes,
  SessionWindows,
  SlidingWindows,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  type BufferConfig,
  type KTable,
  type Serde,
  type Windowed,
} from 'tributary';
import type { TestOutputTopic, TopologyTestDriver } from 'tributary/testing';
import { driverPerTest, javaTest, kvt, type Kvt } from './support/conformance.ts';
import { expect } from 'vitest';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const stringLong = { keySerde: Serdes.String(), valueSerde: Serdes.Long() };
/** Kafka Streams' `Windowed.toString()`: `[key@start/end]`. */
const windowedName = (k: Windowed<string>) => `[${k.key}@${k.window.start}/${k.window.end}]`;

describe('SuppressScenarioTest', () => {
  const start = driverPerTest();

  /** What a topic received since the last read, as key-value-timestamps (the Java `drainProducerRecords`). */
  const outputs = new WeakMap<TopologyTestDriver, Map<string, TestOutputTopic<string, unknown>>>();
  function drain(
    driver: TopologyTestDriver,
    topic: string,
    valueSerde: Serde<unknown> = Serdes.Long() as Serde<unknown>,
  ): Kvt[] {
    const topics = outputs.get(driver) ?? new Map<string, TestOutputTopic<string, unknown>>();
    outputs.set(driver, topics);
    const output =
      topics.get(topic) ?? driver.createOutputTopic<string, unknown>(topic, Serdes.String(), valueSerde);
    topics.set(topic, output);
    return output.readRecordsToList().map(({ key, value, timestamp }) => kvt(key, value, timestamp));
  }

  /**
   * The counts of values of a table, raw and suppressed as `suppressed` says. Kafka Streams' driver
   * runs with a random application id of the form below; a buffer's size counts the name of the topic
   * a record came from (here the repartition topic), so the id's length matters for the bytes limit.
   */
  async function valueCounts(suppressed: Suppressed) {
    const builder = new StreamsBuilder();
    const counts = builder
      .table<string, string>('input', { ...strings, logging: false })
      .groupBy((k, v) => ({ key: v, value: k }), strings)
      .count();
    counts.suppress(suppressed).toStream().to('output-suppressed', stringLong);
    counts.toStream().to('output-raw', stringLong);
    const driver = await start(builder.build(), {
      applicationId: 'dummy-topology-test-driver-app-id-1234567890',
    });
    return { driver, input: driver.createInputTopic<string, string>('input') };
  }

  const firstThree = [kvt('v1', 1, 0), kvt('v1', 0, 1), kvt('v2', 1, 1), kvt('v1', 1, 2)];

  javaTest('shouldImmediatelyEmitEventsWithZeroEmitAfter', async () => {
    const { driver, input } = await valueCounts(Suppressed.untilTimeLimit(0));
    input.pipeInput('k1', 'v1', 0);
    input.pipeInput('k1', 'v2', 1);
    input.pipeInput('k2', 'v1', 2);
    expect(drain(driver, 'output-raw')).toEqual(firstThree);
    expect(drain(driver, 'output-suppressed')).toEqual(firstThree);
    input.pipeInput('x', 'x', 3);
    expect(drain(driver, 'output-raw')).toEqual([kvt('x', 1, 3)]);
    expect(drain(driver, 'output-suppressed')).toEqual([kvt('x', 1, 3)]);
    input.pipeInput('x', 'y', 4);
    expect(drain(driver, 'output-raw')).toEqual([kvt('x', 0, 4), kvt('y', 1, 4)]);
    expect(drain(driver, 'output-suppressed')).toEqual([kvt('x', 0, 4), kvt('y', 1, 4)]);
  });

  javaTest('shouldSuppressIntermediateEventsWithTimeLimit', async () => {
    const { driver, input } = await valueCounts(Suppressed.untilTimeLimit(2));
    input.pipeInput('k1', 'v1', 0);
    input.pipeInput('k1', 'v2', 1);
    input.pipeInput('k2', 'v1', 2);
    expect(drain(driver, 'output-raw')).toEqual(firstThree);
    expect(drain(driver, 'output-suppressed')).toEqual([kvt('v1', 1, 2)]);
    input.pipeInput('tick', 'tick', 3);
    expect(drain(driver, 'output-raw')).toEqual([kvt('tick', 1, 3)]);
    expect(drain(driver, 'output-suppressed')).toEqual([kvt('v2', 1, 1)]);
    input.pipeInput('tick', 'tock', 4);
    expect(drain(driver, 'output-raw')).toEqual([kvt('tick', 0, 4), kvt('tock', 1, 4)]);
    expect(drain(driver, 'output-suppressed')).toEqual([]);
  });

  /** The Java record- and bytes-limit cases: a time limit that never passes, a buffer that fills. */
  async function limitedBuffer(buffer: BufferConfig) {
    const { driver, input } = await valueCounts(Suppressed.untilTimeLimit(Number.MAX_SAFE_INTEGER, buffer));
    input.pipeInput('k1', 'v1', 0);
    input.pipeInput('k1', 'v2', 1);
    input.pipeInput('k2', 'v1', 2);
    expect(drain(driver, 'output-raw')).toEqual(firstThree);
    // The buffer holds one key: each new key pushes the oldest out.
    expect(drain(driver, 'output-suppressed')).toEqual([kvt('v1', 0, 1), kvt('v2', 1, 1)]);
    input.pipeInput('x', 'x', 3);
    expect(drain(driver, 'output-raw')).toEqual([kvt('x', 1, 3)]);
    expect(drain(driver, 'output-suppressed')).toEqual([kvt('v1', 1, 2)]);
  }

  javaTest('shouldSuppressIntermediateEventsWithRecordLimit', async () => {
    await limitedBuffer({ maxRecords: 1, whenFull: 'emit-early' });
  });

  javaTest('shouldSuppressIntermediateEventsWithBytesLimit', async () => {
    await limitedBuffer({ maxBytes: 200, whenFull: 'emit-early' });
  });

  /** A windowed count written out raw and as final results, keys named as Kafka Streams prints them. */
  async function finalResults(table: (builder: StreamsBuilder) => KTable<Windowed<string>, number>) {
    const builder = new StreamsBuilder();
    const counts = table(builder);
    counts
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .map((k, v) => ({ key: windowedName(k), value: v }))
      .to('output-suppressed', stringLong);
    counts
      .toStream()
      .map((k, v) => ({ key: windowedName(k), value: v }))
      .to('output-raw', stringLong);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('input');
    return { driver, pipe: (key: string, timestamp: number) => input.pipeInput(key, 'v1', timestamp) };
  }

  const grouped = (builder: StreamsBuilder) =>
    builder.stream<string, string>('input', strings).groupBy((k) => k, strings);

  javaTest('shouldSupportFinalResultsForTimeWindows', async () => {
    const { driver, pipe } = await finalResults((b) =>
      grouped(b).windowedBy(TimeWindows.ofSizeAndGrace(2, 1)).count({ storeName: 'counts', caching: false }),
    );
    for (const ts of [0, 1, 2, 1, 0, 5]) pipe('k1', ts);
    // Late: past the window's end and grace.
    pipe('k1', 0);
    expect(drain(driver, 'output-raw')).toEqual([
      kvt('[k1@0/2]', 1, 0),
      kvt('[k1@0/2]', 2, 1),
      kvt('[k1@2/4]', 1, 2),
      kvt('[k1@0/2]', 3, 1),
      kvt('[k1@0/2]', 4, 1),
      kvt('[k1@4/6]', 1, 5),
    ]);
    expect(drain(driver, 'output-suppressed')).toEqual([kvt('[k1@0/2]', 4, 1), kvt('[k1@2/4]', 1, 2)]);
  });

  javaTest('shouldSupportFinalResultsForTimeWindowsWithLargeJump', async () => {
    const { driver, pipe } = await finalResults((b) =>
      grouped(b)
        .windowedBy(TimeWindows.ofSizeAndGrace(2, 2))
        .count({ storeName: 'counts', caching: false, keySerde: Serdes.String() }),
    );
    for (const ts of [0, 1, 2, 0, 3, 0, 4]) pipe('k1', ts);
    // Late, then a jump far ahead that closes every window so far.
    pipe('k1', 0);
    pipe('k1', 30);
    expect(drain(driver, 'output-raw')).toEqual([
      kvt('[k1@0/2]', 1, 0),
      kvt('[k1@0/2]', 2, 1),
      kvt('[k1@2/4]', 1, 2),
      kvt('[k1@0/2]', 3, 1),
      kvt('[k1@2/4]', 2, 3),
      kvt('[k1@0/2]', 4, 1),
      kvt('[k1@4/6]', 1, 4),
      kvt('[k1@30/32]', 1, 30),
    ]);
    expect(drain(driver, 'output-suppressed')).toEqual([
      kvt('[k1@0/2]', 4, 1),
      kvt('[k1@2/4]', 2, 3),
      kvt('[k1@4/6]', 1, 4),
    ]);
  });

  javaTest('shouldSupportFinalResultsForSlidingWindows', async () => {
    const { driver, pipe } = await finalResults((b) =>
      grouped(b)
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(5, 15))
        .count({ storeName: 'counts', caching: false, keySerde: Serdes.String() }),
    );
    for (const ts of [10, 11, 10, 13, 10, 24]) pipe('k1', ts);
    // Late, then far ahead.
    pipe('k1', 5);
    pipe('k1', 7);
    pipe('k1', 90);
    // The Java test sorts the raw output by key, then timestamp (a stable sort).
    const raw = drain(driver, 'output-raw').sort(
      (a, b) => (a.key as string).localeCompare(b.key as string) || a.timestamp - b.timestamp,
    );
    expect(raw).toEqual([
      kvt('[k1@11/16]', 1, 11),
      kvt('[k1@11/16]', 2, 13),
      kvt('[k1@12/17]', 1, 13),
      kvt('[k1@19/24]', 1, 24),
      kvt('[k1@5/10]', 1, 10),
      kvt('[k1@5/10]', 2, 10),
      kvt('[k1@5/10]', 3, 10),
      kvt('[k1@5/10]', 4, 10),
      kvt('[k1@5/10]', 5, 10),
      kvt('[k1@6/11]', 2, 11),
      kvt('[k1@6/11]', 3, 11),
      kvt('[k1@6/11]', 4, 11),
      kvt('[k1@6/11]', 5, 11),
      kvt('[k1@8/13]', 4, 13),
      kvt('[k1@8/13]', 5, 13),
      kvt('[k1@85/90]', 1, 90),
    ]);
    expect(drain(driver, 'output-suppressed')).toEqual([
      kvt('[k1@5/10]', 5, 10),
      kvt('[k1@6/11]', 5, 11),
      kvt('[k1@8/13]', 5, 13),
      kvt('[k1@11/16]', 2, 13),
      kvt('[k1@12/17]', 1, 13),
      kvt('[k1@19/24]', 1, 24),
    ]);
  });

  javaTest('shouldSupportFinalResultsForSessionWindows', async () => {
    const { driver, pipe } = await finalResults((b) =>
      grouped(b)
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5))
        .count({ storeName: 'counts', caching: false }),
    );
    pipe('k1', 0);
    pipe('k1', 5);
    pipe('k1', 1); // merges into the open session
    pipe('k2', 11); // a new key moves stream time on
    pipe('k1', 5); // late
    pipe('k1', 30); // closes every session so far
    expect(drain(driver, 'output-raw')).toEqual([
      kvt('[k1@0/0]', 1, 0),
      kvt('[k1@0/0]', null, 0),
      kvt('[k1@0/5]', 2, 5),
      kvt('[k1@0/5]', null, 5),
      kvt('[k1@0/5]', 3, 5),
      kvt('[k2@11/11]', 1, 11),
      kvt('[k1@30/30]', 1, 30),
    ]);
    expect(drain(driver, 'output-suppressed')).toEqual([kvt('[k1@0/5]', 3, 5), kvt('[k2@11/11]', 1, 11)]);
  });

  javaTest('shouldWorkBeforeGroupBy', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('topic', strings)
      .suppress(Suppressed.untilTimeLimit(10))
      .groupBy((key, value) => ({ key, value }), strings)
      .count()
      .toStream()
      .to('output', stringLong);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic');
    input.pipeInput('A', 'a', 0);
    input.pipeInput('tick', 'tick', 10);
    expect(drain(driver, 'output')).toEqual([kvt('A', 1, 0)]);
  });

  /** A suppressed table outer-joined with one that is not; `suppressedSide` says which is held back. */
  async function joinAfterSuppress(suppressedSide: 'left' | 'right') {
    const builder = new StreamsBuilder();
    const table = (topic: string) => {
      const t = builder.table<string, string>(topic, strings);
      return topic === suppressedSide ? t.suppress(Suppressed.untilTimeLimit(10)) : t;
    };
    const left = table('left');
    const right = table('right');
    left
      .outerJoin(right, (l, r) => `(${l},${r})`)
      .toStream()
      .to('output', strings);
    const driver = await start(builder.build());
    return {
      driver,
      left: driver.createInputTopic<string, string>('left'),
      right: driver.createInputTopic<string, string>('right'),
      output: () => drain(driver, 'output', Serdes.String() as Serde<unknown>),
    };
  }

  javaTest('shouldWorkBeforeJoinRight', async () => {
    const { left, right, output } = await joinAfterSuppress('right');
    right.pipeInput('B', '1', 0);
    right.pipeInput('A', '1', 0);
    expect(output()).toEqual([]);
    right.pipeInput('tick', 'tick', 10);
    expect(output()).toEqual([kvt('A', '(null,1)', 0), kvt('B', '(null,1)', 0)]);
    right.pipeInput('A', '2', 11);
    expect(output()).toEqual([]);
    left.pipeInput('A', 'a', 12);
    expect(output()).toEqual([kvt('A', '(a,1)', 12)]);
    left.pipeInput('B', 'b', 12);
    expect(output()).toEqual([kvt('B', '(b,1)', 12)]);
    left.pipeInput('A', 'b', 13);
    expect(output()).toEqual([kvt('A', '(b,1)', 13)]);
    right.pipeInput('tick', 'tick1', 21);
    expect(output()).toEqual([kvt('tick', '(null,tick1)', 21), kvt('A', '(b,2)', 13)]);
  });

  javaTest('shouldWorkBeforeJoinLeft', async () => {
    const { left, right, output } = await joinAfterSuppress('left');
    left.pipeInput('B', '1', 0);
    left.pipeInput('A', '1', 0);
    expect(output()).toEqual([]);
    left.pipeInput('tick', 'tick', 10);
    expect(output()).toEqual([kvt('A', '(1,null)', 0), kvt('B', '(1,null)', 0)]);
    left.pipeInput('A', '2', 11);
    expect(output()).toEqual([]);
    right.pipeInput('A', 'a', 12);
    expect(output()).toEqual([kvt('A', '(1,a)', 12)]);
    right.pipeInput('B', 'b', 12);
    expect(output()).toEqual([kvt('B', '(1,b)', 12)]);
    right.pipeInput('A', 'b', 13);
    expect(output()).toEqual([kvt('A', '(1,b)', 13)]);
    left.pipeInput('tick', 'tick1', 21);
    expect(output()).toEqual([kvt('tick', '(tick1,null)', 21), kvt('A', '(2,b)', 13)]);
  });

  // The Java test only builds the topology: suppression needs the window close of the cogroup's windows.
  javaTest('shouldWorkWithCogrouped', () => {
    const builder = new StreamsBuilder();
    const stream1 = builder.stream<string, string>('one', strings).groupByKey(strings);
    const stream2 = builder.stream<string, string>('two', strings).groupByKey(strings);
    stream1
      .cogroup((_key, value, aggregate: string) => aggregate + value)
      .cogroup(stream2, (_key, value, aggregate) => aggregate + value)
      .windowedBy(TimeWindows.ofSizeWithNoGrace(15 * 60 * 1000))
      .aggregate(() => '', { name: 'test', storeName: 'store' })
      .suppress(Suppressed.untilWindowCloses({})) // an unbounded buffer
      .toStream();
    expect(() => builder.build()).not.toThrow();
  });
});
