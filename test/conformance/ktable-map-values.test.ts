// Kafka Streams' KTableMapValuesTest, transcribed: mapping a table's values, materialized or not, and
// when the result sends old values.
import { describe, expect } from 'vitest';
import { Serdes, StreamsBuilder, type KTable } from 'tributary';
import { Captured, captureChanges, change, driverPerTest, javaTest, kvt } from './support/conformance.ts';
import type { Change } from '../../src/processor/change.ts';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const digit = (value: string) => value.charCodeAt(0) - 48;

describe('KTableMapValuesTest', () => {
  const start = driverPerTest();

  async function doTestKTable(builder: StreamsBuilder, processor: Captured<string, number | null>) {
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic1');
    input.pipeInput('A', '1', 5);
    input.pipeInput('B', '2', 25);
    input.pipeInput('C', '3', 20);
    input.pipeInput('D', '4', 10);
    processor.check(kvt('A', 1, 5), kvt('B', 2, 25), kvt('C', 3, 20), kvt('D', 4, 10));
  }

  javaTest('testKTable', async () => {
    const builder = new StreamsBuilder();
    const processor = new Captured<string, number | null>();
    builder.table<string, string>('topic1', strings).mapValues(digit).toStream().process(processor.supplier);
    await doTestKTable(builder, processor);
  });

  javaTest('testQueryableKTable', async () => {
    const builder = new StreamsBuilder();
    const processor = new Captured<string, number | null>();
    builder
      .table<string, string>('topic1', strings)
      .mapValues(digit, { storeName: 'anyName', valueSerde: Serdes.Int() })
      .toStream()
      .process(processor.supplier);
    await doTestKTable(builder, processor);
  });

  // The Java test reads the two materialized tables through their value getters, which read their stores.
  javaTest('testQueryableValueGetter', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, string>('topic1', strings);
    const table2 = table1.mapValues((s) => Number(s), { storeName: 'store2', valueSerde: Serdes.Int() });
    const table3 = table1.mapValues((s) => Number(s) * -1, { storeName: 'store3', valueSerde: Serdes.Int() });
    const table4 = table1.mapValues((s) => Number(s));
    expect([table2, table3, table4].map((t) => t.queryableStoreName)).toEqual([
      'store2',
      'store3',
      undefined,
    ]);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic1');
    const getter2 = driver.getTimestampedKeyValueStore<string, number>('store2');
    const getter3 = driver.getTimestampedKeyValueStore<string, number>('store3');
    const at = (value: number, timestamp: number) => ({ value, timestamp });
    const read = () => [
      ['A', 'B', 'C'].map((k) => getter2.get(k)),
      ['A', 'B', 'C'].map((k) => getter3.get(k)),
    ];
    input.pipeInput('A', '01', 50);
    input.pipeInput('B', '01', 10);
    input.pipeInput('C', '01', 30);
    expect(read()).toEqual([
      [at(1, 50), at(1, 10), at(1, 30)],
      [at(-1, 50), at(-1, 10), at(-1, 30)],
    ]);
    input.pipeInput('A', '02', 25);
    input.pipeInput('B', '02', 20);
    expect(read()).toEqual([
      [at(2, 25), at(2, 20), at(1, 30)],
      [at(-2, 25), at(-2, 20), at(-1, 30)],
    ]);
    input.pipeInput('A', '03', 35);
    expect(read()).toEqual([
      [at(3, 35), at(2, 20), at(1, 30)],
      [at(-3, 35), at(-2, 20), at(-1, 30)],
    ]);
    input.pipeInput('A', null, 1);
    expect(read()).toEqual([
      [undefined, at(2, 20), at(1, 30)],
      [undefined, at(-2, 20), at(-1, 30)],
    ]);
  });

  javaTest('testNotSendingOldValue', async () => {
    const builder = new StreamsBuilder();
    const table2 = builder.table<string, string>('topic1', strings).mapValues((s) => Number(s));
    const proc = new Captured<string, Change<number>>();
    captureChanges(table2, proc);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic1');
    input.pipeInput('A', '01', 5);
    input.pipeInput('B', '01', 10);
    input.pipeInput('C', '01', 15);
    proc.check(kvt('A', change(1, null), 5), kvt('B', change(1, null), 10), kvt('C', change(1, null), 15));
    input.pipeInput('A', '02', 10);
    input.pipeInput('B', '02', 8);
    proc.check(kvt('A', change(2, null), 10), kvt('B', change(2, null), 8));
    input.pipeInput('A', '03', 20);
    proc.check(kvt('A', change(3, null), 20));
    input.pipeInput('A', null, 30);
    proc.check(kvt('A', change(null, null), 30));
  });

  /** The Java `testSendingOldValues`: the mapped table asked for old values. */
  async function testSendingOldValues(builder: StreamsBuilder, table2: KTable<string, number>) {
    const proc = new Captured<string, Change<number>>();
    captureChanges(table2, proc, { oldValues: 'forced' });
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic1');
    input.pipeInput('A', '01', 5);
    input.pipeInput('B', '01', 10);
    input.pipeInput('C', '01', 15);
    proc.check(kvt('A', change(1, null), 5), kvt('B', change(1, null), 10), kvt('C', change(1, null), 15));
    input.pipeInput('A', '02', 10);
    input.pipeInput('B', '02', 8);
    proc.check(kvt('A', change(2, 1), 10), kvt('B', change(2, 1), 8));
    input.pipeInput('A', '03', 20);
    proc.check(kvt('A', change(3, 2), 20));
    input.pipeInput('A', null, 30);
    proc.check(kvt('A', change(null, 3), 30));
  }

  javaTest('shouldEnableSendingOldValuesOnParentIfMapValuesNotMaterialized', async () => {
    const builder = new StreamsBuilder();
    await testSendingOldValues(
      builder,
      builder.table<string, string>('topic1', strings).mapValues((s) => Number(s)),
    );
  });

  javaTest('shouldNotEnableSendingOldValuesOnParentIfMapValuesMaterialized', async () => {
    const builder = new StreamsBuilder();
    await testSendingOldValues(
      builder,
      builder
        .table<string, string>('topic1', strings)
        .mapValues((s) => Number(s), { storeName: 'bob', valueSerde: Serdes.Int() }),
    );
  });
});
