// Kafka Streams' KStreamSlidingWindowAggregateTest, transcribed: aggregations in sliding windows, emitting
// every update or only final results on window close. The Java tests also run each case over a store
// whose iterator cannot go backwards, and with the record cache; Tributary has one window store and no
// record cache, and the test driver commits (which would flush a cache) after every record, so those
// parameters do not change the expected records: each case runs once per emit strategy.
import { describe, expect } from 'vitest';
import {
  EmitStrategy,
  Serdes,
  SlidingWindows,
  StreamsBuilder,
  type Aggregator,
  type KTable,
  type Materialized,
  type Windowed,
} from 'tributary';
import {
  Captured,
  driverPerTest,
  javaTest,
  kvt,
  stringInit,
  toStringAdder,
  type Kvt,
} from './support/conformance.ts';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const STRATEGIES = ['update', 'close'] as const;
type Strategy = (typeof STRATEGIES)[number];
type Expected<T> = Record<Strategy, T>;
/** What the Java `gatherOutput` collects: per window start, the set of values and timestamps it got. */
type ByStart = Record<number, [string, number][]>;

/** A record of a windowed table: `new KeyValueTimestamp<>(new Windowed<>(key, new TimeWindow(start, end)), value, ts)`. */
function W(
  key: string,
  start: number,
  end: number,
  value: string,
  timestamp: number,
): Kvt<Windowed<string>, string> {
  return kvt({ key, window: { start, end } }, value, timestamp);
}

/**
 * The store of most cases: with emit on update, the Java tests pass an in-memory store supplier that
 * keeps 50 s (`retentionMs`); emitting on close they use a named store with the default retention.
 */
function storeFor(strategy: Strategy, retentionMs = 50_000): Materialized<string, string> {
  return strategy === 'close'
    ? { storeName: 'store-name' }
    : { storeName: 'InOrder1', backend: 'memory', retentionMs };
}

/** testAggregateSmallInput: the values and timestamps each window (by start) received. */
const aggregateSmallInput: Expected<ByStart> = {
  close: {
    0: [['0+1+2', 10]],
    4: [['0+1+2+3', 14]],
    5: [['0+1+2+3+4', 15]],
    10: [['0+1+2+3+4+5', 20]],
    11: [['0+3+4+5', 20]],
    12: [['0+3+4+5+6', 22]],
  },
  update: {
    0: [
      ['0+1', 10],
      ['0+1+2', 10],
    ],
    4: [['0+1+2+3', 14]],
    5: [['0+1+2+3+4', 15]],
    10: [['0+1+2+3+4+5', 20]],
    11: [
      ['0+3', 14],
      ['0+3+4', 15],
      ['0+3+4+5', 20],
    ],
    12: [['0+3+4+5+6', 22]],
    15: [
      ['0+4', 15],
      ['0+4+5', 20],
      ['0+4+5+6', 22],
    ],
    16: [
      ['0+5', 20],
      ['0+5+6', 22],
    ],
    20: [['0+5+6+7', 30]],
    21: [
      ['0+6', 22],
      ['0+6+7', 30],
    ],
    23: [['0+7', 30]],
  },
};

/** testReduceSmallInput: the values and timestamps each window (by start) received. */
const reduceSmallInput: Expected<ByStart> = {
  close: {
    0: [['1', 10]],
    4: [['1+2', 14]],
    5: [['1+2+3', 15]],
    11: [['2+3', 15]],
    12: [['2+3+4', 22]],
  },
  update: {
    0: [['1', 10]],
    4: [['1+2', 14]],
    5: [['1+2+3', 15]],
    11: [
      ['2', 14],
      ['2+3', 15],
    ],
    12: [['2+3+4', 22]],
    15: [
      ['3', 15],
      ['3+4', 22],
    ],
    16: [
      ['4', 22],
      ['4+5', 26],
    ],
    20: [['4+5+6', 30]],
    23: [
      ['5', 26],
      ['5+6', 30],
    ],
    27: [['6', 30]],
  },
};

/** testEarlyRecordsSmallInput: the values and timestamps each window (by start) received. */
const earlyRecordsSmallInput: Expected<ByStart> = {
  close: {
    0: [['0+1+2+3+4+5+6', 13]],
    1: [['0+2+3+4+5+6', 13]],
    4: [['0+2+3+5+6', 13]],
    6: [['0+3+5+6', 13]],
    7: [['0+5+6', 13]],
    11: [['0+5', 13]],
  },
  update: {
    0: [
      ['0+1', 0],
      ['0+1+2', 5],
      ['0+1+2+3', 6],
      ['0+1+2+3+4', 6],
      ['0+1+2+3+4+5', 13],
      ['0+1+2+3+4+5+6', 13],
    ],
    1: [
      ['0+2', 5],
      ['0+2+3', 6],
      ['0+2+3+4', 6],
      ['0+2+3+4+5', 13],
      ['0+2+3+4+5+6', 13],
    ],
    4: [
      ['0+2+3', 6],
      ['0+2+3+5', 13],
      ['0+2+3+5+6', 13],
    ],
    6: [
      ['0+3', 6],
      ['0+3+5', 13],
      ['0+3+5+6', 13],
    ],
    7: [
      ['0+5', 13],
      ['0+5+6', 13],
    ],
    11: [['0+5', 13]],
    20: [['0+7', 70]],
  },
};

