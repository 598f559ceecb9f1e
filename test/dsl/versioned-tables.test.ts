// Versioned tables (KIP-914): tables materialized in versioned stores, the operators that read them, and
// stream-table joins with a grace period. Kafka Streams' own cases are in test/conformance/.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  SessionWindows,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  topologyFromJson,
  topologyToJson,
  type Topology,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const versioned = (storeName: string) => ({ storeName, versioned: { historyRetentionMs: 60_000 } });
const concat = (left: string, right: string | null) => `${left}+${right}`;

describe('versioned tables', () => {
  let driver: TopologyTestDriver | undefined;
  let directory: string | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
    if (directory) await rm(directory, { recursive: true, force: true });
    directory = undefined;
  });

  const run = async (topology: Topology, stateDir?: string) => {
    driver = await TopologyTestDriver.create(topology, stateDir ? { stateDir } : {});
    return driver;
  };

  it('join a stream record with the table as of its timestamp, without a grace period', async () => {
    const builder = new StreamsBuilder();
    const prices = builder.table<string, string>('prices', { ...strings, ...versioned('prices') });
    builder.stream<string, string>('orders', strings).leftJoin(prices, concat).to('priced', strings);
    const d = await run(builder.build());
    const priceTopic = d.createInputTopic<string, string>('prices');
    const orders = d.createInputTopic<string, string>('orders');
    priceTopic.pipeInput('A', 'p10', 10);
    priceTopic.pipeInput('A', 'p20', 20);
    // An out-of-order price lands in the history, under the newer one.
    priceTopic.pipeInput('A', 'p15', 15);
    orders.pipeInput('A', 'o5', 5);
    orders.pipeInput('A', 'o12', 12);
    orders.pipeInput('A', 'o17', 17);
    orders.pipeInput('A', 'o25', 25);
    expect(d.createOutputTopic('priced', Serdes.String(), Serdes.String()).readValuesToList()).toEqual([
      'o5+null',
      'o12+p10',
      'o17+p15',
      'o25+p20',
    ]);
    expect(d.getVersionedKeyValueStore<string, string>('prices').get('A', 16)).toEqual({
      value: 'p15',
      timestamp: 15,
      validTo: 20,
    });
  });

  it('answer every version of a key in a time range, expired ones left out', async () => {
    const builder = new StreamsBuilder();
    builder.table<string, string>('prices', { ...strings, ...versioned('prices') });
    const d = await run(builder.build());
    const prices = d.createInputTopic<string, string>('prices');
    prices.pipeInput('A', 'p10', 10);
    prices.pipeInput('A', 'p30', 30);
    prices.pipeInput('A', 'p20', 20);
    prices.pipeInput('A', null, 40);
    prices.pipeInput('A', 'p50', 50);
    const store = d.getVersionedKeyValueStore<string, string>('prices');
    expect(store.getVersions('A', { fromTime: 15, toTime: 45 })).toEqual([
      { value: 'p30', timestamp: 30, validTo: 40 },
      { value: 'p20', timestamp: 20, validTo: 30 },
      { value: 'p10', timestamp: 10, validTo: 20 },
    ]);
    expect(store.getVersions('A', { order: 'ascending' }).map((v) => v.value)).toEqual([
      'p10',
      'p20',
      'p30',
      'p50',
    ]);
    expect(store.getVersions('B')).toEqual([]);
    // Another key moves stream time so that the history retention (60 s) reaches back to 30: A's row
    // still holds p10 and p20, but they ended by then and no read returns them.
    prices.pipeInput('B', 'b', 60_030);
    expect(store.getVersions('A').map((v) => v.value)).toEqual(['p50', 'p30']);
    expect(store.get('A', 30)).toEqual({ value: 'p30', timestamp: 30, validTo: 40 });
    expect(store.get('A', 29)).toBeUndefined();
    // A range wholly beyond the retention: only a latest version old enough answers.
    expect(store.getVersions('A', { toTime: 29 })).toEqual([]);
    expect(store.getVersions('B', { toTime: 60_030 })).toEqual([{ value: 'b', timestamp: 60_030 }]);
  });

  it('skip out-of-order updates in table-table joins, counting them as dropped', async () => {
    const builder = new StreamsBuilder();
    const left = builder.table<string, string>('left', { ...strings, ...versioned('left') });
    const right = builder.table<string, string>('right', strings);
    left
      .join(right, (l, r) => `${l}+${r}`)
      .toStream()
      .to('joined', strings);
    const d = await run(builder.build());
    d.createInputTopic<string, string>('right').pipeInput('A', 'r', 1);
    const leftTopic = d.createInputTopic<string, string>('left');
    leftTopic.pipeInput('A', 'l10', 10);
    leftTopic.pipeInput('A', 'l5', 5);
    leftTopic.pipeInput('A', 'l11', 11);
    expect(d.createOutputTopic('joined', Serdes.String(), Serdes.String()).readValuesToList()).toEqual([
      'l10+r',
      'l11+r',
    ]);
    expect([...d.droppedRecords().values()].reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('skip updates older than the history retention altogether', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('prices', {
        ...strings,
        storeName: 'prices',
        versioned: { historyRetentionMs: 10 },
      })
      .toStream()
      .to('changes', strings);
    const d = await run(builder.build());
    const prices = d.createInputTopic<string, string>('prices');
    prices.pipeInput('A', 'new', 100);
    prices.pipeInput('A', 'late', 95);
    prices.pipeInput('A', 'too-late', 80);
    expect(d.createOutputTopic('changes', Serdes.String(), Serdes.String()).readValuesToList()).toEqual([
      'new',
      'late',
    ]);
    expect(d.getVersionedKeyValueStore<string, string>('prices').get('A', 85)).toBeUndefined();
  });

  it('are refused where Kafka Streams refuses them: suppress, global tables, windowed aggregations', () => {
    const suppressed = new StreamsBuilder();
    suppressed
      .table<string, string>('prices', { ...strings, ...versioned('prices') })
      .filter(() => true)
      .suppress(Suppressed.untilTimeLimit(1_000));
    expect(() => suppressed.build()).toThrow('suppress() is only supported for non-versioned tables');

    // InternalStreamsBuilderTest.shouldThrowOnVersionedStoreSupplierForGlobalTable
    const global = new StreamsBuilder();
    global.globalTable<string, string>('prices', { ...strings, ...versioned('prices') });
    expect(() => global.build()).toThrow('GlobalTables cannot be versioned.');

    // Windowed aggregations keep window or session stores, which Kafka Streams cannot version.
    const windowed = new StreamsBuilder();
    windowed
      .stream<string, string>('orders', strings)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(1_000))
      .count(versioned('counts'));
    expect(() => windowed.build()).toThrow(
      'a windowed aggregation keeps its results in a window or session store, which cannot be versioned',
    );
    const sessions = new StreamsBuilder();
    sessions
      .stream<string, string>('orders', strings)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(1_000))
      .count(versioned('counts'));
    expect(() => sessions.build()).toThrow('which cannot be versioned');
  });

  // Kafka Streams lets any table be materialized in a versioned store (its docs, "Using timestamp-based
  // semantics for table processors", advise against it for aggregations and joins, whose results do
  // not form a complete history). The result table is then versioned: KStreamAggregate, KTableAggregate
  // and KTableKTableJoinMerger put into it, forward nothing it refuses (older than the history
  // retention) and mark a row older than the key's latest as not the latest.
  it('materialize an aggregation in a versioned store: stream records join its value as of their timestamp', async () => {
    const builder = new StreamsBuilder();
    const counts = builder
      .stream<string, string>('clicks', strings)
      .groupByKey()
      .count({ storeName: 'counts', keySerde: Serdes.String(), versioned: { historyRetentionMs: 60_000 } });
    counts.toStream().to('counts-out', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
    builder
      .stream<string, string>('views', strings)
      .leftJoin(counts, (view, count) => `${view}:${count}`)
      .to('views-out', strings);
    const d = await run(builder.build());
    const clicks = d.createInputTopic<string, string>('clicks');
    const views = d.createInputTopic<string, string>('views');
    clicks.pipeInput('A', 'c', 10);
    clicks.pipeInput('A', 'c', 20);
    views.pipeInput('A', 'v15', 15);
    views.pipeInput('A', 'v25', 25);
    clicks.pipeInput('B', 'c', 70_000);
    // A new key, older than the history retention (70 000 - 60 000): the store refuses its count, and
    // nothing is forwarded (KStreamAggregate forwards only what its store took).
    clicks.pipeInput('C', 'c', 5_000);
    // Beyond the history retention only the latest count answers, when it is old enough.
    views.pipeInput('A', 'v15-late', 15);
    views.pipeInput('A', 'v9k', 9_000);
    expect(d.createOutputTopic('counts-out', Serdes.String(), Serdes.Long()).readKeyValuesToList()).toEqual([
      { key: 'A', value: 1 },
      { key: 'A', value: 2 },
      { key: 'B', value: 1 },
    ]);
    expect(d.createOutputTopic('views-out', Serdes.String(), Serdes.String()).readValuesToList()).toEqual([
      'v15:1',
      'v25:2',
      'v15-late:null',
      'v9k:2',
    ]);
    const store = d.getVersionedKeyValueStore<string, number>('counts');
    // The first count ended (at 20) before the history retention reaches back to (10 000).
    expect(store.getVersions('A')).toEqual([{ value: 2, timestamp: 20 }]);
    expect(store.get('C')).toBeUndefined();
  });

  it('materialize a table aggregation in a versioned store, its history kept by timestamp', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('owners', strings)
      .groupBy((item, owner) => ({ key: owner, value: item }), strings)
      .count({ storeName: 'items', keySerde: Serdes.String(), versioned: { historyRetentionMs: 60_000 } });
    const d = await run(builder.build());
    const owners = d.createInputTopic<string, string>('owners');
    owners.pipeInput('hat', 'ann', 10);
    owners.pipeInput('cap', 'ann', 20);
    owners.pipeInput('hat', 'bob', 30);
    const store = d.getVersionedKeyValueStore<string, number>('items');
    expect(store.getVersions('ann', { order: 'ascending' })).toEqual([
      { value: 1, timestamp: 10, validTo: 20 },
      { value: 2, timestamp: 20, validTo: 30 },
      { value: 1, timestamp: 30 },
    ]);
    expect(store.get('bob', 29)).toBeUndefined();
    expect(store.get('bob', 30)).toEqual({ value: 1, timestamp: 30 });
  });

  it('materialize a table-table join in a versioned store: an older result goes into the history, forwarded as not the latest', async () => {
    const builder = new StreamsBuilder();
    const left = builder.table<string, string>('left', strings);
    const right = builder.table<string, string>('right', strings);
    const joined = left.join(right, concat, {
      storeName: 'joined',
      ...strings,
      versioned: { historyRetentionMs: 60_000 },
    });
    joined.toStream().to('joined-out', strings);
    // Downstream of the versioned result, a re-grouping leaves out what is not the latest.
    joined
      .groupBy((key, value) => ({ key: 'all', value: `${key}=${value}` }), strings)
      .reduce(
        (aggregate, value) => `${aggregate}|${value}`,
        (aggregate) => aggregate,
        { storeName: 'all-joined', ...strings },
      );
    const d = await run(builder.build());
    d.createInputTopic<string, string>('right').pipeInput('A', 'r10', 10);
    const leftTopic = d.createInputTopic<string, string>('left');
    leftTopic.pipeInput('A', 'l50', 50);
    // The plain left table takes this update; the join's result (timestamp 30) is older than its latest.
    leftTopic.pipeInput('A', 'l30', 30);
    const output = d.createOutputTopic('joined-out', Serdes.String(), Serdes.String()).readRecordsToList();
    expect(output.map((r) => [r.value, r.timestamp])).toEqual([
      ['l50+r10', 50],
      ['l30+r10', 30],
    ]);
    const store = d.getVersionedKeyValueStore<string, string>('joined');
    expect(store.get('A')).toEqual({ value: 'l50+r10', timestamp: 50 });
    expect(store.get('A', 40)).toEqual({ value: 'l30+r10', timestamp: 30, validTo: 50 });
    expect(d.getKeyValueStore<string, string>('all-joined').get('all')).toBe('A=l50+r10');
  });

  it('materialize a foreign-key join in a versioned store', async () => {
    const builder = new StreamsBuilder();
    const customers = builder.table<string, string>('customers', strings);
    builder.table<string, string>('orders', strings).join(customers, (customer) => customer, concat, {
      storeName: 'orders-with-customer',
      ...strings,
      versioned: { historyRetentionMs: 60_000 },
    });
    const d = await run(builder.build());
    d.createInputTopic<string, string>('customers').pipeInput('ann', 'Ann', 5);
    const orders = d.createInputTopic<string, string>('orders');
    orders.pipeInput('o1', 'ann', 10);
    d.createInputTopic<string, string>('customers').pipeInput('ann', 'Ann B.', 20);
    const store = d.getVersionedKeyValueStore<string, string>('orders-with-customer');
    expect(store.getVersions('o1', { order: 'ascending' }).map((v) => [v.value, v.timestamp])).toEqual([
      ['ann+Ann', 10],
      ['ann+Ann B.', 20],
    ]);
  });

  // InternalStreamsBuilderTest.shouldNotSetUseVersionedSemanticsWithIntermediateJoin and
  // shouldSetUseVersionedSemanticsWithIntermediateJoinMaterializedAsVersioned (and their aggregation
  // and foreign-key join variants): the result of a join or aggregation is versioned only when its own
  // store is, whatever its inputs are. suppress() shows it: Kafka Streams refuses it on versioned tables.
  it('make the result of a join or aggregation versioned only when its own store is', () => {
    const build = (materialized: boolean, kind: 'join' | 'fk-join' | 'aggregate') => {
      const builder = new StreamsBuilder();
      const t1 = builder.table<string, string>('t1', { ...strings, ...versioned('versioned') });
      const t2 = builder.table<string, string>('t2', { ...strings, ...versioned('versioned2') });
      const result = { ...strings, ...(materialized ? versioned('versioned3') : {}) };
      const table3 =
        kind === 'join'
          ? t1.join(t2, concat, result)
          : kind === 'fk-join'
            ? t1.join(t2, (v) => v, concat, result)
            : t1
                .groupBy((key, value) => ({ key, value }), strings)
                .reduce(
                  (_aggregate, value) => value,
                  (a) => a,
                  result,
                );
      table3.suppress(Suppressed.untilTimeLimit(1_000));
      return () => builder.build();
    };
    for (const kind of ['join', 'fk-join', 'aggregate'] as const) {
      expect(build(false, kind), kind).not.toThrow();
      expect(build(true, kind), kind).toThrow('suppress() is only supported for non-versioned tables');
    }
  });

  it('refuse a join grace period that is not a non-negative number', () => {
    const builder = new StreamsBuilder();
    const prices = builder.table<string, string>('prices', { ...strings, ...versioned('prices') });
    const orders = builder.stream<string, string>('orders', strings);
    expect(() => orders.join(prices, concat, { gracePeriodMs: -1 })).toThrow(
      'the grace period of a stream-table join must be a non-negative number of ms, got -1',
    );
  });

  /** Orders joined with prices as of their time, waiting 10 ms for late prices. */
  function graceJoin(): StreamsBuilder {
    const builder = new StreamsBuilder();
    const prices = builder.table<string, string>('prices', { ...strings, ...versioned('prices') });
    builder
      .stream<string, string>('orders', strings)
      .join(prices, concat, { gracePeriodMs: 10, name: 'priced' })
      .to('priced', strings);
    return builder;
  }

  it('hold stream records for the grace period, keeping their headers, and release them in timestamp order', async () => {
    const d = await run(graceJoin().build());
    const prices = d.createInputTopic<string, string>('prices');
    const orders = d.createInputTopic<string, string>('orders');
    const priced = d.createOutputTopic('priced', Serdes.String(), Serdes.String());
    prices.pipeInput('A', 'p0', 0);
    prices.pipeInput('B', 'q0', 0);
    orders.pipeInput('B', 'o7', 7, { trace: 'b7' });
    orders.pipeInput('A', 'o5', 5, { trace: 'a5' });
    expect(priced.readRecordsToList()).toEqual([]);
    // A price arriving late, but within the grace period, is seen by the waiting order.
    prices.pipeInput('A', 'p3', 3);
    orders.pipeInput('A', 'o16', 16);
    expect(priced.readRecordsToList().map((r) => [r.key, r.value, r.timestamp, r.headers])).toEqual([
      ['A', 'o5+p3', 5, { trace: 'a5' }],
    ]);
    orders.pipeInput('C', 'o30', 30);
    expect(priced.readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['B', 'o7+q0', 7],
      ['A', 'o16+p3', 16],
    ]);
  });

  it('keep waiting stream records in a store that outlives a restart', async () => {
    directory = await mkdtemp(join(tmpdir(), 'tributary-versioned-'));
    const topology = graceJoin().build();
    let d = await run(topology, directory);
    d.createInputTopic<string, string>('prices').pipeInput('A', 'p0', 0);
    const orders = d.createInputTopic<string, string>('orders');
    orders.pipeInput('A', 'o5', 5);
    orders.pipeInput('A', 'o6', 6);
    await d.close();
    driver = undefined;

    d = await run(topology, directory);
    d.createInputTopic<string, string>('orders').pipeInput('A', 'o20', 20);
    expect(d.createOutputTopic('priced', Serdes.String(), Serdes.String()).readValuesToList()).toEqual([
      'o5+p0',
      'o6+p0',
    ]);
  });

  it('round trip through the topology JSON with their history retention and join grace period', () => {
    const functions = { concat };
    const json = topologyToJson(graceJoin(), { functions });
    const table = json.nodes.find((n) => n.op === 'table-source')!;
    expect(table).toMatchObject({ store: { name: 'prices', historyRetentionMs: 60_000 } });
    expect(json.nodes.find((n) => n.op === 'stream-table-join')).toMatchObject({
      gracePeriodMs: 10,
      bufferStore: { name: 'priced-Buffer' },
    });
    const rebuilt = topologyFromJson(JSON.stringify(json), { functions });
    expect(rebuilt.describe().toString()).toBe(graceJoin().build().describe().toString());
  });
});
