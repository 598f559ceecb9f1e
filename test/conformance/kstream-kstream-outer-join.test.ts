// Kafka Streams' KStreamKStreamOuterJoinTest, transcribed: outer stream-stream joins, unmatched records
// of both sides, their order, and the headers they carry.
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

describe('KStreamKStreamOuterJoinTest', () => {
  const start = driverPerTest();

  /** topic1 (Integer, String) outer-joined with topic2 (Integer, Long). */
  async function outerJoin(windows: JoinWindows, backend?: StoreBackend) {
    const builder = new StreamsBuilder();
    const stream1 = builder.stream<number, string>('topic1', {
      keySerde: Serdes.Int(),
      valueSerde: Serdes.String(),
    });
    const stream2 = builder.stream<number, number>('topic2', {
      keySerde: Serdes.Int(),
      valueSerde: Serdes.Long(),
    });
    const processor = new Captured<number, string>();
    stream1.outerJoin(stream2, toStringJoiner, windows, { backend }).process(processor.supplier);
    const topology = builder.build();
    expect(topology.copartitionGroups).toEqual([['topic1', 'topic2']]);
    const driver = await start(topology);
    return {
      topology,
      topic1: driver.createInputTopic<number, string>('topic1'),
      topic2: driver.createInputTopic<number, number>('topic2'),
      processor,
    };
  }

  notApplicable(
    'testOuterJoinDuplicatesWithFixDisabledOldApi',
    'uses the deprecated JoinWindows.of(), whose joins emit null results eagerly (the behaviour before the spurious-result fix); Tributary supports only the current semantics',
  );

  javaTest('testOuterJoinDuplicates', async () => {
    const { topic1, topic2, processor } = await outerJoin(JoinWindows.ofTimeDifferenceAndGrace(100, 10));
    topic1.pipeInput(0, 'A0', 0);
    topic1.pipeInput(0, 'A0-0', 0);
    topic2.pipeInput(1, 11, 0);
    topic2.pipeInput(1, 12, 0);
    topic2.pipeInput(1, 10, 111);
    // Stream time 211 closes the windows at 0: right records sort before left ones of the same time.
    topic2.pipeInput(3, 100, 211);
    processor.check(kvt(1, 'null+11', 0), kvt(1, 'null+12', 0), kvt(0, 'A0+null', 0), kvt(0, 'A0-0+null', 0));
    topic1.pipeInput(2, 'A2', 200);
    topic1.pipeInput(2, 'A2-0', 200);
    topic2.pipeInput(2, 13, 201);
    topic2.pipeInput(2, 14, 201);
    processor.check(
      kvt(2, 'A2+13', 201),
      kvt(2, 'A2-0+13', 201),
      kvt(2, 'A2+14', 201),
      kvt(2, 'A2-0+14', 201),
    );
    topic2.pipeInput(3, 100, 1500);
    processor.check(kvt(1, 'null+10', 111), kvt(3, 'null+100', 211));
  });

  /** A0@1, A1@2, A0-0@3 on the left; 11@3 on the right joins A1. */
  async function leftWaiting(windows: JoinWindows) {
    const t = await outerJoin(windows);
    t.topic1.pipeInput(0, 'A0', 1);
    t.topic1.pipeInput(1, 'A1', 2);
    t.topic1.pipeInput(0, 'A0-0', 3);
    t.processor.check();
    t.topic2.pipeInput(1, 11, 3);
    t.processor.check(kvt(1, 'A1+11', 3));
    return t;
  }

  /** 10@1, 11@2, 12@3 on the right; A1@3 on the left joins 11. */
  async function rightWaiting(windows: JoinWindows) {
    const t = await outerJoin(windows);
    t.topic2.pipeInput(0, 10, 1);
    t.topic2.pipeInput(1, 11, 2);
    t.topic2.pipeInput(0, 12, 3);
    t.processor.check();
    t.topic1.pipeInput(1, 'A1', 3);
    t.processor.check(kvt(1, 'A1+11', 3));
    return t;
  }

  javaTest('testLeftExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor', async () => {
    const { topic1, topic2, processor } = await leftWaiting(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    topic1.pipeInput(2, 'dummy', 401);
    processor.check(kvt(0, 'A0+null', 1), kvt(0, 'A0-0+null', 3));
    topic2.pipeInput(2, 100, 401);
    processor.check(kvt(2, 'dummy+100', 401));
  });

  javaTest('testLeftExpiredNonJoinedRecordsAreEmittedByTheRightProcessor', async () => {
    const { topic1, topic2, processor } = await leftWaiting(JoinWindows.ofTimeDifferenceAndGrace(100, 0));
    topic2.pipeInput(2, 100, 401);
    processor.check(kvt(0, 'A0+null', 1), kvt(0, 'A0-0+null', 3));
    topic1.pipeInput(2, 'dummy', 402);
    processor.check(kvt(2, 'dummy+100', 402));
  });

  javaTest('testRightExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor', async () => {
    const { topic1, topic2, processor } = await rightWaiting(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    topic1.pipeInput(2, 'dummy', 401);
    processor.check(kvt(0, 'null+10', 1), kvt(0, 'null+12', 3));
    topic2.pipeInput(2, 100, 402);
    processor.check(kvt(2, 'dummy+100', 402));
  });

  javaTest('testRightExpiredNonJoinedRecordsAreEmittedByTheRightProcessor', async () => {
    const { topic1, topic2, processor } = await rightWaiting(JoinWindows.ofTimeDifferenceAndGrace(100, 0));
    topic2.pipeInput(2, 100, 401);
    processor.check(kvt(0, 'null+10', 1), kvt(0, 'null+12', 3));
    topic1.pipeInput(2, 'dummy', 402);
    processor.check(kvt(2, 'dummy+100', 402));
  });

  javaTest('testOrdering', async () => {
    const { topic1, topic2, processor } = await outerJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    topic1.pipeInput(0, 'A0', 0);
    topic1.pipeInput(1, 'A1', 100);
    processor.check();
    topic2.pipeInput(1, 11, 110);
    processor.check(kvt(0, 'A0+null', 0), kvt(1, 'A1+11', 110));
  });

  javaTest('testGracePeriod', async () => {
    const { topic1, topic2, processor } = await outerJoin(JoinWindows.ofTimeDifferenceAndGrace(100, 10));
    topic1.pipeInput(0, 'A0', 0);
    topic2.pipeInput(1, 11, 0);
    processor.check();
    // Outside the windows of the first records, but within their grace.
    topic1.pipeInput(1, 'A1', 101);
    topic2.pipeInput(0, 10, 101);
    processor.check();
    topic2.pipeInput(0, 100, 112);
    processor.check(kvt(1, 'null+11', 0), kvt(0, 'A0+null', 0));
  });

  javaTest('testEmitAllNonJoinedResultsForAsymmetricWindow', async () => {
    const { topic1, topic2, processor } = await outerJoin(
      JoinWindows.ofTimeDifferenceWithNoGrace(5).after(20),
    );
    topic1.pipeInput(0, 'A0', 29);
    processor.check();
    topic1.pipeInput(1, 'A1', 30);
    processor.check();
    topic2.pipeInput(2, 12, 31);
    processor.check();
    topic2.pipeInput(3, 13, 36);
    processor.check();
    topic2.pipeInput(4, 14, 37);
    processor.check(kvt(2, 'null+12', 31));
    topic2.pipeInput(5, 15, 50);
    processor.check(kvt(0, 'A0+null', 29), kvt(3, 'null+13', 36), kvt(4, 'null+14', 37));
  });

  /** The Java `runOuterJoin`. */
  async function runOuterJoin(windows: JoinWindows, backend?: StoreBackend) {
    const { topology, topic1, topic2, processor } = await outerJoin(windows, backend);
    expect(topology.stores.size).toBe(3);
    pipeEach(topic1, [0, 1], 'A');
    processor.check();
    [0, 1].forEach((key) => topic2.pipeInput(key, key + 10));
    processor.check(kvt(0, 'A0+10', 0), kvt(1, 'A1+11', 0));
    pipeEach(topic1, [0, 1, 2], 'B');
    processor.check(kvt(0, 'B0+10', 0), kvt(1, 'B1+11', 0));
    KEYS.forEach((key) => topic2.pipeInput(key, key + 20));
    processor.check(
      kvt(0, 'A0+20', 0),
      kvt(0, 'B0+20', 0),
      kvt(1, 'A1+21', 0),
      kvt(1, 'B1+21', 0),
      kvt(2, 'B2+22', 0),
    );
    pipeEach(topic1, KEYS, 'C');
    processor.check(
      kvt(0, 'C0+10', 0),
      kvt(0, 'C0+20', 0),
      kvt(1, 'C1+11', 0),
      kvt(1, 'C1+21', 0),
      kvt(2, 'C2+22', 0),
      kvt(3, 'C3+23', 0),
    );
    topic1.pipeInput(0, 'dummy', 400);
    processor.check();
  }

  // The Java test passes in-memory window stores; Tributary's equivalent is the in-memory backend.
  javaTest('testOuterJoinWithInMemoryCustomSuppliers', async () => {
    await runOuterJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100), 'memory');
  });

  javaTest('testOuterJoinWithDefaultSuppliers', async () => {
    await runOuterJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
  });

  javaTest('testWindowing', async () => {
    const { topic1, topic2, processor } = await outerJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    pipeEach(topic1, [0, 1], 'A', 0);
    processor.check();
    KEYS.forEach((key) => topic2.pipeInput(key, key + 10, 0));
    processor.check(kvt(0, 'A0+10', 0), kvt(1, 'A1+11', 0));

    // The Java helper testUpperWindowBound: right records 20..23 at 1000..1003, left records after them.
    KEYS.forEach((key) => topic2.pipeInput(key, key + 20, 1000 + key));
    processor.check(kvt(2, 'null+12', 0), kvt(3, 'null+13', 0));
    const upper: [string, number, number[]][] = [
      ['B', 1100, [0, 1, 2, 3]],
      ['C', 1101, [1, 2, 3]],
      ['D', 1102, [2, 3]],
      ['E', 1103, [3]],
      ['F', 1104, []],
    ];
    for (const [prefix, time, matched] of upper) {
      pipeEach(topic1, KEYS, prefix, time);
      processor.check(...matched.map((key) => kvt(key, `${prefix}${key}+${key + 20}`, time)));
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

    // The Java helper testLowerWindowBound: left records before the right ones, already past their windows.
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
            ? kvt(key, `${prefix}${key}+${key + 20}`, 1000 + key)
            : kvt(key, `${prefix}${key}+null`, time),
        ),
      );
    }
    topic1.pipeInput(0, 'dummy', 1103);
    processor.check(kvt(0, 'dummy+null', 1103));
  });

  javaTest('testShouldNotEmitLeftJoinResultForAsymmetricBeforeWindow', async () => {
    const { topic1, topic2, processor } = await outerJoin(
      JoinWindows.ofTimeDifferenceWithNoGrace(100).before(0),
    );
    pipeEach(topic1, [0, 1], 'A', 0, { staggered: true });
    processor.check();
    topic2.pipeInput(0, 10, 100);
    processor.check(kvt(0, 'A0+10', 100));
    topic2.pipeInput(1, 11, 102);
    processor.check(kvt(1, 'A1+null', 1));
    topic2.pipeInput(2, 12, 103);
    processor.check(kvt(1, 'null+11', 102));
    topic1.pipeInput(2, 'A2', 103);
    processor.check(kvt(2, 'A2+12', 103));
  });

  javaTest('testShouldNotEmitLeftJoinResultForAsymmetricAfterWindow', async () => {
    const { topic1, topic2, processor } = await outerJoin(
      JoinWindows.ofTimeDifferenceWithNoGrace(100).after(0),
    );
    pipeEach(topic1, [0, 1], 'A', 0, { staggered: true });
    processor.check(kvt(0, 'A0+null', 0));
    topic2.pipeInput(1, 11, 1);
    processor.check(kvt(1, 'A1+11', 1));
    topic2.pipeInput(2, 12, 101);
    processor.check();
    topic2.pipeInput(3, 13, 101);
    processor.check();
    topic1.pipeInput(2, 'A2', 201);
    processor.check(kvt(2, 'A2+12', 201));
  });

  javaTest('testShouldForwardCurrentHeaders', async () => {
    const { topic1, topic2, processor } = await outerJoin(JoinWindows.ofTimeDifferenceAndGrace(100, 10));
    const h = (byte: number) => ({ h: Uint8Array.of(byte) });
    topic1.pipeInput(0, 'A0', 0, h(1));
    topic2.pipeInput(1, 10, 0, h(2));
    // Emitted unmatched records carry the headers of the record that closed their windows.
    topic2.pipeInput(3, 100, 211, h(3));
    expect(processor.drainRecords()).toEqual([
      { key: 1, value: 'null+10', timestamp: 0, headers: h(3) },
      { key: 0, value: 'A0+null', timestamp: 0, headers: h(3) },
    ]);
    topic1.pipeInput(2, 'A2', 200, h(4));
    topic2.pipeInput(2, 12, 200, h(5));
    expect(processor.drainRecords()).toEqual([{ key: 2, value: 'A2+12', timestamp: 200, headers: h(5) }]);
  });

  javaTest('testShouldJoinWithNonTimestampedStore', async () => {
    const { topology } = await outerJoin(JoinWindows.ofTimeDifferenceWithNoGrace(100));
    // The Java test checks the store built for the records still waiting for a partner.
    const waiting = [...topology.stores.values()].filter((spec) => spec.kind !== 'window');
    expect(waiting.map((spec) => spec.kind)).toEqual(['key-value']);
  });
});