/** testEarlyRecordsRepeatedInput: the values and timestamps each window (by start) received. */
const earlyRecordsRepeatedInput: Expected<ByStart> = {
  close: {
    0: [['0+1+2+3+4+5+6+7', 4]],
    1: [['0+2+3+5+6', 4]],
  },
  update: {
    0: [
      ['0+1', 0],
      ['0+1+2', 2],
      ['0+1+2+3+4+5', 4],
      ['0+1+2+3+4+5+6', 4],
      ['0+1+2+3', 4],
      ['0+1+2+3+4', 4],
      ['0+1+2+3+4+5+6+7', 4],
    ],
    1: [
      ['0+2+3+5+6', 4],
      ['0+2', 2],
      ['0+2+3', 4],
      ['0+2+3+5', 4],
    ],
    2: [['0+2+3+5+6+8', 7]],
    3: [
      ['0+3', 4],
      ['0+3+8', 7],
    ],
    5: [['0+8', 7]],
  },
};

/** testEarlyNoGracePeriodSmallInput: the values and timestamps each window (by start) received. */
const earlyNoGracePeriodSmallInput: Expected<ByStart> = {
  close: {
    0: [['0+1+2+3+4+5+6', 13]],
    1: [['0+2+3+4+5+6', 13]],
    4: [['0+2+3+5+6', 13]],
    6: [['0+3+5+6', 13]],
    7: [['0+5+6', 13]],
    11: [['0+5', 13]],
  },
  update: {
    0: [
      ['0+1', 0],
      ['0+1+2', 5],
      ['0+1+2+3', 6],
      ['0+1+2+3+4', 6],
      ['0+1+2+3+4+5', 13],
      ['0+1+2+3+4+5+6', 13],
    ],
    1: [
      ['0+2', 5],
      ['0+2+3', 6],
      ['0+2+3+4', 6],
      ['0+2+3+4+5', 13],
      ['0+2+3+4+5+6', 13],
    ],
    4: [
      ['0+2+3', 6],
      ['0+2+3+5', 13],
      ['0+2+3+5+6', 13],
    ],
    6: [
      ['0+3', 6],
      ['0+3+5', 13],
      ['0+3+5+6', 13],
    ],
    7: [
      ['0+5', 13],
      ['0+5+6', 13],
    ],
    11: [['0+5', 13]],
    20: [['0+6', 70]],
  },
};

/** testNoGracePeriodSmallInput: the values and timestamps each window (by start) received. */
const noGracePeriodSmallInput: Expected<ByStart> = {
  close: {
    50: [['0+1', 100]],
    55: [['0+1+2', 105]],
    56: [['0+1+2+3+4', 106]],
  },
  update: {
    50: [['0+1', 100]],
    55: [['0+1+2', 105]],
    56: [
      ['0+1+2+3', 106],
      ['0+1+2+3+4', 106],
    ],
    63: [
      ['0+1+2+3+4+5', 113],
      ['0+1+2+3+4+5+6', 113],
    ],
    101: [
      ['0+2', 105],
      ['0+2+3', 106],
      ['0+2+3+4', 106],
      ['0+2+3+4+5', 113],
      ['0+2+3+4+5+6', 113],
    ],
    104: [
      ['0+2+3', 106],
      ['0+2+3+5', 113],
      ['0+2+3+5+6', 113],
    ],
    106: [
      ['0+3', 106],
      ['0+3+5', 113],
      ['0+3+5+6', 113],
    ],
    107: [
      ['0+5', 113],
      ['0+5+6', 113],
    ],
    111: [['0+5', 113]],
  },
};

