// Kafka Streams' KStreamKTableJoinTest, transcribed: a stream joined with a table's current value.
import { beforeEach, describe, expect } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import type { TestInputTopic, TopologyTestDriver } from 'tributary/testing';
import {
  Captured,
  driverPerTest,
  javaTest,
  kvt,
  notApplicable,
  toStringJoiner,
} from './support/conformance.ts';

const KEYS = [0, 1, 2, 3] as const;

describe('KStreamKTableJoinTest', () => {
  const start = driverPerTest();
  let topology: Topology;
  let driver: TopologyTestDriver;
  let streamTopic: TestInputTopic<number, string>;
  let tableTopic: TestInputTopic<number, string>;
  let processor: Captured<number, string>;

  beforeEach(async () => {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.Int(), valueSerde: Serdes.String() };
    const stream = builder.stream<number, string>('streamTopic', consumed);
    const table = builder.table<number, string>('tableTopic', consumed);
    processor = new Captured();
    stream.join(table, toStringJoiner).process(processor.supplier);
    topology = builder.build();
    driver = await start(topology);
    streamTopic = driver.createInputTopic('streamTopic');
    tableTopic = driver.createInputTopic('tableTopic');
  });

  /** The Java `pushToStream`: key i at timestamp i. */
  const pushToStream = (count: number, prefix: string) =>
    KEYS.slice(0, count).forEach((key, i) => streamTopic.pipeInput(key, `${prefix}${key}`, i));
  // The Java `pushToTable` uses random timestamps: a plain table join does not look at them.
  const pushToTable = (count: number, prefix: string) =>
    KEYS.slice(0, count).forEach((key) =>
      tableTopic.pipeInput(key, `${prefix}${key}`, 1_000_000 + key * 7919),
    );
  const pushNullValueToTable = () => [0, 1].forEach((key) => tableTopic.pipeInput(key, null));

  const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
  const concat = (value1: string, value2: string) => value1 + value2;
  const FIVE_MINUTES = 5 * 60 * 1000;

  javaTest('shouldFailIfTableIsNotVersioned', () => {
    const builder = new StreamsBuilder();
    const streamA = builder.stream<string, string>('topic', strings);
    const tableB = builder.table<string, string>('topic2', strings);
    expect(() =>
      streamA.join(tableB, concat, {
        ...strings,
        otherValueSerde: Serdes.String(),
        name: 'first-join',
        gracePeriodMs: 6,
      }),
    ).toThrow('KTable must be versioned to use a grace period in a stream table join.');
  });

  javaTest('shouldFailIfTableIsNotVersionedButMaterializationIsInherited', () => {
    const builder = new StreamsBuilder();
    const streamA = builder.stream<string, string>('topic', strings);
    const source = builder.table<string, string>('topic2', {
      ...strings,
      storeName: 'tableB',
      backend: 'memory',
    });
    const tableB = source.filter(() => true);
    streamA
      .join(tableB, concat, {
        ...strings,
        otherValueSerde: Serdes.String(),
        name: 'first-join',
        gracePeriodMs: 6,
      })
      .to('out-one');
    expect(() => builder.build()).toThrow(
      'KTable must be versioned to use a grace period in a stream table join.',
    );
  });

  javaTest('shouldNotFailIfTableIsVersionedButMaterializationIsInherited', () => {
    const builder = new StreamsBuilder();
    const streamA = builder.stream<string, string>('topic', strings);
    const source = builder.table<string, string>('topic2', {
      ...strings,
      storeName: 'tableB',
      versioned: { historyRetentionMs: FIVE_MINUTES },
    });
    const tableB = source.filter(() => true);
    streamA
      .join(tableB, concat, {
        ...strings,
        otherValueSerde: Serdes.String(),
        name: 'first-join',
        gracePeriodMs: 6,
      })
      .to('out-one');
    expect(() => builder.build()).not.toThrow();
  });

  javaTest('shouldFailIfGracePeriodIsLongerThanHistoryRetention', () => {
    const builder = new StreamsBuilder();
    const streamA = builder.stream<string, string>('topic', strings);
    const tableB = builder.table<string, string>('topic2', {
      ...strings,
      storeName: 'tableB',
      versioned: { historyRetentionMs: FIVE_MINUTES },
    });
    streamA
      .join(tableB, concat, {
        ...strings,
        otherValueSerde: Serdes.String(),
        name: 'first-join',
        gracePeriodMs: 6 * 60 * 1000,
      })
      .to('out-one');
    expect(() => builder.build()).toThrow('History retention must be at least grace period.');
  });

  javaTest('shouldFailIfGracePeriodIsLongerThanHistoryRetentionAndInheritedStore', () => {
    const builder = new StreamsBuilder();
    const streamA = builder.stream<string, string>('topic', strings);
    const source = builder.table<string, string>('topic2', {
      ...strings,
      storeName: 'V-grace',
      versioned: { historyRetentionMs: 0 },
    });
    const tableB = source.filter(() => true);
    streamA
      .join(tableB, concat, {
        ...strings,
        otherValueSerde: Serdes.String(),
        name: 'first-join',
        gracePeriodMs: 6,
      })
      .to('out-one');
    expect(() => builder.build()).toThrow('History retention must be at least grace period.');
  });

  /**
   * The Java `makeJoin`: the stream joined, with a grace period, to "tableTopic2" materialized in a
   * versioned store keeping five minutes of history.
   */
  async function makeJoin(graceMs: number) {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.Int(), valueSerde: Serdes.String() };
    const stream = builder.stream<number, string>('streamTopic', consumed);
    const table = builder.table<number, string>('tableTopic2', {
      ...consumed,
      storeName: 'V-grace',
      versioned: { historyRetentionMs: FIVE_MINUTES },
    });
    processor = new Captured();
    stream
      .join(table, toStringJoiner, {
        ...consumed,
        otherValueSerde: Serdes.String(),
        name: 'Grace',
        gracePeriodMs: graceMs,
      })
      .process(processor.supplier);
    driver = await start(builder.build());
    streamTopic = driver.createInputTopic('streamTopic');
    tableTopic = driver.createInputTopic('tableTopic2');
  }

  /** The Java `pushToTableNonRandom`: every key at timestamp 0. */
  const pushToTableNonRandom = (count: number, prefix: string) =>
    KEYS.slice(0, count).forEach((key) => tableTopic.pipeInput(key, `${prefix}${key}`, 0));

  javaTest('shouldDelayJoinByGracePeriod', async () => {
    await makeJoin(2);
    // Only table records: nothing to join.
    pushToTableNonRandom(4, 'Y');
    processor.check();
    // Stream records at 0 to 3: those at most at 3 - 2 have waited long enough.
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+Y0', 0), kvt(1, 'X1+Y1', 1));
    // New table values at the same timestamp replace the old ones, and trigger nothing.
    pushToTableNonRandom(4, 'YY');
    processor.check();
    // Stream time has not moved: X0 is late and joins at once, X1 waits no longer, X2 and X3 wait.
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+YY0', 0), kvt(1, 'X1+YY1', 1));
    // Stream time 7 releases every waiting record, in timestamp order.
    streamTopic.pipeInput(5, 'test', 7);
    processor.check(kvt(2, 'X2+YY2', 2), kvt(2, 'X2+YY2', 2), kvt(3, 'X3+YY3', 3), kvt(3, 'X3+YY3', 3));
    // Table updates alone still trigger nothing.
    pushToTableNonRandom(4, 'YYY');
    processor.check();
  });

  javaTest('shouldHandleLateJoinsWithGracePeriod', async () => {
    await makeJoin(2);
    pushToTableNonRandom(4, 'Y');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+Y0', 0), kvt(1, 'X1+Y1', 1));
    // A record older than stream time minus the grace period is joined at once.
    pushToStream(1, 'X');
    processor.check(kvt(0, 'X0+Y0', 0));
  });

  notApplicable(
    'shouldReuseRepartitionTopicWithGeneratedName',
    'compares the text of describe(); Tributary repartitions a stream once per join rather than sharing one topic between joins, which changes topic names, not output',
  );

  javaTest('shouldCreateRepartitionTopicsWithUserProvidedName', () => {
    const builder = new StreamsBuilder();
    const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
    const streamA = builder.stream<string, string>('topic', strings);
    const tableB = builder.table<string, string>('topic2', strings);
    const tableC = builder.table<string, string>('topic3', strings);
    const rekeyed = streamA.map((k, v) => ({ key: v, value: k }));
    rekeyed.join(tableB, (v1, v2) => v1 + v2, { ...strings, name: 'first-join' }).to('out-one');
    rekeyed.join(tableC, (v1, v2) => v1 + v2, { ...strings, name: 'second-join' }).to('out-two');
    const built = builder.build();
    const repartitionTopics = [...built.internalTopics.values()].filter((t) => t.kind === 'repartition');
    expect(repartitionTopics.map((t) => t.name).sort()).toEqual([
      'first-join-repartition',
      'second-join-repartition',
    ]);
    expect(built.nodes.has('first-join')).toBe(true);
    expect(built.nodes.has('second-join')).toBe(true);
  });

  javaTest('shouldRequireCopartitionedStreams', () => {
    expect(topology.copartitionGroups).toEqual([['streamTopic', 'tableTopic']]);
  });

  javaTest('shouldNotJoinWithEmptyTableOnStreamUpdates', () => {
    pushToStream(2, 'X');
    processor.check();
  });

  javaTest('shouldNotJoinOnTableUpdates', () => {
    pushToStream(2, 'X');
    processor.check();
    pushToTable(2, 'Y');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+Y0', 0), kvt(1, 'X1+Y1', 1));
    pushToTable(4, 'YY');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+YY0', 0), kvt(1, 'X1+YY1', 1), kvt(2, 'X2+YY2', 2), kvt(3, 'X3+YY3', 3));
    pushToTable(4, 'YYY');
    processor.check();
  });

  javaTest('shouldJoinOnlyIfMatchFoundOnStreamUpdates', () => {
    pushToTable(2, 'Y');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+Y0', 0), kvt(1, 'X1+Y1', 1));
  });

  javaTest('shouldClearTableEntryOnNullValueUpdates', () => {
    pushToTable(4, 'Y');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+Y0', 0), kvt(1, 'X1+Y1', 1), kvt(2, 'X2+Y2', 2), kvt(3, 'X3+Y3', 3));
    pushNullValueToTable();
    processor.check();
    pushToStream(4, 'XX');
    processor.check(kvt(2, 'XX2+Y2', 2), kvt(3, 'XX3+Y3', 3));
  });

  // The Java tests check the "Skipping record due to null join key or value" warning; Tributary counts
  // the drop under that reason and logs it.
  javaTest('shouldLogAndMeterWhenSkippingNullLeftKey', () => {
    streamTopic.pipeInput(null, 'A');
    processor.check();
    expect(driver.droppedRecords()).toEqual(new Map([['null-join-key-or-value', 1]]));
  });

  javaTest('shouldLogAndMeterWhenSkippingNullLeftValue', () => {
    streamTopic.pipeInput(1, null);
    processor.check();
    expect(driver.droppedRecords()).toEqual(new Map([['null-join-key-or-value', 1]]));
  });
});
