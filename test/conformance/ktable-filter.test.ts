// Kafka Streams' KTableFilterTest, transcribed: table filters, their deletes, their stores and when they
// send old values. As in the Java test, the record cache is off.
import { describe, expect } from 'vitest';
import { Serdes, StreamsBuilder, type KTable, type Materialized, type Topology } from 'tributary';
import { Captured, captureChanges, change, driverPerTest, javaTest, kvt } from './support/conformance.ts';
import type { Change } from '../../src/processor/change.ts';

const consumed = { keySerde: Serdes.String(), valueSerde: Serdes.Int() };
const even = (_key: string, value: number) => value % 2 === 0;

describe('KTableFilterTest', () => {
  const startDriver = driverPerTest();
  // The Java test turns the record cache off at the config level (statestore.cache.max.bytes=0).
  const start = (topology: Topology) => startDriver(topology, { recordCacheMaxBytes: 0 });

  /** The Java `doTestKTable`: a filter and a filterNot of the same table, written out as streams. */
  async function doTestKTable(
    builder: StreamsBuilder,
    table2: KTable<string, number>,
    table3: KTable<string, number>,
  ) {
    const filtered = new Captured<string, number | null>();
    const rejected = new Captured<string, number | null>();
    table2.toStream().process(filtered.supplier);
    table3.toStream().process(rejected.supplier);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, number>('topic1');
    input.pipeInput('A', 1, 10);
    input.pipeInput('B', 2, 5);
    input.pipeInput('C', 3, 8);
    input.pipeInput('D', 4, 14);
    input.pipeInput('A', null, 18);
    input.pipeInput('B', null, 15);
    filtered.check(
      kvt('A', null, 10),
      kvt('B', 2, 5),
      kvt('C', null, 8),
      kvt('D', 4, 14),
      kvt('A', null, 18),
      kvt('B', null, 15),
    );
    rejected.check(
      kvt('A', 1, 10),
      kvt('B', null, 5),
      kvt('C', 3, 8),
      kvt('D', null, 14),
      kvt('A', null, 18),
      kvt('B', null, 15),
    );
  }

  javaTest('shouldPassThroughWithoutMaterialization', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', consumed);
    const table2 = table1.filter(even);
    const table3 = table1.filterNot(even);
    expect([table1, table2, table3].map((t) => t.queryableStoreName)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    await doTestKTable(builder, table2, table3);
  });

  javaTest('shouldPassThroughOnMaterialization', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', consumed);
    const table2 = table1.filter(even, { storeName: 'store2' });
    const table3 = table1.filterNot(even);
    expect([table1, table2, table3].map((t) => t.queryableStoreName)).toEqual([
      undefined,
      'store2',
      undefined,
    ]);
    await doTestKTable(builder, table2, table3);
  });

  // The Java test reads the filters' values through their value getters; a materialized filter's getter
  // reads its store, which is what is read here.
  javaTest('shouldGetValuesOnMaterialization', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', consumed);
    const table2 = table1.filter(even, { storeName: 'store2' });
    const table3 = table1.filterNot(even, { storeName: 'store3' });
    const table4 = table1.filterNot(even);
    expect([table1, table2, table3, table4].map((t) => t.queryableStoreName)).toEqual([
      undefined,
      'store2',
      'store3',
      undefined,
    ]);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, number>('topic1');
    const getter2 = driver.getTimestampedKeyValueStore<string, number>('store2');
    const getter3 = driver.getTimestampedKeyValueStore<string, number>('store3');
    const at = (value: number, timestamp: number) => ({ value, timestamp });
    input.pipeInput('A', 1, 5);
    input.pipeInput('B', 1, 10);
    input.pipeInput('C', 1, 15);
    expect(['A', 'B', 'C'].map((k) => getter2.get(k))).toEqual([undefined, undefined, undefined]);
    expect(['A', 'B', 'C'].map((k) => getter3.get(k))).toEqual([at(1, 5), at(1, 10), at(1, 15)]);
    input.pipeInput('A', 2, 10);
    input.pipeInput('B', 2, 5);
    expect(['A', 'B', 'C'].map((k) => getter2.get(k))).toEqual([at(2, 10), at(2, 5), undefined]);
    expect(['A', 'B', 'C'].map((k) => getter3.get(k))).toEqual([undefined, undefined, at(1, 15)]);
    input.pipeInput('A', 3, 15);
    expect(['A', 'B', 'C'].map((k) => getter2.get(k))).toEqual([undefined, at(2, 5), undefined]);
    expect(['A', 'B', 'C'].map((k) => getter3.get(k))).toEqual([at(3, 15), undefined, at(1, 15)]);
    input.pipeInput('A', null, 10);
    input.pipeInput('B', null, 20);
    expect(['A', 'B', 'C'].map((k) => getter2.get(k))).toEqual([undefined, undefined, undefined]);
    expect(['A', 'B', 'C'].map((k) => getter3.get(k))).toEqual([undefined, undefined, at(1, 15)]);
  });

  /** The Java `doTestNotSendingOldValue`: the source's and the filter's changes, without old values. */
  async function doTestNotSendingOldValue(
    builder: StreamsBuilder,
    table1: KTable<string, number>,
    table2: KTable<string, number>,
    table2OldValues?: 'if materialized',
  ) {
    const source = new Captured<string, Change<number>>();
    const filtered = new Captured<string, Change<number>>();
    captureChanges(table1, source);
    captureChanges(table2, filtered, table2OldValues ? { oldValues: table2OldValues } : {});
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, number>('topic1');
    input.pipeInput('A', 1, 5);
    input.pipeInput('B', 1, 10);
    input.pipeInput('C', 1, 15);
    source.check(kvt('A', change(1, null), 5), kvt('B', change(1, null), 10), kvt('C', change(1, null), 15));
    filtered.check(
      kvt('A', change(null, null), 5),
      kvt('B', change(null, null), 10),
      kvt('C', change(null, null), 15),
    );
    input.pipeInput('A', 2, 15);
    input.pipeInput('B', 2, 8);
    source.check(kvt('A', change(2, null), 15), kvt('B', change(2, null), 8));
    filtered.check(kvt('A', change(2, null), 15), kvt('B', change(2, null), 8));
    input.pipeInput('A', 3, 20);
    source.check(kvt('A', change(3, null), 20));
    filtered.check(kvt('A', change(null, null), 20));
    input.pipeInput('A', null, 10);
    input.pipeInput('B', null, 20);
    source.check(kvt('A', change(null, null), 10), kvt('B', change(null, null), 20));
    filtered.check(kvt('A', change(null, null), 10), kvt('B', change(null, null), 20));
  }

  javaTest('shouldNotSendOldValuesWithoutMaterialization', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', consumed);
    await doTestNotSendingOldValue(builder, table1, table1.filter(even));
  });

  javaTest('shouldNotSendOldValuesOnMaterialization', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', consumed);
    await doTestNotSendingOldValue(builder, table1, table1.filter(even, { storeName: 'store2' }));
  });

  javaTest('shouldNotEnableSendingOldValuesIfNotAlreadyMaterializedAndNotForcedToMaterialize', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', consumed);
    await doTestNotSendingOldValue(builder, table1, table1.filter(even), 'if materialized');
  });

  /** The Java `doTestSendingOldValue`; `parentSendsOldValues` is what the source ends up doing. */
  async function doTestSendingOldValue(
    builder: StreamsBuilder,
    table1: KTable<string, number>,
    table2: KTable<string, number>,
    table2OldValues: 'forced' | 'if materialized',
    parentSendsOldValues: boolean,
  ) {
    const source = new Captured<string, Change<number>>();
    const filtered = new Captured<string, Change<number>>();
    captureChanges(table1, source);
    captureChanges(table2, filtered, { oldValues: table2OldValues });
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, number>('topic1');
    const old = (value: number) => (parentSendsOldValues ? value : null);
    input.pipeInput('A', 1, 5);
    input.pipeInput('B', 1, 10);
    input.pipeInput('C', 1, 15);
    source.check(kvt('A', change(1, null), 5), kvt('B', change(1, null), 10), kvt('C', change(1, null), 15));
    filtered.check();
    input.pipeInput('A', 2, 15);
    input.pipeInput('B', 2, 8);
    source.check(kvt('A', change(2, old(1)), 15), kvt('B', change(2, old(1)), 8));
    filtered.check(kvt('A', change(2, null), 15), kvt('B', change(2, null), 8));
    input.pipeInput('A', 3, 20);
    source.check(kvt('A', change(3, old(2)), 20));
    filtered.check(kvt('A', change(null, 2), 20));
    input.pipeInput('A', null, 10);
    input.pipeInput('B', null, 20);
    source.check(kvt('A', change(null, old(3)), 10), kvt('B', change(null, old(2)), 20));
    filtered.check(kvt('B', change(null, 2), 20));
  }

  javaTest('shouldEnableSendOldValuesWhenNotMaterializedAlreadyButForcedToMaterialize', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', consumed);
    await doTestSendingOldValue(builder, table1, table1.filter(even), 'forced', true);
  });

  javaTest('shouldEnableSendOldValuesWhenMaterializedAlreadyAndForcedToMaterialize', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', consumed);
    await doTestSendingOldValue(
      builder,
      table1,
      table1.filter(even, { storeName: 'store2' }),
      'forced',
      false,
    );
  });

  javaTest('shouldSendOldValuesWhenEnabledOnUpStreamMaterialization', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', { ...consumed, storeName: 'store2' });
    await doTestSendingOldValue(builder, table1, table1.filter(even), 'if materialized', true);
  });

  /**
   * The Java `doTestSkipNullOnMaterialization`: a filter rejecting everything, re-grouped. Reading old
   * values, the filter holds back the changes that leave nothing, unless it reads a versioned table.
   */
  async function doTestSkipNullOnMaterialization(
    options: {
      source?: Materialized<string, string>;
      filter?: Materialized<string, string>;
      result?: Materialized<string, string>;
    },
    shouldSkip: boolean,
  ) {
    const builder = new StreamsBuilder();
    const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
    const table1 = builder.table<string, string>('topic1', { ...strings, ...options.source });
    const accept = (_key: string, value: string) => value.toLowerCase() === 'accept';
    const table2 = options.filter ? table1.filter(accept, options.filter) : table1.filter(accept);
    const concat = (a: string, b: string) => a + b;
    const remove = (a: string, b: string) => a.replace(b, '');
    table2.groupBy((key, value) => ({ key, value }), strings).reduce(concat, remove, options.result);
    const source = new Captured<string, Change<string>>();
    const filtered = new Captured<string, Change<string>>();
    captureChanges(table1, source);
    captureChanges(table2, filtered);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic1');
    input.pipeInput('A', 'reject', 5);
    input.pipeInput('B', 'reject', 10);
    input.pipeInput('C', 'reject', 20);
    source.check(
      kvt('A', change('reject', null), 5),
      kvt('B', change('reject', null), 10),
      kvt('C', change('reject', null), 20),
    );
    if (shouldSkip) filtered.check();
    else
      filtered.check(
        kvt('A', change(null, null), 5),
        kvt('B', change(null, null), 10),
        kvt('C', change(null, null), 20),
      );
  }

  javaTest('shouldSkipNullToRepartitionWithoutMaterialization', async () => {
    await doTestSkipNullOnMaterialization({}, true);
  });

  javaTest('shouldSkipNullToRepartitionOnMaterialization', async () => {
    await doTestSkipNullOnMaterialization(
      { filter: { storeName: 'store2' }, result: { storeName: 'mock-result' } },
      true,
    );
  });

  const versioned = { storeName: 'versioned', versioned: { historyRetentionMs: 5 * 60 * 1000 } };

  javaTest('shouldNotSkipNullIfVersionedUpstream', async () => {
    await doTestSkipNullOnMaterialization({ source: versioned }, false);
  });

  javaTest('shouldSkipNullIfVersionedDownstream', async () => {
    await doTestSkipNullOnMaterialization({ source: { storeName: 'store' }, filter: versioned }, true);
  });

  // Java checks that a predicate over supertypes is accepted; the TypeScript compiler checks the same.
  javaTest('testTypeVariance', () => {
    const numberKeyPredicate = (_key: number, _value: unknown) => false;
    const builder = new StreamsBuilder();
    builder
      .table<number, string>('empty')
      .filter(numberKeyPredicate)
      .filterNot(numberKeyPredicate)
      .toStream()
      .to('nirvana');
    expect(() => builder.build()).not.toThrow();
  });
});