/** testAggregateLargeInput: the updates, ordered by key and window start (stable). */
const aggregateLargeInput: Expected<Kvt<Windowed<string>, string>[]> = {
  close: [
    W('A', 0, 10, '0+1', 10),
    W('A', 5, 15, '0+1+4', 15),
    W('B', 2, 12, '0+1', 12),
    W('B', 3, 13, '0+1+2', 13),
    W('B', 8, 18, '0+1+2+3+6', 18),
    W('C', 5, 15, '0+2', 15),
    W('C', 6, 16, '0+2+3', 16),
  ],
  update: [
    W('A', 0, 10, '0+1', 10),
    W('A', 5, 15, '0+1+4', 15),
    W('A', 10, 20, '0+1+2', 20),
    W('A', 10, 20, '0+1+2+4', 20),
    W('A', 11, 21, '0+2', 20),
    W('A', 11, 21, '0+2+4', 20),
    W('A', 12, 22, '0+2+3', 22),
    W('A', 12, 22, '0+2+3+4', 22),
    W('A', 16, 26, '0+2+3', 22),
    W('A', 21, 31, '0+3', 22),
    W('B', 2, 12, '0+1', 12),
    W('B', 3, 13, '0+1+2', 13),
    W('B', 4, 14, '0+1+2+6', 14),
    W('B', 8, 18, '0+1+2+3', 18),
    W('B', 8, 18, '0+1+2+3+6', 18),
    W('B', 9, 19, '0+1+2+3+4', 19),
    W('B', 9, 19, '0+1+2+3+4+6', 19),
    W('B', 13, 23, '0+2', 13),
    W('B', 13, 23, '0+2+3', 18),
    W('B', 13, 23, '0+2+3+4', 19),
    W('B', 13, 23, '0+2+3+4+6', 19),
    W('B', 14, 24, '0+3', 18),
    W('B', 14, 24, '0+3+4', 19),
    W('B', 14, 24, '0+3+4+6', 19),
    W('B', 15, 25, '0+3+4+5', 25),
    W('B', 19, 29, '0+4', 19),
    W('B', 19, 29, '0+4+5', 25),
    W('B', 20, 30, '0+5', 25),
    W('C', 1, 11, '0+1', 11),
    W('C', 5, 15, '0+1+2', 15),
    W('C', 6, 16, '0+1+2+3', 16),
    W('C', 11, 21, '0+1+2+3+4', 21),
    W('C', 12, 22, '0+2', 15),
    W('C', 12, 22, '0+2+3', 16),
    W('C', 12, 22, '0+2+3+4', 21),
    W('C', 13, 23, '0+2+3+4+5', 23),
    W('C', 16, 26, '0+3', 16),
    W('C', 16, 26, '0+3+4', 21),
    W('C', 16, 26, '0+3+4+5', 23),
    W('C', 17, 27, '0+4', 21),
    W('C', 17, 27, '0+4+5', 23),
    W('C', 22, 32, '0+5', 23),
    W('D', 1, 11, '0+4', 11),
    W('D', 2, 12, '0+4+2', 12),
    W('D', 6, 16, '0+4+2+5', 16),
    W('D', 12, 22, '0+2', 12),
    W('D', 12, 22, '0+2+5', 16),
    W('D', 13, 23, '0+5', 16),
    W('D', 19, 29, '0+3', 29),
  ],
};

/** testEarlyRecordsLargeInput: the updates, ordered by key and window start (stable). */
const earlyRecordsLargeInput: Expected<Kvt<Windowed<string>, string>[]> = {
  close: [W('E', 0, 10, '0+1+3+4+2', 6), W('E', 1, 11, '0+3+4+2', 6), W('E', 3, 13, '0+3+4+2+6+5+7', 13)],
  update: [
    W('E', 0, 10, '0+1', 0),
    W('E', 0, 10, '0+1+3', 5),
    W('E', 0, 10, '0+1+3+4', 6),
    W('E', 0, 10, '0+1+3+4+2', 6),
    W('E', 0, 10, '0+1+3+4+2+5', 10),
    W('E', 0, 10, '0+1+3+4+2+5+7', 10),
    W('E', 0, 10, '0+1+3+4+2+5+7+8', 10),
    W('E', 1, 11, '0+3', 5),
    W('E', 1, 11, '0+3+4', 6),
    W('E', 1, 11, '0+3+4+2', 6),
    W('E', 1, 11, '0+3+4+2+5', 10),
    W('E', 1, 11, '0+3+4+2+5+7', 10),
    W('E', 1, 11, '0+3+4+2+5+7+8', 10),
    W('E', 3, 13, '0+3+4+2+6', 13),
    W('E', 3, 13, '0+3+4+2+6+5', 13),
    W('E', 3, 13, '0+3+4+2+6+5+7', 13),
    W('E', 4, 14, '0+3+4', 6),
    W('E', 4, 14, '0+3+4+6', 13),
    W('E', 4, 14, '0+3+4+6+5', 13),
    W('E', 4, 14, '0+3+4+6+5+7', 13),
    W('E', 5, 15, '0+3+4+6+5', 13),
    W('E', 5, 15, '0+3+4+6+5+9', 15),
    W('E', 6, 16, '0+4', 6),
    W('E', 6, 16, '0+4+6', 13),
    W('E', 6, 16, '0+4+6+5', 13),
    W('E', 6, 16, '0+4+6+5+9', 15),
    W('E', 7, 17, '0+6', 13),
    W('E', 7, 17, '0+6+5', 13),
    W('E', 7, 17, '0+6+5+9', 15),
    W('E', 11, 21, '0+6', 13),
    W('E', 11, 21, '0+6+9', 15),
    W('E', 14, 24, '0+9', 15),
  ],
};

