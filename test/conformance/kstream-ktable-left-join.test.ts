// Kafka Streams' KStreamKTableLeftJoinTest, transcribed: a stream left-joined with a table's current value.
import { beforeEach, describe, expect } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import type { TestInputTopic } from 'tributary/testing';
import { Captured, driverPerTest, javaTest, kvt, toStringJoiner } from './support/conformance.ts';

const KEYS = [0, 1, 2, 3] as const;

describe('KStreamKTableLeftJoinTest', () => {
  const start = driverPerTest();
  let topology: Topology;
  let streamTopic: TestInputTopic<number, string>;
  let tableTopic: TestInputTopic<number, string>;
  let processor: Captured<number, string>;

  beforeEach(async () => {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.Int(), valueSerde: Serdes.String() };
    const stream = builder.stream<number, string>('streamTopic', consumed);
    const table = builder.table<number, string>('tableTopic', consumed);
    processor = new Captured();
    stream.leftJoin(table, toStringJoiner).process(processor.supplier);
    topology = builder.build();
    const driver = await start(topology);
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
  const pushNullValueToTable = (count: number) =>
    KEYS.slice(0, count).forEach((key) => tableTopic.pipeInput(key, null));

  javaTest('shouldRequireCopartitionedStreams', () => {
    expect(topology.copartitionGroups).toEqual([['streamTopic', 'tableTopic']]);
  });

  javaTest('shouldJoinWithEmptyTableOnStreamUpdates', () => {
    pushToStream(2, 'X');
    processor.check(kvt(0, 'X0+null', 0), kvt(1, 'X1+null', 1));
  });

  javaTest('shouldNotJoinOnTableUpdates', () => {
    pushToStream(2, 'X');
    processor.check(kvt(0, 'X0+null', 0), kvt(1, 'X1+null', 1));
    pushToTable(2, 'Y');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+Y0', 0), kvt(1, 'X1+Y1', 1), kvt(2, 'X2+null', 2), kvt(3, 'X3+null', 3));
    pushToTable(4, 'YY');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+YY0', 0), kvt(1, 'X1+YY1', 1), kvt(2, 'X2+YY2', 2), kvt(3, 'X3+YY3', 3));
    pushToTable(4, 'YYY');
    processor.check();
  });

  javaTest('shouldJoinRegardlessIfMatchFoundOnStreamUpdates', () => {
    pushToTable(2, 'Y');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+Y0', 0), kvt(1, 'X1+Y1', 1), kvt(2, 'X2+null', 2), kvt(3, 'X3+null', 3));
  });

  javaTest('shouldClearTableEntryOnNullValueUpdates', () => {
    pushToTable(4, 'Y');
    processor.check();
    pushToStream(4, 'X');
    processor.check(kvt(0, 'X0+Y0', 0), kvt(1, 'X1+Y1', 1), kvt(2, 'X2+Y2', 2), kvt(3, 'X3+Y3', 3));
    pushNullValueToTable(2);
    processor.check();
    pushToStream(4, 'XX');
    processor.check(kvt(0, 'XX0+null', 0), kvt(1, 'XX1+null', 1), kvt(2, 'XX2+Y2', 2), kvt(3, 'XX3+Y3', 3));
  });
});
