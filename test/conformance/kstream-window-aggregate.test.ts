// Kafka Streams' KStreamWindowAggregateTest, transcribed: aggregations in time windows, emitting every
// update or only final results on window close. The Java tests run each case with and without the
// record cache; Tributary has no record cache yet, so the cases without it are the ones transcribed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { EmitStrategy, Serdes, StreamsBuilder, TimeWindows, type KTable, type Windowed } from 'tributary';
import { TopologyTestDriver, type TestInputTopic } from 'tributary/testing';
import type { Change } from '../../src/processor/change.ts';
import {
  Captured,
  captureChanges,
  change,
  driverPerTest,
  javaTest,
  kvt,
  notApplicable,
  type Kvt,
  stringInit,
  toStringAdder,
} from './support/conformance.ts';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const STRATEGIES = ['update', 'close'] as const;
type Strategy = (typeof STRATEGIES)[number];
const strategyOf = (s: Strategy) =>
  s === 'close' ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate();

/** A time window of a key, as the Java tests' `new Windowed<>(key, new TimeWindow(start, end))`. */
function W(key: string, start: number, end: number): Windowed<string> {
  return { key, window: { start, end } };
}

describe('KStreamWindowAggregateTest', () => {
  const start = driverPerTest();

  /** topic1 aggregated per key in `windows` into "topic1-Canonized", written out as a stream. */
  function aggregatedTable(builder: StreamsBuilder, topic: string, windows: TimeWindows, strategy: Strategy) {
    return builder
      .stream<string, string>(topic, strings)
      .groupByKey()
      .windowedBy(windows)
      .emitStrategy(strategyOf(strategy))
      .aggregate(stringInit, toStringAdder, { storeName: `${topic}-Canonized`, valueSerde: Serdes.String() });
  }

  javaTest('testAggBasic', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const processor = new Captured<Windowed<string>, string | null>();
      aggregatedTable(builder, 'topic1', TimeWindows.ofSizeAndGrace(10, 100).advanceBy(5), strategy)
        .toStream()
        .process(processor.supplier);
      const driver = await start(builder.build());
      const input = driver.createInputTopic<string, string>('topic1');
      const records: [string, string, number][] = [
        ['A', '1', 0],
        ['B', '2', 1],
        ['C', '3', 2],
        ['D', '4', 3],
        ['A', '1', 4],
        ['A', '1', 5],
        ['B', '2', 6],
        ['D', '4', 7],
        ['B', '2', 8],
        ['C', '3', 9],
        ['A', '1', 10],
        ['B', '2', 11],
        ['D', '4', 12],
        ['B', '2', 13],
        ['C', '3', 14],
        ['B', '1', 3],
        ['B', '2', 2],
        ['B', '3', 9],
      ];
      for (const [key, value, timestamp] of records) input.pipeInput(key, value, timestamp);
      if (strategy === 'close') processor.check();
      else
        processor.check(
          kvt(W('A', 0, 10), '0+1', 0),
          kvt(W('B', 0, 10), '0+2', 1),
          kvt(W('C', 0, 10), '0+3', 2),
          kvt(W('D', 0, 10), '0+4', 3),
          kvt(W('A', 0, 10), '0+1+1', 4),
          kvt(W('A', 0, 10), '0+1+1+1', 5),
          kvt(W('A', 5, 15), '0+1', 5),
          kvt(W('B', 0, 10), '0+2+2', 6),
          kvt(W('B', 5, 15), '0+2', 6),
          kvt(W('D', 0, 10), '0+4+4', 7),
          kvt(W('D', 5, 15), '0+4', 7),
          kvt(W('B', 0, 10), '0+2+2+2', 8),
          kvt(W('B', 5, 15), '0+2+2', 8),
          kvt(W('C', 0, 10), '0+3+3', 9),
          kvt(W('C', 5, 15), '0+3', 9),
          kvt(W('A', 5, 15), '0+1+1', 10),
          kvt(W('A', 10, 20), '0+1', 10),
          kvt(W('B', 5, 15), '0+2+2+2', 11),
          kvt(W('B', 10, 20), '0+2', 11),
          kvt(W('D', 5, 15), '0+4+4', 12),
          kvt(W('D', 10, 20), '0+4', 12),
          kvt(W('B', 5, 15), '0+2+2+2+2', 13),
          kvt(W('B', 10, 20), '0+2+2', 13),
          kvt(W('C', 5, 15), '0+3+3', 14),
          kvt(W('C', 10, 20), '0+3', 14),
          kvt(W('B', 0, 10), '0+2+2+2+1', 8),
          kvt(W('B', 0, 10), '0+2+2+2+1+2', 8),
          kvt(W('B', 0, 10), '0+2+2+2+1+2+3', 9),
          kvt(W('B', 5, 15), '0+2+2+2+2+3', 13),
        );
    }
  });

  javaTest('testJoin', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      const grace = strategy === 'close' ? 5 : 100;
      const windows = TimeWindows.ofSizeAndGrace(10, grace).advanceBy(5);
      const table1 = aggregatedTable(builder, 'topic1', windows, strategy);
      const table2 = aggregatedTable(builder, 'topic2', windows, strategy);
      const [p1, p2, p3] = [0, 1, 2].map(() => new Captured<Windowed<string>, string | null>());
      table1.toStream().process(p1!.supplier);
      table2.toStream().process(p2!.supplier);
      (table1 as KTable<Windowed<string>, string>)
        .join(table2, (v1, v2) => `${v1}%${v2}`)
        .toStream()
        .process(p3!.supplier);
      const driver = await start(builder.build());
      const topic1 = driver.createInputTopic<string, string>('topic1');
      const topic2 = driver.createInputTopic<string, string>('topic2');
      const pipe = (topic: TestInputTopic<string, string>, records: [string, string, number][]) => {
        for (const [key, value, timestamp] of records) topic.pipeInput(key, value, timestamp);
      };
      if (strategy === 'close') {
        pipe(topic1, [
          ['A', '1', 0],
          ['B', '2', 1],
          ['C', '3', 2],
          ['D', '4', 3],
          ['A', '1', 9],
          ['A', '1', 15],
        ]);
        p1!.check(
          kvt(W('A', 0, 10), '0+1+1', 9),
          kvt(W('B', 0, 10), '0+2', 1),
          kvt(W('C', 0, 10), '0+3', 2),
          kvt(W('D', 0, 10), '0+4', 3),
        );
        p2!.check();
        p3!.check();
        pipe(topic1, [
          ['A', '1', 10],
          ['B', '2', 11],
          ['D', '4', 12],
          ['B', '2', 13],
          ['C', '3', 14],
          ['A', '1', 20],
        ]);
        p1!.check(
          kvt(W('A', 5, 15), '0+1+1', 10),
          kvt(W('B', 5, 15), '0+2+2', 13),
          kvt(W('C', 5, 15), '0+3', 14),
          kvt(W('D', 5, 15), '0+4', 12),
        );
        p2!.check();
        p3!.check();
        pipe(topic2, [
          ['A', 'a', 0],
          ['B', 'b', 1],
          ['C', 'c', 2],
          ['D', 'd', 10],
          ['A', 'a', 15],
        ]);
        p1!.check();
        p3!.check();
        pipe(topic2, [
          ['A', 'a', 5],
          ['B', 'b', 6],
          ['D', 'd', 7],
          ['D', 'd', 18],
          ['A', 'a', 21],
        ]);
        p1!.check();
        p2!.check(
          kvt(W('A', 0, 10), '0+a', 0),
          kvt(W('B', 0, 10), '0+b', 1),
          kvt(W('C', 0, 10), '0+c', 2),
          kvt(W('A', 5, 15), '0+a', 5),
          kvt(W('B', 5, 15), '0+b', 6),
          kvt(W('D', 5, 15), '0+d+d', 10),
        );
        p3!.check(
          kvt(W('A', 5, 15), '0+1+1%0+a', 10),
          kvt(W('B', 5, 15), '0+2+2%0+b', 13),
          kvt(W('D', 5, 15), '0+4%0+d+d', 12),
        );
      } else {
        pipe(topic1, [
          ['A', '1', 0],
          ['B', '2', 1],
          ['C', '3', 2],
          ['D', '4', 3],
          ['A', '1', 9],
        ]);
        p1!.check(
          kvt(W('A', 0, 10), '0+1', 0),
          kvt(W('B', 0, 10), '0+2', 1),
          kvt(W('C', 0, 10), '0+3', 2),
          kvt(W('D', 0, 10), '0+4', 3),
          kvt(W('A', 0, 10), '0+1+1', 9),
          kvt(W('A', 5, 15), '0+1', 9),
        );
        p2!.check();
        p3!.check();
        pipe(topic1, [
          ['A', '1', 5],
          ['B', '2', 6],
          ['D', '4', 7],
          ['B', '2', 8],
          ['C', '3', 9],
        ]);
        p1!.check(
          kvt(W('A', 0, 10), '0+1+1+1', 9),
          kvt(W('A', 5, 15), '0+1+1', 9),
          kvt(W('B', 0, 10), '0+2+2', 6),
          kvt(W('B', 5, 15), '0+2', 6),
          kvt(W('D', 0, 10), '0+4+4', 7),
          kvt(W('D', 5, 15), '0+4', 7),
          kvt(W('B', 0, 10), '0+2+2+2', 8),
          kvt(W('B', 5, 15), '0+2+2', 8),
          kvt(W('C', 0, 10), '0+3+3', 9),
          kvt(W('C', 5, 15), '0+3', 9),
        );
        p2!.check();
        p3!.check();
        pipe(topic2, [
          ['A', 'a', 0],
          ['B', 'b', 1],
          ['C', 'c', 2],
          ['D', 'd', 20],
          ['A', 'a', 20],
        ]);
        p1!.check();
        p2!.check(
          kvt(W('A', 0, 10), '0+a', 0),
          kvt(W('B', 0, 10), '0+b', 1),
          kvt(W('C', 0, 10), '0+c', 2),
          kvt(W('D', 15, 25), '0+d', 20),
          kvt(W('D', 20, 30), '0+d', 20),
          kvt(W('A', 15, 25), '0+a', 20),
          kvt(W('A', 20, 30), '0+a', 20),
        );
        p3!.check(
          kvt(W('A', 0, 10), '0+1+1+1%0+a', 9),
          kvt(W('B', 0, 10), '0+2+2+2%0+b', 8),
          kvt(W('C', 0, 10), '0+3+3%0+c', 9),
        );
        pipe(topic2, [
          ['A', 'a', 5],
          ['B', 'b', 6],
          ['D', 'd', 7],
          ['D', 'd', 18],
          ['A', 'a', 21],
        ]);
        p1!.check();
        p2!.check(
          kvt(W('A', 0, 10), '0+a+a', 5),
          kvt(W('A', 5, 15), '0+a', 5),
          kvt(W('B', 0, 10), '0+b+b', 6),
          kvt(W('B', 5, 15), '0+b', 6),
          kvt(W('D', 0, 10), '0+d', 7),
          kvt(W('D', 5, 15), '0+d', 7),
          kvt(W('D', 10, 20), '0+d', 18),
          kvt(W('D', 15, 25), '0+d+d', 20),
          kvt(W('A', 15, 25), '0+a+a', 21),
          kvt(W('A', 20, 30), '0+a+a', 21),
        );
        p3!.check(
          kvt(W('A', 0, 10), '0+1+1+1%0+a+a', 9),
          kvt(W('A', 5, 15), '0+1+1%0+a', 9),
          kvt(W('B', 0, 10), '0+2+2+2%0+b+b', 8),
          kvt(W('B', 5, 15), '0+2+2%0+b', 8),
          kvt(W('D', 0, 10), '0+4+4%0+d', 7),
          kvt(W('D', 5, 15), '0+4%0+d', 7),
        );
      }
    }
  });

  javaTest('shouldLogAndMeterWhenSkippingNullKey', async () => {
    for (const strategy of STRATEGIES) {
      const builder = new StreamsBuilder();
      aggregatedTable(builder, 'topic', TimeWindows.ofSizeWithNoGrace(10).advanceBy(5), strategy);
      const driver = await start(builder.build());
      driver.createInputTopic<string, string>('topic').pipeInput(null, '1');
      expect(driver.droppedRecords()).toEqual(new Map([['null-key', 1]]));
    }
  });

  /** The windowed aggregate written out with `key.toString()`-like keys: `[k@start/end]`. */
  async function expiringWindows(windows: TimeWindows, strategy: Strategy, retentionMs?: number) {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('topic', strings)
      .groupByKey()
      .windowedBy(windows)
      .emitStrategy(strategyOf(strategy))
      .aggregate(
        () => '',
        (_key, value, aggregate) => `${aggregate}+${value}`,
        {
          storeName: 'topic1-Canonicalized',
          valueSerde: Serdes.String(),
          logging: false,
          retentionMs,
        },
      )
      .toStream()
      .map((key, value) => ({ key: `[${key.key}@${key.window.start}/${key.window.end}]`, value }))
      .to('output', strings);
    const driver = await start(builder.build());
    const output = () =>
      driver
        .createOutputTopic<string, string>('output')
        .readRecordsToList()
        .map(({ key, value, timestamp }) => kvt(key, value, timestamp));
    return { driver, input: driver.createInputTopic<string, string>('topic'), output };
  }

  // The Java tests also check the lateness metrics (record lateness); Tributary counts the dropped records.
  javaTest('shouldLogAndMeterWhenSkippingExpiredWindow', async () => {
    for (const strategy of STRATEGIES) {
      const { driver, input, output } = await expiringWindows(
        TimeWindows.ofSizeAndGrace(10, 90).advanceBy(5),
        strategy,
        100,
      );
      for (const [value, timestamp] of [
        ['100', 100],
        ['0', 0],
        ['1', 1],
        ['2', 2],
        ['3', 3],
        ['4', 4],
        ['5', 5],
        ['6', 6],
        ['105', 105],
        ['106', 106],
      ] as const)
        input.pipeInput('k', value, timestamp);
      expect(driver.droppedRecords()).toEqual(new Map([['expired-window', 7]]));
      expect(output()).toEqual(
        strategy === 'close'
          ? [kvt('[k@5/15]', '+5+6', 6)]
          : [
              kvt('[k@95/105]', '+100', 100),
              kvt('[k@100/110]', '+100', 100),
              kvt('[k@5/15]', '+5', 5),
              kvt('[k@5/15]', '+5+6', 6),
              kvt('[k@100/110]', '+100+105', 105),
              kvt('[k@105/115]', '+105', 105),
              kvt('[k@100/110]', '+100+105+106', 106),
              kvt('[k@105/115]', '+105+106', 106),
            ],
      );
    }
  });

  javaTest('shouldLogAndMeterWhenSkippingExpiredWindowByGrace', async () => {
    for (const strategy of STRATEGIES) {
      const { driver, input, output } = await expiringWindows(
        TimeWindows.ofSizeAndGrace(10, 90).advanceBy(10),
        strategy,
      );
      for (const [value, timestamp] of [
        ['100', 200],
        ['0', 100],
        ['1', 101],
        ['2', 102],
        ['3', 103],
        ['4', 104],
        ['5', 105],
        ['6', 6],
      ] as const)
        input.pipeInput('k', value, timestamp);
      expect(driver.droppedRecords()).toEqual(new Map([['expired-window', 7]]));
      expect(output()).toEqual(strategy === 'close' ? [] : [kvt('[k@200/210]', '+100', 200)]);
    }
  });

  /**
   * The Java tests drive the aggregation processor over a window store keeping a day; here the same
   * records go through a topology whose table's changes are captured.
   */
  async function processorCase(strategy: Strategy, stateDir?: string) {
    const builder = new StreamsBuilder();
    const table = builder
      .stream<string, string>('input', strings)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 5).advanceBy(5))
      .emitStrategy(strategyOf(strategy))
      .aggregate(stringInit, toStringAdder, {
        storeName: 'dummy-store-name',
        retentionMs: 24 * 60 * 60 * 1000,
      });
    const forwarded = new Captured<Windowed<string>, Change<string>>();
    captureChanges(table, forwarded);
    const driver = stateDir
      ? await TopologyTestDriver.create(builder.build(), { stateDir })
      : await start(builder.build());
    const input = driver.createInputTopic<string, string>('input');
    const process = (key: string, value: string, timestamp: number) => input.pipeInput(key, value, timestamp);
    return { driver, process, forwarded };
  }

  const final = (key: string, start: number, value: string, timestamp: number): Kvt =>
    kvt(W(key, start, start + 10), change(value, null), timestamp);

  javaTest('shouldNotEmitFinalIfNotProgressEnough', async () => {
    for (const strategy of STRATEGIES) {
      const { process, forwarded } = await processorCase(strategy);
      process('A', '1', 0);
      process('B', '2', 5);
      process('C', '3', 15);
      forwarded.check(
        ...(strategy === 'close'
          ? [final('A', 0, '0+1', 0), final('B', 0, '0+2', 5)]
          : [
              final('A', 0, '0+1', 0),
              final('B', 0, '0+2', 5),
              final('B', 5, '0+2', 5),
              final('C', 10, '0+3', 15),
              final('C', 15, '0+3', 15),
            ]),
      );
      process('D', '4', 15);
      // Stream time has not moved: nothing has closed since.
      forwarded.check(
        ...(strategy === 'close' ? [] : [final('D', 10, '0+4', 15), final('D', 15, '0+4', 15)]),
      );
      process('E', '5', 19);
      // Stream time moved, but not past the end of another window.
      forwarded.check(
        ...(strategy === 'close' ? [] : [final('E', 10, '0+5', 19), final('E', 15, '0+5', 19)]),
      );
    }
  });

  javaTest('shouldEmitWithInterval0', async () => {
    for (const strategy of STRATEGIES) {
      const { process, forwarded } = await processorCase(strategy);
      process('A', '1', 0);
      process('A', '1', 5);
      process('B', '2', 10);
      process('C', '3', 15);
      process('D', '4', 20);
      forwarded.check(
        ...(strategy === 'close'
          ? [final('A', 0, '0+1+1', 5), final('A', 5, '0+1', 5), final('B', 5, '0+2', 10)]
          : [
              final('A', 0, '0+1', 0),
              final('A', 0, '0+1+1', 5),
              final('A', 5, '0+1', 5),
              final('B', 5, '0+2', 10),
              final('B', 10, '0+2', 10),
              final('C', 10, '0+3', 15),
              final('C', 15, '0+3', 15),
              final('D', 15, '0+4', 20),
              final('D', 20, '0+4', 20),
            ]),
      );
    }
  });

  notApplicable(
    'shouldEmitWithLargeInterval',
    'checks the wall-clock throttle of final results (emit.interval.ms.kstreams.windowed.aggregation); Tributary looks for closed windows on every record, as Kafka Streams does with the interval at 0 (its TopologyTestDriver default)',
  );

  // The Java test starts a second processor over the same store and context; here the application is
  // restarted on the same state directory, and the second run goes on from where the first emitted.
  javaTest('shouldEmitFromLastEmitTime', async () => {
    for (const strategy of STRATEGIES) {
      const stateDir = await mkdtemp(join(tmpdir(), 'tributary-emit-final-'));
      try {
        const first = await processorCase(strategy, stateDir);
        first.process('A', '1', 0);
        first.process('B', '2', 5);
        first.process('C', '3', 15);
        first.forwarded.check(
          ...(strategy === 'close'
            ? [final('A', 0, '0+1', 0), final('B', 0, '0+2', 5)]
            : [
                final('A', 0, '0+1', 0),
                final('B', 0, '0+2', 5),
                final('B', 5, '0+2', 5),
                final('C', 10, '0+3', 15),
                final('C', 15, '0+3', 15),
              ]),
        );
        await first.driver.close();
        const second = await processorCase(strategy, stateDir);
        second.process('D', '4', 25);
        second.forwarded.check(
          ...(strategy === 'close'
            ? [final('B', 5, '0+2', 5), final('C', 10, '0+3', 15)]
            : [final('D', 20, '0+4', 25), final('D', 25, '0+4', 25)]),
        );
        await second.driver.close();
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    }
  });

  notApplicable(
    'showThrowIfEmitFinalUsedWithUnlimitedWindow',
    'Tributary has no UnlimitedWindows (a window that never closes)',
  );
});