/** testEarlyNoGracePeriodLargeInput: the updates, ordered by key and window start (stable). */
const earlyNoGracePeriodLargeInput: Expected<Kvt<Windowed<string>, string>[]> = {
  close: [
    W('E', 0, 10, '0+1+3+4+2', 6),
    W('E', 1, 11, '0+3+4+2', 6),
    W('E', 3, 13, '0+3+4+2+6+5+7', 13),
    W('E', 4, 14, '0+3+4+6+5+7', 13),
  ],
  update: [
    W('E', 0, 10, '0+1', 0),
    W('E', 0, 10, '0+1+3', 5),
    W('E', 0, 10, '0+1+3+4', 6),
    W('E', 0, 10, '0+1+3+4+2', 6),
    W('E', 1, 11, '0+3', 5),
    W('E', 1, 11, '0+3+4', 6),
    W('E', 1, 11, '0+3+4+2', 6),
    W('E', 3, 13, '0+3+4+2+6', 13),
    W('E', 3, 13, '0+3+4+2+6+5', 13),
    W('E', 3, 13, '0+3+4+2+6+5+7', 13),
    W('E', 4, 14, '0+3+4', 6),
    W('E', 4, 14, '0+3+4+6', 13),
    W('E', 4, 14, '0+3+4+6+5', 13),
    W('E', 4, 14, '0+3+4+6+5+7', 13),
    W('E', 5, 15, '0+3+4+6+5', 13),
    W('E', 5, 15, '0+3+4+6+5+9', 15),
    W('E', 6, 16, '0+4', 6),
    W('E', 6, 16, '0+4+6', 13),
    W('E', 6, 16, '0+4+6+5', 13),
    W('E', 6, 16, '0+4+6+5+9', 15),
    W('E', 7, 17, '0+6', 13),
    W('E', 7, 17, '0+6+5', 13),
    W('E', 7, 17, '0+6+5+9', 15),
    W('E', 11, 21, '0+6', 13),
    W('E', 11, 21, '0+6+9', 15),
    W('E', 14, 24, '0+9', 15),
  ],
};

/** testNoGracePeriodLargeInput: the updates, ordered by key and window start (stable). */
const noGracePeriodLargeInput: Expected<Kvt<Windowed<string>, string>[]> = {
  close: [
    W('E', 90, 100, '0+1', 100),
    W('E', 95, 105, '0+1+3', 105),
    W('E', 96, 106, '0+1+3+4+2', 106),
    W('E', 101, 111, '0+3+4+2', 106),
    W('E', 103, 113, '0+3+4+2+6+5+7', 113),
    W('E', 104, 114, '0+3+4+6+5+7', 113),
  ],
  update: [
    W('E', 90, 100, '0+1', 100),
    W('E', 95, 105, '0+1+3', 105),
    W('E', 96, 106, '0+1+3+4', 106),
    W('E', 96, 106, '0+1+3+4+2', 106),
    W('E', 101, 111, '0+3', 105),
    W('E', 101, 111, '0+3+4', 106),
    W('E', 101, 111, '0+3+4+2', 106),
    W('E', 103, 113, '0+3+4+2+6', 113),
    W('E', 103, 113, '0+3+4+2+6+5', 113),
    W('E', 103, 113, '0+3+4+2+6+5+7', 113),
    W('E', 104, 114, '0+3+4', 106),
    W('E', 104, 114, '0+3+4+6', 113),
    W('E', 104, 114, '0+3+4+6+5', 113),
    W('E', 104, 114, '0+3+4+6+5+7', 113),
    W('E', 105, 115, '0+3+4+6+5', 113),
    W('E', 105, 115, '0+3+4+6+5+9', 115),
    W('E', 106, 116, '0+4', 106),
    W('E', 106, 116, '0+4+6', 113),
    W('E', 106, 116, '0+4+6+5', 113),
    W('E', 106, 116, '0+4+6+5+9', 115),
    W('E', 107, 117, '0+6', 113),
    W('E', 107, 117, '0+6+5', 113),
    W('E', 107, 117, '0+6+5+9', 115),
    W('E', 111, 121, '0+6', 113),
    W('E', 111, 121, '0+6+9', 115),
    W('E', 114, 124, '0+9', 115),
  ],
};

