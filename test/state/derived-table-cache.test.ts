// The record cache beyond tables and aggregations, as Kafka Streams caches: the named results of
// filter, mapValues and transformValues, materialized table-table join results (named or not), named
// foreign-key join results, source tables a join looks up, and stores added by hand with
// `caching: true`. Between two commits a key's updates reach downstream once; unnamed derived tables,
// unmaterialized joins and `caching: false` forward every update, as before.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  StreamsBuilder,
  Stores,
  type KTable,
  type KeyValueStore,
  type Materialized,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

describe('the record cache of derived tables, joins and stores added by hand', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  /** `derive` applied to the table of `input`, its changes written to `output`; commits only when told. */
  async function derived(derive: (table: KTable<string, string>) => KTable<string, string>) {
    const builder = new StreamsBuilder();
    derive(builder.table<string, string>('input', strings)).toStream().to('output', strings);
    driver = await TopologyTestDriver.create(builder.build(), { commitEachRecord: false });
    const output = driver.createOutputTopic<string, string>('output');
    return {
      input: driver.createInputTopic<string, string>('input'),
      read: () => output.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp })),
    };
  }

  const operations: [
    string,
    (table: KTable<string, string>, m: Materialized<string, string>) => KTable<string, string>,
  ][] = [
    ['filter', (table, m) => table.filter((_key, value) => value !== 'hidden', m)],
    ['mapValues', (table, m) => table.mapValues((value) => value.toUpperCase(), m)],
    [
      'transformValues',
      (table, m) => table.transformValues(() => ({ transform: (_key, value) => value }), m),
    ],
  ];

  describe.each(operations)('%s', (_name, operation) => {
    it('sends a named result once per key and commit, with its latest value and timestamp', async () => {
      const { input, read } = await derived((table) => operation(table, { storeName: 'result' }));
      input.pipeInput('k', 'a', 1);
      input.pipeInput('k', 'b', 2);
      input.pipeInput('j', 'c', 3);
      expect(read()).toEqual([]);
      driver!.commit();
      const value = (v: string) => (_name === 'mapValues' ? v.toUpperCase() : v);
      expect(read()).toEqual([
        { key: 'k', value: value('b'), timestamp: 2 },
        { key: 'j', value: value('c'), timestamp: 3 },
      ]);
      expect(driver!.getKeyValueStore<string, string>('result').get('k')).toBe(value('b'));
    });

    it('forwards every update of an unnamed or uncached result', async () => {
      for (const materialized of [{ valueSerde: Serdes.String() }, { storeName: 'result', caching: false }]) {
        const { input, read } = await derived((table) => operation(table, materialized));
        input.pipeInput('k', 'a', 1);
        input.pipeInput('k', 'b', 2);
        expect(read().map((r) => r.timestamp)).toEqual([1, 2]);
        await driver!.close();
        driver = undefined;
      }
    });
  });

  it('sends a named result with the value of the previous flush as old value, for an aggregation downstream', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('input', strings)
      .mapValues((value) => Number(value), { storeName: 'numbers', valueSerde: Serdes.Long() })
      .groupBy((_key, value) => ({ key: 'all', value }), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Long(),
      })
      .reduce(
        (sum, value) => sum + value,
        (sum, value) => sum - value,
        { storeName: 'sum', valueSerde: Serdes.Long(), caching: false },
      )
      .toStream()
      .to('output', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build(), { commitEachRecord: false });
    const input = driver.createInputTopic<string, string>('input');
    const output = driver.createOutputTopic<string, number>('output', Serdes.String(), Serdes.Long());
    input.pipeInput('k', '1', 1);
    driver.commit();
    expect(output.readValuesToList()).toEqual([1]);
    input.pipeInput('k', '2', 2);
    input.pipeInput('k', '3', 3);
    driver.commit();
    // One change (3, old 1) reached the reduce: it retracted 1 and added 3, never seeing 2.
    expect(output.readValuesToList()).toEqual([3]);
  });

  it('does not send the delete of a row a named filter never let through (the store never had it)', async () => {
    const { input, read } = await derived((table) =>
      table.filter((_key, value) => value !== 'hidden', { storeName: 'result' }),
    );
    input.pipeInput('k', 'hidden', 1);
    input.pipeInput('j', 'shown', 2);
    driver!.commit();
    expect(read()).toEqual([{ key: 'j', value: 'shown', timestamp: 2 }]);
  });

  /** Two tables joined, the result written to `output`; commits only when told. */
  async function joined(materialized: Materialized<string, string> | undefined) {
    const builder = new StreamsBuilder();
    // The joined tables do not cache: the outputs show what the join itself forwards.
    const left = builder.table<string, string>('left', { ...strings, caching: false });
    const right = builder.table<string, string>('right', { ...strings, caching: false });
    left
      .join(right, (l, r) => `${l}+${r}`, materialized)
      .toStream()
      .to('output', strings);
    driver = await TopologyTestDriver.create(builder.build(), { commitEachRecord: false });
    const output = driver.createOutputTopic<string, string>('output');
    return {
      left: driver.createInputTopic<string, string>('left'),
      right: driver.createInputTopic<string, string>('right'),
      read: () => output.readKeyValuesToList(),
    };
  }

  it('sends a materialized table-table join result once per key and commit, named or not', async () => {
    for (const materialized of [{ storeName: 'joined' }, { valueSerde: Serdes.String() }]) {
      const { left, right, read } = await joined(materialized);
      left.pipeInput('k', 'l1', 1);
      right.pipeInput('k', 'r1', 2);
      left.pipeInput('k', 'l2', 3);
      driver!.commit();
      expect(read()).toEqual([{ key: 'k', value: 'l2+r1' }]);
      await driver!.close();
      driver = undefined;
    }
  });

  it('forwards every update of a join not materialized, or not caching', async () => {
    for (const materialized of [undefined, { storeName: 'joined', caching: false }]) {
      const { left, right, read } = await joined(materialized);
      left.pipeInput('k', 'l1', 1);
      right.pipeInput('k', 'r1', 2);
      left.pipeInput('k', 'l2', 3);
      expect(read()).toEqual([
        { key: 'k', value: 'l1+r1' },
        { key: 'k', value: 'l2+r1' },
      ]);
      await driver!.close();
      driver = undefined;
    }
  });

  it('caches an unnamed source table once a join looks it up, as Kafka Streams then materializes it', async () => {
    for (const lookedUp of [true, false]) {
      const builder = new StreamsBuilder();
      const table = builder.table<string, string>('input', strings);
      table.toStream().to('output', strings);
      if (lookedUp)
        builder
          .stream<string, string>('lookups', strings)
          .join(table, (lookup, value) => `${lookup}:${value}`)
          .to('found', strings);
      driver = await TopologyTestDriver.create(builder.build(), { commitEachRecord: false });
      const input = driver.createInputTopic<string, string>('input');
      input.pipeInput('k', 'a', 1);
      input.pipeInput('k', 'b', 2);
      driver.commit();
      expect(driver.createOutputTopic<string, string>('output').readValuesToList()).toEqual(
        lookedUp ? ['b'] : ['a', 'b'],
      );
      await driver.close();
      driver = undefined;
    }
  });

  it('sends a named foreign-key join result once per key and commit', async () => {
    const builder = new StreamsBuilder();
    const orders = builder.table<string, string>('orders', strings);
    const customers = builder.table<string, string>('customers', strings);
    orders
      .join(
        customers,
        (order) => order.split(':')[0]!,
        (order, customer) => `${order}@${customer}`,
        { storeName: 'orders-with-customer' },
      )
      .toStream()
      .to('output', strings);
    driver = await TopologyTestDriver.create(builder.build(), { commitEachRecord: false });
    driver.createInputTopic<string, string>('customers').pipeInput('c1', 'Ada', 1);
    driver.commit();
    const input = driver.createInputTopic<string, string>('orders');
    input.pipeInput('o1', 'c1:1', 2);
    input.pipeInput('o1', 'c1:2', 3);
    // The subscription and its response go through internal topics, which the driver delivers at once;
    // the result waits in the cache for the commit.
    const output = driver.createOutputTopic<string, string>('output');
    expect(output.readKeyValuesToList()).toEqual([]);
    driver.commit();
    expect(output.readKeyValuesToList()).toEqual([{ key: 'o1', value: 'c1:2@Ada' }]);
  });

  it('keeps a processor’s writes to a store added with caching: true in the cache until the commit', async () => {
    const builder = new StreamsBuilder();
    builder.addStateStore(
      Stores.keyValue({
        name: 'latest',
        keySerde: Serdes.String(),
        valueSerde: Serdes.String(),
        caching: true,
      }),
    );
    const seen: (string | undefined)[] = [];
    builder.stream<string, string>('input', strings).process(
      () => {
        let store: KeyValueStore<string, string>;
        return {
          init: (context) => {
            store = context.getStateStore('latest');
          },
          process: (record) => {
            seen.push(store.get(record.key));
            store.put(record.key, record.value);
          },
        };
      },
      { stores: ['latest'] },
    );
    driver = await TopologyTestDriver.create(builder.build(), { commitEachRecord: false });
    const input = driver.createInputTopic<string, string>('input');
    input.pipeInput('k', 'a', 1);
    input.pipeInput('k', 'b', 2);
    input.pipeInput('k', 'c', 3);
    // Reads see the cached writes.
    expect(seen).toEqual([undefined, 'a', 'b']);
    const changelog = driver.createOutputTopic<string, string>(
      'test-app-latest-changelog',
      Serdes.String(),
      Serdes.String(),
    );
    expect(changelog.readKeyValuesToList()).toEqual([]);
    driver.commit();
    expect(changelog.readKeyValuesToList()).toEqual([{ key: 'k', value: 'c' }]);
  });

  it('caches a store added by hand only when asked, and never a window store retaining duplicates', () => {
    const options = { name: 'latest', keySerde: Serdes.String(), valueSerde: Serdes.String() };
    expect(Stores.keyValue(options).caching).toBeUndefined();
    expect(Stores.session({ ...options, retentionMs: 100, caching: true }).caching).toBe(true);
    const window = { ...options, windowSizeMs: 10, retentionMs: 100, caching: true };
    expect(Stores.window(window).caching).toBe(true);
    expect(Stores.window({ ...window, retainDuplicates: true }).caching).toBeUndefined();
  });
});
