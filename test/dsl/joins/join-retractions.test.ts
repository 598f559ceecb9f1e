import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, keyValue } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

interface Order {
  product: string;
  qty: number;
}
interface Line {
  name: string;
  qty: number;
}

const orders = defineTopic('orders', Serdes.String(), Serdes.Json<Order>());
const products = defineTopic('products', Serdes.String(), Serdes.String());
const totals = defineTopic('totals', Serdes.String(), Serdes.Json<number>());

/**
 * Join results feed aggregations that subtract what a row contributed before: that only works when the
 * joins forward the old joined value with every change.
 */
describe('join results downstream of aggregations', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function start(kind: 'fk' | 'table') {
    const builder = new StreamsBuilder();
    const productTable = builder.table(products);
    const joiner = (order: Order, name: string | null): Line => ({ name: name ?? '?', qty: order.qty });
    const lines =
      kind === 'fk'
        ? builder
            .table(orders)
            .join(productTable, (o) => o.product, joiner, { valueSerde: Serdes.Json<Line>() })
        : // Keyed by product: one order per product, to exercise the table-table join's old values.
          builder
            .table(defineTopic('orders-by-product', Serdes.String(), Serdes.Json<Order>()))
            .join(productTable, (order, name) => joiner(order, name));
    lines
      .groupBy((_k, line) => keyValue(line.name, line), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<Line>(),
      })
      .aggregate(
        () => 0,
        (_k, line, sum) => sum + line.qty,
        (_k, line, sum) => sum - line.qty,
        { storeName: 'totals-store', valueSerde: Serdes.Json<number>() },
      )
      .toStream()
      .to(totals);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 2 });
    return {
      products: driver.createInputTopic(products),
      orders: driver.createInputTopic(
        kind === 'fk' ? orders : defineTopic('orders-by-product', Serdes.String(), Serdes.Json<Order>()),
      ),
      store: () => driver!.getKeyValueStore<string, number>('totals-store'),
    };
  }

  it('foreign-key join: renaming a product moves its quantities, deleting an order subtracts it', async () => {
    const t = await start('fk');
    t.products.pipeInput('p1', 'apple', 1);
    t.products.pipeInput('p2', 'pear', 1);
    t.orders.pipeInput('o1', { product: 'p1', qty: 2 }, 2);
    t.orders.pipeInput('o2', { product: 'p1', qty: 3 }, 3);
    t.orders.pipeInput('o3', { product: 'p2', qty: 4 }, 4);
    expect(t.store().get('apple')).toBe(5);
    t.products.pipeInput('p1', 'green apple', 5);
    expect(t.store().get('apple')).toBe(0);
    expect(t.store().get('green apple')).toBe(5);
    t.orders.pipeInput('o2', null, 6);
    t.orders.pipeInput('o3', { product: 'p1', qty: 4 }, 7);
    expect(t.store().get('green apple')).toBe(6);
    expect(t.store().get('pear')).toBe(0);
  });

  it('table-table join: right changes retract the previous joined row', async () => {
    const t = await start('table');
    t.orders.pipeInput('p1', { product: 'p1', qty: 2 }, 1);
    t.products.pipeInput('p1', 'apple', 2);
    t.products.pipeInput('p1', 'green apple', 3);
    t.orders.pipeInput('p1', { product: 'p1', qty: 7 }, 4);
    expect(t.store().get('apple')).toBe(0);
    expect(t.store().get('green apple')).toBe(7);
    t.products.pipeInput('p1', null, 5);
    expect(t.store().get('green apple')).toBe(0);
  });
});
