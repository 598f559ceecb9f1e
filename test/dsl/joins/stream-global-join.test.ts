import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

interface Order {
  customer: string | null;
  item: string;
}

const orders = defineTopic('orders', Serdes.String(), Serdes.Json<Order>());
const customers = defineTopic('customers', Serdes.String(), Serdes.String());
const out = defineTopic('out', Serdes.String(), Serdes.String());

describe('stream-global table join', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function start(joinType: 'inner' | 'left', partitions = 3) {
    const builder = new StreamsBuilder();
    const table = builder.globalTable(customers, { storeName: 'customers-store' });
    const stream = builder.stream(orders);
    const selector = (_orderId: string, order: Order) => order.customer;
    const joined =
      joinType === 'inner'
        ? stream.join(table, selector, (order, name, key) => `${key}:${order.item} for ${name}`)
        : stream.leftJoin(table, selector, (order, name, key) => `${key}:${order.item} for ${name ?? '?'}`);
    joined.to(out);
    const topology = builder.build();
    driver = await TopologyTestDriver.create(topology, {
      partitions,
      topicPartitions: { customers: 1 },
    });
    return {
      topology,
      orders: driver.createInputTopic(orders),
      customers: driver.createInputTopic(customers),
      out: driver.createOutputTopic(out),
    };
  }

  it('looks up the key chosen by the selector, keeping the stream key, on any partition', async () => {
    const t = await start('inner');
    // The global table has one partition while the stream has three: no co-partitioning is required.
    expect(t.topology.copartitionGroups).toEqual([]);
    t.customers.pipeInput('c1', 'Ann', 1);
    t.customers.pipeInput('c2', 'Bo', 1);
    for (const [id, customer] of [
      ['o1', 'c1'],
      ['o2', 'c2'],
      ['o3', 'c3'],
      ['o4', 'c1'],
    ] as const) {
      t.orders.pipeInput(id, { customer, item: `i-${id}` }, 10);
    }
    expect(t.out.readKeyValuesToList()).toEqual([
      { key: 'o1', value: 'o1:i-o1 for Ann' },
      { key: 'o2', value: 'o2:i-o2 for Bo' },
      { key: 'o4', value: 'o4:i-o4 for Ann' },
    ]);
    // Later updates of the global table are seen; they emit nothing on their own.
    t.customers.pipeInput('c1', 'Anna', 20);
    t.customers.pipeInput('c2', null, 20);
    expect(t.out.readRecordsToList()).toEqual([]);
    t.orders.pipeInput('o5', { customer: 'c1', item: 'x' }, 30);
    t.orders.pipeInput('o6', { customer: 'c2', item: 'y' }, 30);
    expect(t.out.readKeyValuesToList()).toEqual([{ key: 'o5', value: 'o5:x for Anna' }]);
  });

  // KStreamGlobalKTableLeftJoinTest.shouldNotJoinOnNullKeyMapperValues and
  // shouldJoinOnNullKeyWithNonNullKeyMapperValues: a null selected key drops the record, unless the
  // record's own key is null.
  it('left join: a missing row gives null; a null selected key or a null value drops the record', async () => {
    const t = await start('left');
    t.customers.pipeInput('c1', 'Ann', 1);
    t.orders.pipeInput('o1', { customer: 'c9', item: 'a' }, 10);
    t.orders.pipeInput('o2', { customer: null, item: 'b' }, 11);
    t.orders.pipeInput('o3', null, 12);
    // A null stream key does not matter when the selector finds a key.
    t.orders.pipeInput(null, { customer: 'c1', item: 'c' }, 13);
    t.orders.pipeInput(null, { customer: null, item: 'd' }, 14);
    expect(t.out.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp }))).toEqual(
      [
        { key: 'o1', value: 'o1:a for ?', timestamp: 10 },
        { key: null, value: 'null:c for Ann', timestamp: 13 },
        { key: null, value: 'null:d for ?', timestamp: 14 },
      ],
    );
  });

  it('inner join drops records whose selected key is null', async () => {
    const t = await start('inner', 1);
    t.customers.pipeInput('c1', 'Ann', 1);
    t.orders.pipeInput('o1', { customer: null, item: 'a' }, 10);
    t.orders.pipeInput(null, { customer: 'c1', item: 'b' }, 11);
    expect(t.out.readKeyValuesToList()).toEqual([{ key: null, value: 'null:b for Ann' }]);
  });
});