/** testAggregateRandomInput (verifyRandomTestResults): each window's last value and timestamp. */
const aggregateRandomInput: Expected<Record<number, [string, number]>> = {
  close: {
    52: ['GHIJK', 62],
    53: ['GHIJKLMN', 63],
    56: ['HIJKLMN', 63],
    57: ['IJKLMN', 63],
    59: ['KLMN', 63],
    63: ['LMN', 63],
    66: ['O', 76],
    67: ['OP', 77],
    70: ['OPQ', 80],
  },
  update: {
    0: ['ARSTU', 10],
    3: ['ASTU', 10],
    4: ['ATU', 10],
    5: ['ABTU', 15],
    6: ['ABCU', 16],
    8: ['ABCDU', 18],
    9: ['ABCD', 18],
    11: ['BCD', 18],
    16: ['CD', 18],
    17: ['D', 18],
    20: ['E', 30],
    30: ['EF', 40],
    31: ['F', 40],
    45: ['G', 55],
    46: ['GH', 56],
    48: ['GHIJ', 58],
    52: ['GHIJK', 62],
    53: ['GHIJKLMN', 63],
    56: ['HIJKLMN', 63],
    57: ['IJKLMN', 63],
    59: ['KLMN', 63],
    63: ['LMN', 63],
    66: ['O', 76],
    67: ['OP', 77],
    70: ['OPQ', 80],
    77: ['PQ', 80],
    78: ['Q', 80],
    171: ['V', 181],
  },
};

