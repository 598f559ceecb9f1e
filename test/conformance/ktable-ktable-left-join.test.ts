// Kafka Streams' KTableKTableLeftJoinTest, transcribed: left joins of two tables, with and without old
// values sent downstream.
import { describe, expect } from 'vitest';
import { Serdes, StreamsBuilder } from 'tributary';
import { tableJoinKinds, tableJoinProcessor } from '../../src/processor/ops/table-table-join.ts';
import type { ProcessorContext } from '../../src/processor/api.ts';
import { change, driverPerTest, javaTest, toStringJoiner } from './support/conformance.ts';
import { pipeUpdates, records, tableJoinCase } from './support/table-join.ts';

describe('KTableKTableLeftJoinTest', () => {
  const start = driverPerTest();

  javaTest('testJoin', async () => {
    const t = await tableJoinCase(start, 'left');
    expect(t.topology.copartitionGroups).toEqual([['topic1', 'topic2']]);
    pipeUpdates(t, 'left', (flat) => t.output.check(...records(flat, 0, 'no changes')));
  });

  javaTest('testNotSendingOldValue', async () => {
    const t = await tableJoinCase(start, 'left', { capture: 'changes' });
    pipeUpdates(t, 'left', (flat) => t.changes.check(...records(flat, 0, false)));
  });

  javaTest('testSendingOldValue', async () => {
    const t = await tableJoinCase(start, 'left', { capture: 'changes with old values' });
    pipeUpdates(t, 'left', (flat) => t.changes.check(...records(flat, 0, true)));
  });

  // The Java test pipes 1,000 random records into each of seven tables (a chain of left joins over a
  // table aggregate) and checks that nothing fails; here the records come from a seeded generator.
  javaTest('shouldNotThrowIllegalStateExceptionWhenMultiCacheEvictions', async () => {
    const builder = new StreamsBuilder();
    const consumed = (name: string) => ({
      keySerde: Serdes.Long(),
      valueSerde: Serdes.String(),
      storeName: `${name}-base-store`,
      backend: 'memory' as const,
    });
    const inputs = ['agg', 'tableOne', 'tableTwo', 'tableThree', 'tableFour', 'tableFive', 'tableSix'];
    const concat = (a: string, b: string) => a + b;
    const aggTable = builder
      .table<number, string>('agg', consumed('agg'))
      .groupBy((key, value) => ({ key, value }), { keySerde: Serdes.Long(), valueSerde: Serdes.String() })
      .reduce(concat, concat, { storeName: 'agg-store', backend: 'memory' });
    const [one, two, three, four, five, six] = inputs
      .slice(1)
      .map((name) => builder.table<number, string>(name, consumed(name)));
    const upper = (value: string) => value.toUpperCase();
    const seven = one!.mapValues(upper);
    const eight = six!.leftJoin(seven, toStringJoiner);
    aggTable
      .leftJoin(one!, toStringJoiner)
      .leftJoin(two!, toStringJoiner)
      .leftJoin(three!, toStringJoiner)
      .leftJoin(four!, toStringJoiner)
      .leftJoin(five!, toStringJoiner)
      .leftJoin(eight, toStringJoiner)
      .mapValues(upper);
    const driver = await start(builder.build());
    const topics = inputs.map((name) => driver.createInputTopic<number, string>(name));
    const values = ['a', 'AA', 'BBB', 'CCCC', 'DD', 'EEEEEEEE', 'F', 'GGGGGGGGGGGGGGG', 'HHH', 'IIIIIIIIII'];
    let seed = 42;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    expect(() => {
      for (let i = 0; i < 1000; i++)
        for (const topic of topics) topic.pipeInput(next(1000), values[next(values.length)]!);
    }).not.toThrow();
  });

  javaTest('shouldLogAndMeterSkippedRecordsDueToNullLeftKey', () => {
    const dropped: string[] = [];
    const processor = tableJoinProcessor({
      kind: tableJoinKinds('left').left,
      otherGetter: { storeNames: [], get: () => ({ init: () => {}, get: () => undefined }) },
      joiner: toStringJoiner,
      sendOldValues: false,
    })();
    processor.init?.({
      forward: () => {
        throw new Error('nothing may be forwarded');
      },
      recordDropped: (reason: string) => dropped.push(reason),
    } as unknown as ProcessorContext);
    processor.process({ key: null, value: change('new', 'old'), timestamp: 0, headers: {} });
    expect(dropped).toEqual(['null-key']);
  });
});
