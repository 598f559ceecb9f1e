// Versioned tables (KIP-914): tables materialized in versioned stores, the operators that read them, and
// stream-table joins with a grace period. Kafka Streams' own cases are in test/conformance/.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  StreamsBuilder,
  Suppressed,
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

  it('are refused where Kafka Streams refuses them: suppress, and stores of other operators', () => {
    const suppressed = new StreamsBuilder();
    suppressed
      .table<string, string>('prices', { ...strings, ...versioned('prices') })
      .filter(() => true)
      .suppress(Suppressed.untilTimeLimit(1_000));
    expect(() => suppressed.build()).toThrow('suppress() is only supported for non-versioned tables');

    const aggregated = new StreamsBuilder();
    aggregated.stream<string, string>('orders', strings).groupByKey().count(versioned('counts'));
    expect(() => aggregated.build()).toThrow(
      'a versioned store can materialize a source table, toTable, filter or mapValues',
    );
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