describe('KStreamSlidingWindowAggregateTest', () => {
  const start = driverPerTest();

  /** "topic" (or `topic`) grouped by key and aggregated with `toStringAdder` in `windows`. */
  function aggregate(
    builder: StreamsBuilder,
    windows: SlidingWindows,
    strategy: Strategy,
    materialized: Materialized<string, string>,
    topic = 'topic',
  ): KTable<Windowed<string>, string> {
    return builder
      .stream<string, string>(topic, strings)
      .groupByKey(strings)
      .windowedBy(windows)
      .emitStrategy(strategy === 'close' ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate())
      .aggregate(stringInit, toStringAdder, materialized);
  }

  /** Runs `table`'s topology over `records` and returns what its stream received. */
  async function run(
    builder: StreamsBuilder,
    table: KTable<Windowed<string>, string>,
    records: readonly (readonly [string, string, number])[],
    topic = 'topic',
  ): Promise<Kvt<Windowed<string>, string | null>[]> {
    const processor = new Captured<Windowed<string>, string | null>();
    table.toStream().process(processor.supplier);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>(topic);
    for (const [key, value, timestamp] of records) input.pipeInput(key, value, timestamp);
    return processor.drain();
  }

  /** The Java `gatherOutput`: per window start, the set of values and timestamps received. */
  function gatherOutput(records: Kvt<Windowed<string>, string | null>[]): ByStart {
    const byStart: ByStart = {};
    for (const { key, value, timestamp } of records) {
      const values = (byStart[key.window.start] ??= []);
      if (!values.some(([v, t]) => v === value && t === timestamp)) values.push([value!, timestamp]);
    }
    return byStart;
  }

  /** Compares as the Java tests compare sets: each window's values in any order. */
  function expectSameSets(actual: ByStart, expected: ByStart) {
    const sorted = (m: ByStart) =>
      Object.fromEntries(Object.entries(m).map(([start, values]) => [start, [...values].sort()]));
    expect(sorted(actual)).toEqual(sorted(expected));
  }

  /** The Java tests' comparator: by key, then window start; the sort is stable, as Java's. */
  function byKeyAndStart(records: Kvt<Windowed<string>, string | null>[]) {
    return [...records].sort(
      (a, b) => a.key.key.localeCompare(b.key.key) || a.key.window.start - b.key.window.start,
    );
  }

  javaTest('testAggregateSmallInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = aggregate(
        builder,
        SlidingWindows.ofTimeDifferenceAndGrace(10, 5),
        strategy,
        storeFor(strategy),
      );
      const records = await run(builder, table, [
        ['A', '1', 10],
        ['A', '2', 10],
        ['A', '3', 14],
        ['A', '4', 15],
        ['A', '5', 20],
        ['A', '6', 22],
        ['A', '7', 30],
      ]);
      expectSameSets(gatherOutput(records), aggregateSmallInput[strategy]);
    }
  });

  javaTest('testReduceSmallInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = builder
        .stream<string, string>('topic', strings)
        .groupByKey(strings)
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 5))
        .emitStrategy(strategy === 'close' ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate())
        .reduce((a, b) => `${a}+${b}`, storeFor(strategy));
      const records = await run(builder, table, [
        ['A', '1', 10],
        ['A', '2', 14],
        ['A', '3', 15],
        ['A', '4', 22],
        ['A', '5', 26],
        ['A', '6', 30],
      ]);
      expectSameSets(gatherOutput(records), reduceSmallInput[strategy]);
    }
  });

  javaTest('testAggregateLargeInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const grace = strategy === 'close' ? 10 : 50;
      const table = aggregate(
        builder,
        SlidingWindows.ofTimeDifferenceAndGrace(10, grace),
        strategy,
        storeFor(strategy),
        'topic1',
      );
      const records = await run(
        builder,
        table,
        [
          ['A', '1', 10],
          ['A', '2', 20],
          ['A', '3', 22],
          ['A', '4', 15],
          ['B', '1', 12],
          ['B', '2', 13],
          ['B', '3', 18],
          ['B', '4', 19],
          ['B', '5', 25],
          ['B', '6', 14], // emitting on close: too late for [4, 14] (closed at 15)
          ['C', '1', 11], // emitting on close: too late for [1, 11] (closed at 15)
          ['C', '2', 15],
          ['C', '3', 16],
          ['C', '4', 21],
          ['C', '5', 23],
          ['D', '4', 11], // emitting on close: too late for [1, 11] (closed at 15)
          ['D', '2', 12], // emitting on close: too late for [2, 12] (closed at 15)
          ['D', '3', 29],
          ['D', '5', 16], // emitting on close: too late for [6, 16] (closed at 19)
        ],
        'topic1',
      );
      expect(byKeyAndStart(records)).toEqual(aggregateLargeInput[strategy]);
    }
  });

  javaTest('testJoin', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const grace = strategy === 'close' ? 0 : 100;
      const windows = SlidingWindows.ofTimeDifferenceAndGrace(10, grace);
      const table1 = aggregate(
        builder,
        windows,
        strategy,
        { ...storeFor(strategy), storeName: 'store1' },
        'topic1',
      );
      const table2 = aggregate(
        builder,
        windows,
        strategy,
        { ...storeFor(strategy), storeName: 'store2' },
        'topic2',
      );
      const [p0, p1, p2] = [0, 1, 2].map(() => new Captured<Windowed<string>, string | null>());
      table1.toStream().process(p0!.supplier);
      table2.toStream().process(p1!.supplier);
      table1
        .join(table2, (v1, v2) => `${v1}%${v2}`)
        .toStream()
        .process(p2!.supplier);
      const driver = await start(builder.build());
      const topic1 = driver.createInputTopic<string, string>('topic1');
      const topic2 = driver.createInputTopic<string, string>('topic2');
      const close = strategy === 'close';

      topic1.pipeInput('A', '1', 10);
      topic1.pipeInput('B', '2', 11);
      topic1.pipeInput('C', '3', 12);
      p0!.check(
        ...(close
          ? [W('A', 0, 10, '0+1', 10), W('B', 1, 11, '0+2', 11)]
          : [W('A', 0, 10, '0+1', 10), W('B', 1, 11, '0+2', 11), W('C', 2, 12, '0+3', 12)]),
      );
      p1!.check();
      p2!.check();

      topic1.pipeInput('A', '1', 15);
      topic1.pipeInput('B', '2', 16);
      topic1.pipeInput('C', '3', 19);
      p0!.check(
        ...(close
          ? [W('C', 2, 12, '0+3', 12), W('A', 5, 15, '0+1+1', 15), W('B', 6, 16, '0+2+2', 16)]
          : [
              W('A', 11, 21, '0+1', 15),
              W('A', 5, 15, '0+1+1', 15),
              W('B', 12, 22, '0+2', 16),
              W('B', 6, 16, '0+2+2', 16),
              W('C', 13, 23, '0+3', 19),
              W('C', 9, 19, '0+3+3', 19),
            ]),
      );
      p1!.check();
      p2!.check();

      topic2.pipeInput('A', 'a', 10);
      topic2.pipeInput('C', 'c', 12);
      p0!.check();
      if (close) {
        p1!.check(W('A', 0, 10, '0+a', 10));
        p2!.check(W('A', 0, 10, '0+1%0+a', 10));
      } else {
        p1!.check(W('A', 0, 10, '0+a', 10), W('C', 2, 12, '0+c', 12));
        p2!.check(W('A', 0, 10, '0+1%0+a', 10), W('C', 2, 12, '0+3%0+c', 12));
      }

      topic2.pipeInput('A', 'a', 15);
      topic2.pipeInput('B', 'b', 16);
      topic2.pipeInput('C', 'c', 17);
      p0!.check();
      if (close) {
        p1!.check(W('C', 2, 12, '0+c', 12), W('A', 5, 15, '0+a+a', 15), W('B', 6, 16, '0+b', 16));
        p2!.check(
          W('C', 2, 12, '0+3%0+c', 12),
          W('A', 5, 15, '0+1+1%0+a+a', 15),
          W('B', 6, 16, '0+2+2%0+b', 16),
        );
      } else {
        p1!.check(
          W('A', 11, 21, '0+a', 15),
          W('A', 5, 15, '0+a+a', 15),
          W('B', 6, 16, '0+b', 16),
          W('C', 13, 23, '0+c', 17),
          W('C', 7, 17, '0+c+c', 17),
        );
        p2!.check(
          W('A', 11, 21, '0+1%0+a', 15),
          W('A', 5, 15, '0+1+1%0+a+a', 15),
          W('B', 6, 16, '0+2+2%0+b', 16),
          W('C', 13, 23, '0+3%0+c', 19),
        );
      }
    }
  });

  /** The input of the "small" early-record cases: records before the first time difference has passed. */
  const earlySmallInput = (offset: number, lastValue: string, lastTimestamp: number) =>
    [
      ['A', '1', offset + 0],
      ['A', '2', offset + 5],
      ['A', '3', offset + 6],
      ['A', '4', offset + 3],
      ['A', '5', offset + 13],
      ['A', '6', offset + 10],
      ...(lastTimestamp >= 0 ? [['A', lastValue, lastTimestamp] as const] : []),
    ] as const;

  javaTest('testEarlyRecordsSmallInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = aggregate(builder, SlidingWindows.ofTimeDifferenceAndGrace(50, 0), strategy, {
        storeName: 'topic-Canonized',
        valueSerde: Serdes.String(),
      });
      const records = await run(builder, table, earlySmallInput(0, '7', 70));
      expectSameSets(gatherOutput(records), earlyRecordsSmallInput[strategy]);
    }
  });

  javaTest('testEarlyRecordsRepeatedInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = aggregate(builder, SlidingWindows.ofTimeDifferenceAndGrace(5, 0), strategy, {
        storeName: 'topic-Canonized',
        valueSerde: Serdes.String(),
      });
      const records = await run(builder, table, [
        ['A', '1', 0],
        ['A', '2', 2],
        ['A', '3', 4],
        ['A', '4', 0],
        ['A', '5', 2],
        ['A', '6', 2],
        ['A', '7', 0],
        ['A', '8', 7],
      ]);
      expectSameSets(gatherOutput(records), earlyRecordsRepeatedInput[strategy]);
    }
  });

  /** The input of the "large" early-record cases, `offset` ms later. */
  const earlyLargeInput = (offset: number) =>
    (
      [
        ['1', 0],
        ['3', 5],
        ['4', 6],
        ['2', 3],
        ['6', 13],
        ['5', 10],
        ['7', 4],
        ['8', 2],
        ['9', 15],
      ] as const
    ).map(([value, timestamp]) => ['E', value, offset + timestamp] as const);

  javaTest('testEarlyRecordsLargeInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const grace = strategy === 'close' ? 1 : 50;
      const table = aggregate(
        builder,
        SlidingWindows.ofTimeDifferenceAndGrace(10, grace),
        strategy,
        storeFor(strategy),
      );
      const records = await run(builder, table, earlyLargeInput(0));
      expect(byKeyAndStart(records)).toEqual(earlyRecordsLargeInput[strategy]);
    }
  });

  javaTest('testEarlyNoGracePeriodSmallInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = aggregate(builder, SlidingWindows.ofTimeDifferenceWithNoGrace(50), strategy, {
        storeName: 'topic-Canonized',
        valueSerde: Serdes.String(),
      });
      const records = await run(builder, table, earlySmallInput(0, '6', 70));
      expectSameSets(gatherOutput(records), earlyNoGracePeriodSmallInput[strategy]);
    }
  });

  javaTest('testNoGracePeriodSmallInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = aggregate(builder, SlidingWindows.ofTimeDifferenceWithNoGrace(50), strategy, {
        storeName: 'topic-Canonized',
        valueSerde: Serdes.String(),
      });
      const records = await run(builder, table, earlySmallInput(100, '', -1));
      expectSameSets(gatherOutput(records), noGracePeriodSmallInput[strategy]);
    }
  });

  javaTest('testEarlyNoGracePeriodLargeInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = aggregate(
        builder,
        SlidingWindows.ofTimeDifferenceWithNoGrace(10),
        strategy,
        storeFor(strategy, 500),
      );
      const records = await run(builder, table, earlyLargeInput(0));
      expect(byKeyAndStart(records)).toEqual(earlyNoGracePeriodLargeInput[strategy]);
    }
  });

  javaTest('testNoGracePeriodLargeInput', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = aggregate(
        builder,
        SlidingWindows.ofTimeDifferenceWithNoGrace(10),
        strategy,
        storeFor(strategy, 500),
      );
      const records = await run(builder, table, earlyLargeInput(100));
      expect(byKeyAndStart(records)).toEqual(noGracePeriodLargeInput[strategy]);
    }
  });

  // The Java test also checks the warning it logs; Tributary counts the dropped record by reason.
  javaTest('shouldLogAndMeterWhenSkippingNullKey', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      aggregate(builder, SlidingWindows.ofTimeDifferenceAndGrace(10, 100), strategy, {
        storeName: 'topic1-Canonized',
        valueSerde: Serdes.String(),
      });
      const driver = await start(builder.build());
      driver.createInputTopic<string, string>('topic').pipeInput(null, '1');
      expect(driver.droppedRecords()).toEqual(new Map([['null-key-or-value', 1]]));
    }
  });

  // The Java test also checks the lateness metrics and the warnings; Tributary counts the dropped records.
  javaTest('shouldLogAndMeterWhenSkippingExpiredWindowByGrace', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const table = aggregate(
        builder,
        SlidingWindows.ofTimeDifferenceAndGrace(10, 90),
        strategy,
        storeFor(strategy),
      );
      const processor = new Captured<Windowed<string>, string | null>();
      table.toStream().process(processor.supplier);
      const driver = await start(builder.build());
      const input = driver.createInputTopic<string, string>('topic');
      for (const [value, timestamp] of [
        ['100', 200],
        ['0', 100],
        ['1', 101],
        ['2', 102],
        ['3', 103],
        ['4', 104],
        ['5', 105],
        ['6', 15],
        ['101', 300],
        ['102', 400],
      ] as const)
        input.pipeInput('k', value, timestamp);
      expect(driver.droppedRecords()).toEqual(new Map([['expired-window', 7]]));
      const records = processor.drainRecords();
      for (const record of records) expect(record.headers).toEqual({});
      expect(records.map(({ key, value, timestamp }) => kvt(key, value, timestamp))).toEqual(
        strategy === 'close'
          ? [W('k', 190, 200, '0+100', 200), W('k', 290, 300, '0+101', 300)]
          : [W('k', 190, 200, '0+100', 200), W('k', 290, 300, '0+101', 300), W('k', 390, 400, '0+102', 400)],
      );
    }
  });

  /** A seeded shuffle (Fisher-Yates over a linear congruential generator), so a failure can be replayed. */
  function shuffled<T>(items: readonly T[], seed: number): T[] {
    let state = seed >>> 0;
    const next = () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
    const result = [...items];
    for (let i = result.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [result[i], result[j]] = [result[j]!, result[i]!];
    }
    return result;
  }

  javaTest('testAggregateRandomInput', async () => {
    for (const strategy of STRATEGIES) {
      const seed = Math.floor(Math.random() * 2 ** 32);
      const builder = new StreamsBuilder();
      // Each window's aggregate: the letters it holds, sorted.
      const sortedLetters: Aggregator<string, string, string> = (_key, value, aggregate) =>
        [...(aggregate + value)].sort().join('');
      const table = builder
        .stream<string, string>('topic1', strings)
        .groupByKey(strings)
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100))
        .emitStrategy(strategy === 'close' ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate())
        .aggregate(() => '', sortedLetters, storeFor(strategy));
      const input = shuffled(
        [
          ['A', 10],
          ['B', 15],
          ['C', 16],
          ['D', 18],
          ['E', 30],
          ['F', 40],
          ['G', 55],
          ['H', 56],
          ['I', 58],
          ['J', 58],
          ['K', 62],
          ['L', 63],
          ['M', 63],
          ['N', 63],
          ['O', 76],
          ['P', 77],
          ['Q', 80],
          ['R', 2],
          ['S', 3],
          ['T', 5],
          ['U', 8],
        ] as const,
        seed,
      );
      const records = await run(
        builder,
        table,
        [...input.map(([value, timestamp]) => ['A', value, timestamp] as const), ['A', 'V', 181] as const],
        'topic1',
      );
      const last: Record<number, [string, number]> = {};
      for (const { key, value, timestamp } of records) last[key.window.start] = [value!, timestamp];
      expect(last, `strategy ${strategy}, shuffled with seed ${seed}`).toEqual(
        aggregateRandomInput[strategy],
      );
    }
  });
});
