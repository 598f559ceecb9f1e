// Kafka Streams' KStreamKStreamLeftJoinTest, transcribed: left stream-stream joins, when records without
// a partner are emitted joined with null, and by which side's processor.
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
} from './support/conformance.ts';

const KEYS = [0, 1, 2, 3] as const;
const LEGACY =
  'uses the deprecated JoinWindows.of(), whose joins emit null results eagerly (the behaviour before the spurious-result fix); Tributary supports only the current semantics';

describe('KStreamKStreamLeftJoinTest', () => {
  const start = driverPerTest();

  /** topic1 left-joined with topic2 (Integer keys, String values), captured as the Java tests do. */
  async function leftJoin(windows: JoinWindows, backend?: StoreBackend) {
    const builder = new StreamsBuilder();
    const consumed = { keySerde: Serdes.Int(), valueSerde: Serdes.String() };
    const stream1 = builder.stream<number, string>('topic1', consumed);
    const stream2 = builder.stream<number, string>('topic2', consumed);
    const processor = new Captured<number, string>();
    stream1.leftJoin(stream2, toStringJoiner, windows, { backend }).process(processor.supplier);
    const topology = builder.build();
    expect(topology.copartitionGroups).toEqual([['topic1', 'topic2']]);
    const driver = await start(topology);
    return {
      topology,
      topic1: driver.createInputTopic<number, string>('topic1'),
      topic2: driver.createInputTopic<number, string>('topic2'),
      processor,
    };
  }

  notApplicable('testLeftJoinWithSpuriousResultFixDisabledOldApi', LEGACY);
  notApplicable('testLeftJoinDuplicatesWithSpuriousResultFixDisabledOldApi', LEGACY);

  javaTest('testLeftJoinDuplicates', async () => {
    const { topic1, topic2, processor } = await leftJoin(JoinWindows.ofTimeDifferenceAndGrace(100, 10));
    // Unmatched duplicates are emitted once their window has closed.
    topic1.pipeInput(0, 'A0', 0);
    topic1.pipeInput(0, 'A0-0', 0);
    topic2.pipeInput(1, 'a0', 111);
    topic2.pipeInput(2, 'dummy', 500);
    processor.check(kvt(0, 'A0+null', 0), kvt(0, 'A0-0+null', 0));
    // Joined duplicates are emitted joined.
    topic1.pipeInput(2, 'A2', 1000);
    topic1.pipeInput(2, 'A2-0', 1000);
    topic2.pipeInput(2, 'a2', 1001);
    processor.check(kvt(2, 'A2+a2', 1001), kvt(2, 'A2-0+a2', 1001));
    // Joined records are not emitted again when stream time passes their windows.
    topic2.pipeInput(3, 'a3', 315);
    processor.check();
  });

  /** A0@1, A1@2, A0-0@3 on one side; a1@3 on the other joins A1. */
  async function unmatchedOnOneSide(windows: JoinWindows, waiting: 'left' | 'right') {
    const t = await leftJoin(windows);
    const [waitingTopic, joiningTopic] = waiting === 'left' ? [t.topic1, t.topic2] : [t.topic2, t.topic1];
    waitingTopic.pipeInput(0, 'A0', 1);
    waitingTopic.pipeInput(1, 'A1', 2);
    waitingTopic.pipeInput(0, 'A0-0', 3);
    t.processor.check();
    joiningTopic.pipeInput(1, 'a1', 3);
    t.processor.check(kvt(1, waiting === 'left' ? 'A1+a1' : 'a1+A1', 3));
    return t;
  }

  javaTest('testLeftExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor', async () => {
    const { topic1, topic2, processor } = await unmatchedOnOneSide(
      JoinWindows.ofTimeDifferenceAndGrace(100, 0),
      'left',
    );
    topic1.pipeInput(2, 'dummy', 401);
    processor.check(kvt(0, 'A0+null', 1), kvt(0, 'A0-0+null', 3));
    topic2.pipeInput(2, 'dummy', 401);
    processor.check(kvt(2, 'dummy+dummy', 401));
  });

  javaTest('testLeftExpiredNonJoinedRecordsAreEmittedByTheRightProcessor', async () => {
    const { topic1, topic2, processor } = await unmatchedOnOneSide(
      JoinWindows.ofTimeDifferenceAndGrace(100, 0),
      'left',
    );
    topic2.pipeInput(2, 'dummy', 401);
    processor.check(kvt(0, 'A0+null', 1), kvt(0, 'A0-0+null', 3));
    topic1.pipeInput(2, 'dummy', 402);
    processor.check(kvt(2, 'dummy+dummy', 402));
  });

  javaTest('testRightNonJoinedRecordsAreNeverEmittedByTheLeftProcessor', async () => {
    const { topic1, topic2, processor } = await unmatchedOnOneSide(
      JoinWindows.ofTimeDifferenceAndGrace(100, 0),
      'right',
    );
    topic1.pipeInput(2, 'dummy', 401);
    processor.check();
    topic2.pipeInput(2, 'dummy', 402);
    processor.check(kvt(2, 'dummy+dummy', 402));
  });

  javaTest('testRightNonJoinedRecordsAreNeverEmittedByTheRightProcessor', async () => {
    const { topic1, topic2, processor } = await unmatchedOnOneSide(
      JoinWindows.ofTimeDifferenceWithNoGrace(100),
      'right',
    );
    topic2.pipeInput(2, 'dummy', 401);
    processor.check();
    topic1.pipeInput(2, 'dummy', 402);
    processor.check(kvt(2, 'dummy+dummy', 402));
  });

  javaTest('testLeftJoinedRecordsWithZeroAfterAreEmitted', async () => {
    const { topic1, topic2, processor } = await leftJoin(
      JoinWindows.ofTimeDifferenceWithNoGrace(100).after(0),
    );
    // Each left record's window ends at its own time: the next one closes it.
    pipeEach(topic1, KEYS, 'A', 1000, { staggered: true });
    processor.check(kvt(0, 'A0+null', 1000), kvt(1, 'A1+null', 1001), kvt(2, 'A2+null', 1002));
    const probes: [string, number, number[]][] = [
      ['a', 999, [0, 1, 2, 3]],
      ['b', 1000, [0, 1, 2, 3]],
      ['c', 1001, [1, 2, 3]],
      ['d', 1002, [2, 3]],
      ['e', 1003, [3]],
      ['f', 1100, []],
    ];
    for (const [prefix, time, matched] of probes) {
      pipeEach(topic2, KEYS, prefix, time);
      processor.check(...matched.map((key) => kvt(key, `A${key}+${prefix}${key}`, 1000 + key)));
    }
  });

  /** The Java `runLeftJoin`. */
  async function runLeftJoin(windows: JoinWindows, backend?: StoreBackend) {
    const { topology, topic1, topic2, processor } = await leftJoin(windows, backend);
    expect(topology.stores.size).toBe(3);
    pipeEach(topic1, [0, 1], 'A');
    processor.check();
    pipeEach(topic2, [0, 1], 'a');
    processor.check(kvt(0, 'A0+a0', 0), kvt(1, 'A1+a1', 0));
    pipeEach(topic1, [0, 1, 2], 'B');
    processor.check(kvt(0, 'B0+a0', 0), kvt(1, 'B1+a1', 0));
    pipeEach(topic2, KEYS, 'b');
    processor.check(
      kvt(0, 'A0+b0', 0),
      kvt(0, 'B0+b0', 0),
      kvt(1, 'A1+b1', 0),
      kvt(1, 'B1+b1', 0),
      kvt(2, 'B2+b2', 0),
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
    topic1.pipeInput(0, 'dummy', 1000);
    processor.check();
  }

  // The Java test passes in-memory window stores; Tributary's equivalent is the in-memory backend.
  javaTest('testLeftJoinWithInMemoryCustomSuppliers', async () => {
    await runLeftJoin(JoinWindows.ofTimeDifferenceAndGrace(100, 0), 'memory');
  });

  javaTest('testLeftJoinWithDefaultSuppliers', async () => {
    await runLeftJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
  });

  javaTest('testOrdering', async () => {
    const { topic1, topic2, processor } = await leftJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    topic1.pipeInput(0, 'A0', 0);
    topic1.pipeInput(1, 'A1', 100);
    processor.check();
    // The null result of A0, whose window has closed, comes before the join the record makes.
    topic2.pipeInput(1, 'a1', 110);
    processor.check(kvt(0, 'A0+null', 0), kvt(1, 'A1+a1', 110));
  });

  javaTest('testGracePeriod', async () => {
    const { topic1, topic2, processor } = await leftJoin(JoinWindows.ofTimeDifferenceAndGrace(100, 10));
    pipeEach(topic1, [0, 1], 'A', 0);
    processor.check();
    // Outside the window but within grace: no join, and the window is not closed yet.
    pipeEach(topic2, KEYS, 'a', 101);
    processor.check();
    topic2.pipeInput(0, 'dummy', 1201);
    processor.check(kvt(0, 'A0+null', 0), kvt(1, 'A1+null', 0));
  });

  javaTest('testWindowing', async () => {
    const { topic1, topic2, processor } = await leftJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    pipeEach(topic1, [0, 1], 'A', 0);
    processor.check();
    pipeEach(topic2, KEYS, 'a', 0);
    processor.check(kvt(0, 'A0+a0', 0), kvt(1, 'A1+a1', 0));

    // The Java helper testUpperWindowBound: right records b0..b3 at 1000..1003, left records after them.
    pipeEach(topic2, KEYS, 'b', 1000, { staggered: true });
    processor.check();
    const upper: [string, number, number[]][] = [
      ['B', 1100, [0, 1, 2, 3]],
      ['C', 1101, [1, 2, 3]],
      ['D', 1102, [2, 3]],
      ['E', 1103, [3]],
      ['F', 1104, []],
    ];
    for (const [prefix, time, matched] of upper) {
      pipeEach(topic1, KEYS, prefix, time);
      processor.check(...matched.map((key) => kvt(key, `${prefix}${key}+b${key}`, time)));
    }
    topic1.pipeInput(0, 'dummy', 1405);
    processor.check(
      kvt(0, 'C0+null', 1101),
      kvt(0, 'D0+null', 1102),
      kvt(1, 'D1+null', 1102),
      kvt(0, 'E0+null', 1103),
      kvt(1, 'E1+null', 1103),
      kvt(2, 'E2+null', 1103),
      kvt(0, 'F0+null', 1104),
      kvt(1, 'F1+null', 1104),
      kvt(2, 'F2+null', 1104),
      kvt(3, 'F3+null', 1104),
    );

    // The Java helper testLowerWindowBound: left records before b0..b3, already past their windows.
    const lower: [string, number, number[]][] = [
      ['G', 899, []],
      ['H', 900, [0]],
      ['I', 901, [0, 1]],
      ['J', 902, [0, 1, 2]],
      ['K', 903, [0, 1, 2, 3]],
    ];
    for (const [prefix, time, matched] of lower) {
      pipeEach(topic1, KEYS, prefix, time);
      processor.check(
        ...KEYS.map((key) =>
          matched.includes(key)
            ? kvt(key, `${prefix}${key}+b${key}`, 1000 + key)
            : kvt(key, `${prefix}${key}+null`, time),
        ),
      );
    }
    topic1.pipeInput(0, 'dummy', 1203);
    processor.check(kvt(0, 'dummy+null', 1203));
  });

  javaTest('shouldNotEmitLeftJoinResultForAsymmetricWindow', async () => {
    const { topic1, topic2, processor } = await leftJoin(
      JoinWindows.ofTimeDifferenceWithNoGrace(100).before(0),
    );
    pipeEach(topic1, [0, 1], 'A', 0, { staggered: true });
    processor.check();
    topic2.pipeInput(0, 'a0', 100);
    processor.check(kvt(0, 'A0+a0', 100));
    topic2.pipeInput(1, 'a1', 102);
    processor.check(kvt(1, 'A1+null', 1));
  });
});
