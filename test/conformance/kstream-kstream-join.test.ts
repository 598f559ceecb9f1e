// Kafka Streams' KStreamKStreamJoinTest (streams/src/test/java/org/apache/kafka/streams/kstream/internals),
// transcribed: inner stream-stream joins, their windows and stores.
import { describe, expect } from 'vitest';
import { JoinWindows, Serdes, StreamsBuilder, type StoreBackend } from 'tributary';
import {
  Captured,
  driverPerTest,
  javaTest,
  kvt,
  notApplicable,
  pipeEach,
  toStringJoiner,
  type Kvt,
} from './support/conformance.ts';

const KEYS = [0, 1, 2, 3] as const;
const FIRST_TWO = [0, 1] as const;
const NOT_A_STORE_SUPPLIER =
  'Tributary has no WindowBytesStoreSupplier to pass to StreamJoined: join stores are chosen with `backend`';

describe('KStreamKStreamJoinTest', () => {
  const start = driverPerTest();

  /** topic1 joined with topic2 (Integer keys, String values), results captured as the Java tests do. */
  async function intStringJoin(windows: JoinWindows, joinType: 'inner' | 'outer' = 'inner') {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.Int(), valueSerde: Serdes.String() };
    const stream1 = builder.stream<number, string>('topic1', consumed);
    const stream2 = builder.stream<number, string>('topic2', consumed);
    const joined =
      joinType === 'inner'
        ? stream1.join(stream2, toStringJoiner, windows)
        : stream1.outerJoin(stream2, toStringJoiner, windows);
    const processor = new Captured<number, string>();
    joined.process(processor.supplier);
    const topology = builder.build();
    expect(topology.copartitionGroups).toEqual([['topic1', 'topic2']]);
    const driver = await start(topology);
    return {
      topic1: driver.createInputTopic<number, string>('topic1'),
      topic2: driver.createInputTopic<number, string>('topic2'),
      processor,
    };
  }

  /** The Java `runJoin`: String keys, Integer values summed. */
  async function runJoin(windows: JoinWindows, backend?: StoreBackend) {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.String(), valueSerde: Serdes.Int() };
    const left = builder.stream<string, number>('left', consumed);
    const right = builder.stream<string, number>('right', consumed);
    const processor = new Captured<string, number>();
    left
      .join(right, (a, b) => a + b, windows, {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Int(),
        otherValueSerde: Serdes.Int(),
        backend,
      })
      .process(processor.supplier);
    const topology = builder.build();
    const driver = await start(topology);
    const inputLeft = driver.createInputTopic<string, number>('left');
    const inputRight = driver.createInputTopic<string, number>('right');
    inputLeft.pipeInput('A', 1, 1);
    inputLeft.pipeInput('B', 1, 2);
    inputRight.pipeInput('A', 1, 1);
    inputRight.pipeInput('B', 2, 2);
    processor.check(kvt('A', 2, 1), kvt('B', 3, 2));
    return topology;
  }

  javaTest('shouldLogAndMeterOnSkippedRecordsWithNullValueWithBuiltInMetricsVersionLatest', async () => {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.String(), valueSerde: Serdes.Int() };
    const left = builder.stream<string, number>('left', consumed);
    const right = builder.stream<string, number>('right', consumed);
    left.join(right, (a, b) => a + b, JoinWindows.ofTimeDifferenceWithNoGrace(100)).to('out');
    const driver = await start(builder.build());
    driver.createInputTopic<string, number>('left').pipeInput('A', null);
    expect(driver.droppedRecords()).toEqual(new Map([['null-key-or-value', 1]]));
  });

  notApplicable(
    'shouldReuseRepartitionTopicWithGeneratedName',
    'compares the text of describe(); Tributary repartitions a stream once per join rather than sharing one topic between joins, which changes topic names, not output',
  );

  javaTest('shouldCreateRepartitionTopicsWithUserProvidedName', () => {
    const builder = new StreamsBuilder();
    const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
    const stream1 = builder.stream<string, string>('topic', strings);
    const stream2 = builder.stream<string, string>('topic2', strings);
    const stream3 = builder.stream<string, string>('topic3', strings);
    const newStream = stream1.map((k, v) => ({ key: v, value: k }));
    const windows = JoinWindows.ofTimeDifferenceWithNoGrace(100);
    newStream.join(stream2, (a, b) => a + b, windows, { ...strings, name: 'first-join' }).to('out-one');
    newStream.join(stream3, (a, b) => a + b, windows, { ...strings, name: 'second-join' }).to('out-two');
    const topology = builder.build();
    const repartitionTopics = [...topology.internalTopics.values()]
      .filter((topic) => topic.kind === 'repartition')
      .map((topic) => topic.name);
    expect(repartitionTopics.sort()).toEqual(['first-join-left-repartition', 'second-join-left-repartition']);
    expect(topology.nodes.has('first-join')).toBe(true);
    expect(topology.nodes.has('second-join')).toBe(true);
  });

  javaTest('shouldDisableLoggingOnStreamJoined', () => {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.String(), valueSerde: Serdes.Int() };
    builder
      .stream<string, number>('left', consumed)
      .join(
        builder.stream<string, number>('right', consumed),
        (a, b) => a + b,
        JoinWindows.ofTimeDifferenceAndGrace(100, 50),
        { storeName: 'store', logging: false },
      );
    const stores = builder.build().stores;
    expect(stores.get('store-this-join-store')?.logging.enabled).toBe(false);
    expect(stores.get('store-other-join-store')?.logging.enabled).toBe(false);
  });

  javaTest('shouldEnableLoggingWithCustomConfigOnStreamJoined', () => {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.String(), valueSerde: Serdes.Int() };
    builder
      .stream<string, number>('left', consumed)
      .join(
        builder.stream<string, number>('right', consumed),
        (a, b) => a + b,
        JoinWindows.ofTimeDifferenceAndGrace(100, 50),
        { storeName: 'store', logging: { topicConfig: { test: 'property' } } },
      );
    const topology = builder.build();
    expect(topology.stores.get('store-this-join-store')?.logging.enabled).toBe(true);
    expect(topology.stores.get('store-other-join-store')?.logging.enabled).toBe(true);
    const changelogs = [...topology.internalTopics.values()].filter((topic) => topic.kind === 'changelog');
    expect(changelogs).toHaveLength(2);
    for (const changelog of changelogs) expect(changelog.config['test']).toBe('property');
  });

  notApplicable(
    'shouldThrowExceptionThisStoreSupplierRetentionDoNotMatchWindowsSizeAndGrace',
    NOT_A_STORE_SUPPLIER,
  );
  notApplicable(
    'shouldThrowExceptionThisStoreSupplierWindowSizeDoesNotMatchJoinWindowsWindowSize',
    NOT_A_STORE_SUPPLIER,
  );
  notApplicable('shouldThrowExceptionWhenThisJoinStoreSetsRetainDuplicatesFalse', NOT_A_STORE_SUPPLIER);
  notApplicable(
    'shouldThrowExceptionOtherStoreSupplierRetentionDoNotMatchWindowsSizeAndGrace',
    NOT_A_STORE_SUPPLIER,
  );
  notApplicable(
    'shouldThrowExceptionOtherStoreSupplierWindowSizeDoesNotMatchJoinWindowsWindowSize',
    NOT_A_STORE_SUPPLIER,
  );
  notApplicable('shouldThrowExceptionWhenOtherJoinStoreSetsRetainDuplicatesFalse', NOT_A_STORE_SUPPLIER);
  notApplicable('shouldExceptionWhenJoinStoresDoNotHaveUniqueNames', NOT_A_STORE_SUPPLIER);

  javaTest('shouldBuildJoinWithCustomStoresAndCorrectWindowSettings', () => {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.String(), valueSerde: Serdes.Int() };
    builder
      .stream<string, number>('left', consumed)
      .join(
        builder.stream<string, number>('right', consumed),
        (a, b) => a + b,
        JoinWindows.ofTimeDifferenceAndGrace(50, 50),
        { keySerde: Serdes.String(), valueSerde: Serdes.Int(), otherValueSerde: Serdes.Int() },
      );
    expect(() => builder.build()).not.toThrow();
  });

  // The Java test passes in-memory window stores for one or both sides; Tributary's equivalent is the
  // in-memory backend, for both stores at once.
  javaTest('shouldJoinWithCustomStoreSuppliers', async () => {
    await runJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100), 'memory');
  });

  notApplicable(
    'shouldJoinWithDslStoreSuppliersIfNoStoreSupplied',
    'counts calls into a pluggable DslStoreSuppliers; Tributary has none (stores are chosen with `backend`)',
  );
  notApplicable(
    'shouldJoinWithDslStoreSuppliersFromStreamsConfig',
    'counts calls into a DslStoreSuppliers class named in the config; Tributary has none',
  );

  javaTest('shouldJoinWithNonTimestampedStore', async () => {
    const topology = await runJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    for (const spec of topology.stores.values()) {
      expect(spec.kind).toBe('window');
      if (spec.kind === 'window') expect(spec.timestamped ?? false).toBe(false);
    }
  });

  notApplicable(
    'shouldThrottleEmitNonJoinedOuterRecordsEvenWhenClockDrift',
    'Tributary does not throttle the emission of unmatched outer-join records by wall-clock time: it looks on every in-order record, as Kafka Streams does with the emit interval at 0 (the TopologyTestDriver default)',
  );

  javaTest('testJoin', async () => {
    const { topic1, topic2, processor } = await intStringJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    pipeEach(topic1, FIRST_TWO, 'A');
    processor.check();
    pipeEach(topic2, FIRST_TWO, 'a');
    processor.check(kvt(0, 'A0+a0', 0), kvt(1, 'A1+a1', 0));
    pipeEach(topic1, KEYS, 'B');
    processor.check(kvt(0, 'B0+a0', 0), kvt(1, 'B1+a1', 0));
    pipeEach(topic2, KEYS, 'b');
    processor.check(
      kvt(0, 'A0+b0', 0),
      kvt(0, 'B0+b0', 0),
      kvt(1, 'A1+b1', 0),
      kvt(1, 'B1+b1', 0),
      kvt(2, 'B2+b2', 0),
      kvt(3, 'B3+b3', 0),
    );
    pipeEach(topic1, KEYS, 'C');
    processor.check(
      kvt(0, 'C0+a0', 0),
      kvt(0, 'C0+b0', 0),
      kvt(1, 'C1+a1', 0),
      kvt(1, 'C1+b1', 0),
      kvt(2, 'C2+b2', 0),
      kvt(3, 'C3+b3', 0),
    );
    pipeEach(topic2, FIRST_TWO, 'c');
    processor.check(
      kvt(0, 'A0+c0', 0),
      kvt(0, 'B0+c0', 0),
      kvt(0, 'C0+c0', 0),
      kvt(1, 'A1+c1', 0),
      kvt(1, 'B1+c1', 0),
      kvt(1, 'C1+c1', 0),
    );
  });

  javaTest('testOuterJoin', async () => {
    const { topic1, topic2, processor } = await intStringJoin(
      JoinWindows.ofTimeDifferenceAndGrace(100, 24 * 60 * 60 * 1000),
      'outer',
    );
    pipeEach(topic1, FIRST_TWO, 'A');
    processor.check();
    pipeEach(topic2, FIRST_TWO, 'a');
    processor.check(kvt(0, 'A0+a0', 0), kvt(1, 'A1+a1', 0));
    pipeEach(topic1, KEYS, 'B');
    processor.check(kvt(0, 'B0+a0', 0), kvt(1, 'B1+a1', 0));
    pipeEach(topic2, KEYS, 'b');
    processor.check(
      kvt(0, 'A0+b0', 0),
      kvt(0, 'B0+b0', 0),
      kvt(1, 'A1+b1', 0),
      kvt(1, 'B1+b1', 0),
      kvt(2, 'B2+b2', 0),
      kvt(3, 'B3+b3', 0),
    );
    pipeEach(topic1, KEYS, 'C');
    processor.check(
      kvt(0, 'C0+a0', 0),
      kvt(0, 'C0+b0', 0),
      kvt(1, 'C1+a1', 0),
      kvt(1, 'C1+b1', 0),
      kvt(2, 'C2+b2', 0),
      kvt(3, 'C3+b3', 0),
    );
    pipeEach(topic2, FIRST_TWO, 'c');
    processor.check(
      kvt(0, 'A0+c0', 0),
      kvt(0, 'B0+c0', 0),
      kvt(0, 'C0+c0', 0),
      kvt(1, 'A1+c1', 0),
      kvt(1, 'B1+c1', 0),
      kvt(1, 'C1+c1', 0),
    );
  });

  /** Keys 0..n-1 joined with `prefix`, the left value being `left + key` at `leftTime(key)`. */
  const joins = (left: string, right: string, keys: readonly number[], at: (key: number) => number) =>
    keys.map((key) => kvt(key, `${left}${key}+${right}${key}`, at(key)));

  javaTest('testWindowing', async () => {
    const { topic1, topic2, processor } = await intStringJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    pipeEach(topic1, FIRST_TWO, 'A', 0);
    processor.check();
    pipeEach(topic2, FIRST_TWO, 'a', 0);
    processor.check(kvt(0, 'A0+a0', 0), kvt(1, 'A1+a1', 0));

    // Left records B0..B3 at 1000..1003; right records probe them from after and from before.
    pipeEach(topic1, KEYS, 'B', 1000, { staggered: true });
    processor.check();
    const fromAfter: [string, number, number[]][] = [
      ['b', 1100, [0, 1, 2, 3]],
      ['c', 1101, [1, 2, 3]],
      ['d', 1102, [2, 3]],
      ['e', 1103, [3]],
      ['f', 1104, []],
      ['g', 899, []],
      ['h', 900, [0]],
      ['i', 901, [0, 1]],
      ['j', 902, [0, 1, 2]],
      ['k', 903, [0, 1, 2, 3]],
    ];
    for (const [prefix, time, matched] of fromAfter) {
      pipeEach(topic2, KEYS, prefix, time);
      processor.check(...joins('B', prefix, matched, (key) => Math.max(time, 1000 + key)));
    }

    // Right records l0..l3 at 2000..2003; left records probe them.
    pipeEach(topic2, KEYS, 'l', 2000, { staggered: true });
    processor.check();
    const fromLeft: [string, number, number[]][] = [
      ['C', 2100, [0, 1, 2, 3]],
      ['D', 2101, [1, 2, 3]],
      ['E', 2102, [2, 3]],
      ['F', 2103, [3]],
      ['G', 2104, []],
      ['H', 1899, []],
      ['I', 1900, [0]],
      ['J', 1901, [0, 1]],
      ['K', 1902, [0, 1, 2]],
      ['L', 1903, [0, 1, 2, 3]],
    ];
    for (const [prefix, time, matched] of fromLeft) {
      pipeEach(topic1, KEYS, prefix, time);
      processor.check(
        ...matched.map((key) => kvt(key, `${prefix}${key}+l${key}`, Math.max(time, 2000 + key))),
      );
    }
  });

  /** Right records probing left records A0..A3 at 1000..1003. */
  async function probeAsymmetric(windows: JoinWindows, probes: [string, number, number[]][]) {
    const { topic1, topic2, processor } = await intStringJoin(windows);
    pipeEach(topic1, KEYS, 'A', 1000, { staggered: true });
    processor.check();
    for (const [prefix, time, matched] of probes) {
      pipeEach(topic2, KEYS, prefix, time);
      const expected: Kvt<number, string>[] = joins('A', prefix, matched, (key) =>
        Math.max(time, 1000 + key),
      );
      processor.check(...expected);
    }
  }

  javaTest('testAsymmetricWindowingAfter', async () => {
    await probeAsymmetric(JoinWindows.ofTimeDifferenceWithNoGrace(0).after(100), [
      ['a', 999, []],
      ['b', 1000, [0]],
      ['c', 1001, [0, 1]],
      ['d', 1002, [0, 1, 2]],
      ['e', 1003, [0, 1, 2, 3]],
      ['f', 1100, [0, 1, 2, 3]],
      ['g', 1101, [1, 2, 3]],
      ['h', 1102, [2, 3]],
      ['i', 1103, [3]],
      ['j', 1104, []],
    ]);
  });

  javaTest('testAsymmetricWindowingBefore', async () => {
    await probeAsymmetric(JoinWindows.ofTimeDifferenceWithNoGrace(0).before(100), [
      ['a', 899, []],
      ['b', 900, [0]],
      ['c', 901, [0, 1]],
      ['d', 902, [0, 1, 2]],
      ['e', 903, [0, 1, 2, 3]],
      ['f', 1000, [0, 1, 2, 3]],
      ['g', 1001, [1, 2, 3]],
      ['h', 1002, [2, 3]],
      ['i', 1003, [3]],
      ['j', 1004, []],
    ]);
  });
});
