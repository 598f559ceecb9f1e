import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, type KTable } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

interface Order {
  product: string | null;
  qty: number;
}

const orders = defineTopic('orders', Serdes.String(), Serdes.Json<Order>());
const products = defineTopic('products', Serdes.String(), Serdes.String());
const out = defineTopic('out', Serdes.String(), Serdes.String());

type Row = { key: string | null; value: string | null; timestamp: number };
const rows = (records: Row[]) => records.map(({ key, value, timestamp }) => ({ key, value, timestamp }));
const kv = (records: Row[]) => records.map(({ key, value }) => ({ key, value }));

describe('foreign-key table-table join', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function start(joinType: 'inner' | 'left', options: { name?: string; storeName?: string } = {}) {
    const builder = new StreamsBuilder();
    const left = builder.table(orders);
    const right = builder.table(products);
    const joiner = (order: Order, name: string | null) => `${order.qty}x${name ?? 'none'}`;
    const fk = (order: Order) => order.product;
    const joined: KTable<string, string> =
      joinType === 'inner'
        ? left.join(right, fk, joiner, {
            name: options.name,
            storeName: options.storeName,
            valueSerde: Serdes.String(),
          })
        : left.leftJoin(right, fk, joiner, {
            name: options.name,
            storeName: options.storeName,
            valueSerde: Serdes.String(),
          });
    joined.toStream().to(out);
    const topology = builder.build();
    // The two tables need not agree on partitions: each internal topic follows the side it feeds.
    driver = await TopologyTestDriver.create(topology, { topicPartitions: { orders: 3, products: 2 } });
    return {
      topology,
      orders: driver.createInputTopic(orders),
      products: driver.createInputTopic(products),
      out: driver.createOutputTopic(out),
    };
  }

  it('inner join: matches, fans out right updates to every subscriber, tombstones right deletes', async () => {
    const t = await start('inner');
    t.orders.pipeInput('o1', { product: 'p1', qty: 1 }, 10); // no product yet: nothing
    expect(t.out.readRecordsToList()).toEqual([]);
    t.products.pipeInput('p1', 'apple', 20);
    t.orders.pipeInput('o2', { product: 'p1', qty: 2 }, 30);
    t.orders.pipeInput('o3', { product: 'p2', qty: 3 }, 31);
    expect(rows(t.out.readRecordsToList())).toEqual([
      { key: 'o1', value: '1xapple', timestamp: 20 },
      { key: 'o2', value: '2xapple', timestamp: 30 },
    ]);
    t.products.pipeInput('p1', 'green apple', 40);
    const fanOut = rows(t.out.readRecordsToList());
    expect(fanOut).toHaveLength(2);
    expect(fanOut).toEqual(
      expect.arrayContaining([
        { key: 'o1', value: '1xgreen apple', timestamp: 40 },
        { key: 'o2', value: '2xgreen apple', timestamp: 40 },
      ]),
    );
    t.products.pipeInput('p1', null, 50);
    expect(kv(t.out.readRecordsToList()).sort((a, b) => a.key!.localeCompare(b.key!))).toEqual([
      { key: 'o1', value: null },
      { key: 'o2', value: null },
    ]);
    // A later product row joins the subscribers again.
    t.products.pipeInput('p1', 'red apple', 60);
    expect(kv(t.out.readRecordsToList())).toHaveLength(2);
  });

  it('a changed foreign key unsubscribes from the old key', async () => {
    const t = await start('inner');
    t.products.pipeInput('p1', 'apple', 1);
    t.products.pipeInput('p2', 'pear', 1);
    t.orders.pipeInput('o1', { product: 'p1', qty: 1 }, 10);
    t.orders.pipeInput('o1', { product: 'p2', qty: 1 }, 20);
    expect(kv(t.out.readRecordsToList())).toEqual([
      { key: 'o1', value: '1xapple' },
      { key: 'o1', value: '1xpear' },
    ]);
    t.products.pipeInput('p1', 'apple v2', 30); // o1 no longer listens to p1
    expect(t.out.readRecordsToList()).toEqual([]);
    t.products.pipeInput('p2', 'pear v2', 40);
    expect(kv(t.out.readRecordsToList())).toEqual([{ key: 'o1', value: '1xpear v2' }]);
    // The subscription store holds one entry per (foreign key, order): only p2's now.
    const storeName = [...t.topology.stores.keys()].find((n) => n.endsWith('-SUBSCRIPTION-STATE-STORE'))!;
    const subscriptions = driver!.getKeyValueStore<{ foreignKey: string; primaryKey: string }, unknown>(
      storeName,
    );
    expect([...subscriptions.all()].map((e) => e.key)).toEqual([{ foreignKey: 'p2', primaryKey: 'o1' }]);
  });

  it('inner join: moving to a key without a match withdraws the result; updates without a match stay silent', async () => {
    const t = await start('inner');
    t.products.pipeInput('p1', 'apple', 1);
    t.orders.pipeInput('o1', { product: 'p1', qty: 1 }, 10);
    t.orders.pipeInput('o1', { product: 'p9', qty: 1 }, 20);
    t.orders.pipeInput('o1', { product: 'p9', qty: 2 }, 30); // same key, still no match: nothing
    t.orders.pipeInput('o2', { product: 'p9', qty: 2 }, 40); // never matched: nothing
    expect(rows(t.out.readRecordsToList())).toEqual([
      { key: 'o1', value: '1xapple', timestamp: 10 },
      { key: 'o1', value: null, timestamp: 20 },
    ]);
  });

  it('left join: rows without a match join null, and a match replaces it', async () => {
    const t = await start('left');
    t.orders.pipeInput('o1', { product: 'p1', qty: 1 }, 10);
    t.products.pipeInput('p1', 'apple', 20);
    t.orders.pipeInput('o1', { product: 'p9', qty: 1 }, 30);
    t.products.pipeInput('p9', 'plum', 40);
    t.products.pipeInput('p9', null, 50);
    expect(rows(t.out.readRecordsToList())).toEqual([
      { key: 'o1', value: '1xnone', timestamp: 10 },
      { key: 'o1', value: '1xapple', timestamp: 20 },
      { key: 'o1', value: '1xnone', timestamp: 30 },
      { key: 'o1', value: '1xplum', timestamp: 40 },
      { key: 'o1', value: '1xnone', timestamp: 50 },
    ]);
  });

  it('left deletes become tombstones and stop later right updates from reaching the row', async () => {
    for (const joinType of ['inner', 'left'] as const) {
      const t = await start(joinType);
      t.products.pipeInput('p1', 'apple', 1);
      t.orders.pipeInput('o1', { product: 'p1', qty: 1 }, 10);
      t.orders.pipeInput('o1', null, 20);
      t.products.pipeInput('p1', 'apple v2', 30);
      expect(rows(t.out.readRecordsToList())).toEqual([
        { key: 'o1', value: '1xapple', timestamp: 10 },
        { key: 'o1', value: null, timestamp: 20 },
      ]);
      await driver!.close();
    }
  });

  it('a null foreign key: left join emits the row with null, inner join drops the row (counted) or withdraws', async () => {
    const left = await start('left');
    left.products.pipeInput('p1', 'apple', 1);
    left.orders.pipeInput('o1', { product: null, qty: 1 }, 10);
    left.orders.pipeInput('o2', { product: 'p1', qty: 2 }, 20);
    left.orders.pipeInput('o2', { product: null, qty: 2 }, 30);
    left.products.pipeInput('p1', 'apple v2', 40); // o2 unsubscribed from p1
    left.orders.pipeInput('o1', null, 50);
    expect(rows(left.out.readRecordsToList())).toEqual([
      { key: 'o1', value: '1xnone', timestamp: 10 },
      { key: 'o2', value: '2xapple', timestamp: 20 },
      { key: 'o2', value: '2xnone', timestamp: 30 },
      { key: 'o1', value: null, timestamp: 50 },
    ]);
    expect(driver!.droppedRecords()).toEqual(new Map());
    await driver!.close();

    const inner = await start('inner');
    inner.products.pipeInput('p1', 'apple', 1);
    inner.orders.pipeInput('o1', { product: null, qty: 1 }, 10);
    inner.orders.pipeInput('o2', { product: 'p1', qty: 2 }, 20);
    inner.orders.pipeInput('o2', { product: null, qty: 2 }, 30);
    inner.orders.pipeInput('o2', { product: 'p1', qty: 3 }, 40);
    inner.orders.pipeInput('o1', null, 50); // it never had a result: nothing to withdraw
    expect(rows(inner.out.readRecordsToList())).toEqual([
      { key: 'o2', value: '2xapple', timestamp: 20 },
      { key: 'o2', value: null, timestamp: 30 },
      { key: 'o2', value: '3xapple', timestamp: 40 },
    ]);
    // o1 at 10 and o2 at 30 cannot join; deleting o1 drops nothing.
    expect(driver!.droppedRecords()).toEqual(new Map([['null-join-key-or-value', 2]]));
  });

  it('answers to an older value of the row are discarded (hash mismatch)', async () => {
    // One input record updates the same order twice before any answer comes back: the answer to the
    // first value arrives after the second value is current and must not produce a result.
    const builder = new StreamsBuilder();
    const updates = defineTopic('order-updates', Serdes.String(), Serdes.String());
    const left = builder
      .stream(updates)
      .flatMapValues((products) => products.split(',').map((product): Order => ({ product, qty: 1 })))
      .toTable({ valueSerde: Serdes.Json<Order>() });
    const right = builder.table(products);
    left
      .join(
        right,
        (o) => o.product,
        (o, name) => `${o.product}:${name}`,
        { valueSerde: Serdes.String() },
      )
      .toStream()
      .to(out);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 2 });
    driver.createInputTopic(products).pipeInput('p1', 'apple', 1);
    driver.createInputTopic(products).pipeInput('p2', 'pear', 1);
    driver.createInputTopic(updates).pipeInput('o1', 'p1,p2', 10);
    expect(kv(driver.createOutputTopic(out).readRecordsToList())).toEqual([{ key: 'o1', value: 'p2:pear' }]);
  });

  it('names its internal topics, stores and processors from the join name', async () => {
    const t = await start('left', { name: 'order-products', storeName: 'joined' });
    const topics = [...t.topology.internalTopics.keys()].sort();
    expect(topics).toEqual(
      expect.arrayContaining([
        'order-products-SUBSCRIPTION-REGISTRATION-topic',
        'order-products-SUBSCRIPTION-RESPONSE-topic',
        'order-products-SUBSCRIPTION-STATE-STORE-changelog',
      ]),
    );
    expect([...t.topology.stores.keys()]).toEqual(
      expect.arrayContaining(['order-products-SUBSCRIPTION-STATE-STORE', 'joined']),
    );
    expect(t.topology.copartitionGroups).toEqual(
      expect.arrayContaining([
        ['order-products-SUBSCRIPTION-REGISTRATION-topic', 'products'],
        ['order-products-SUBSCRIPTION-RESPONSE-topic', 'orders'],
      ]),
    );
    t.products.pipeInput('p1', 'apple', 1);
    t.orders.pipeInput('o1', { product: 'p1', qty: 4 }, 2);
    expect(driver!.getKeyValueStore<string, string>('joined').get('o1')).toBe('4xapple');
    expect(driver!.producedTopicNames()).toEqual(
      expect.arrayContaining([
        'test-app-order-products-SUBSCRIPTION-REGISTRATION-topic',
        'test-app-order-products-SUBSCRIPTION-RESPONSE-topic',
      ]),
    );
  });
  it('joins a table with itself (each employee with their manager), re-answering value updates', async () => {
    interface Employee {
      name: string;
      manager: string | null;
    }
    const employees = defineTopic('employees', Serdes.String(), Serdes.Json<Employee>());
    const builder = new StreamsBuilder();
    const table = builder.table(employees);
    table
      .leftJoin(
        table,
        (e) => e.manager,
        (e, m) => `${e.name} reports to ${m?.name ?? 'nobody'}`,
        {
          valueSerde: Serdes.String(),
        },
      )
      .toStream()
      .to(out);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 3 });
    const input = driver.createInputTopic(employees);
    input.pipeInput('e1', { name: 'Ann', manager: null }, 1);
    input.pipeInput('e2', { name: 'Bo', manager: 'e1' }, 2);
    input.pipeInput('e1', { name: 'Anne', manager: null }, 3);
    input.pipeInput('e2', { name: 'Bob', manager: 'e1' }, 4); // same manager, new value
    expect(kv(driver.createOutputTopic(out).readRecordsToList())).toEqual([
      { key: 'e1', value: 'Ann reports to nobody' },
      { key: 'e2', value: 'Bo reports to Ann' },
      { key: 'e1', value: 'Anne reports to nobody' },
      { key: 'e2', value: 'Bo reports to Anne' },
      { key: 'e2', value: 'Bob reports to Anne' },
    ]);
  });
});
