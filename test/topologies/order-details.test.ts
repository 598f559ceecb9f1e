import { afterEach, describe, expect, it } from 'vitest';
import type { TopologyTestDriver } from 'tributary/testing';
import orderDetails from '../../topologies/order-details.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { T0, driverFor, order } from './support.ts';

describe('order-details', () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver.close());

  async function run(...orders: (readonly [string, Partial<Order>])[]) {
    driver = await driverFor(orderDetails);
    const input = driver.createInputTopic(topics.orders);
    for (const [id, fields] of orders) input.pipeInput(id, order(id, fields), T0);
    return driver.createOutputTopic(topics.orderValidations).readKeyValuesToList();
  }

  it('passes a CREATED order with a product, a quantity of at least 1 and a price of at least 0', async () => {
    expect(await run(['o1', { quantity: 1, price: 0 }])).toEqual([
      {
        key: 'o1',
        value: { orderId: 'o1', checkType: 'ORDER_DETAILS_CHECK', validationResult: 'PASS', reason: null },
      },
    ]);
  });

  it('fails a quantity below 1, a negative price and a missing product, each with its reason', async () => {
    const checks = await run(
      ['o1', { quantity: 0 }],
      ['o2', { price: -0.01 }],
      ['o3', { product: null }],
      ['o4', { quantity: -3, product: null }],
    );
    expect(checks.map((c) => [c.key, c.value!.validationResult, c.value!.reason])).toEqual([
      ['o1', 'FAIL', 'quantity 0 is less than 1'],
      ['o2', 'FAIL', 'price -0.01 is negative'],
      ['o3', 'FAIL', 'the order names no product'],
      ['o4', 'FAIL', 'quantity -3 is less than 1'],
    ]);
  });

  it('checks only CREATED orders: the states written back later are not checked again', async () => {
    const states = ['VALIDATED', 'FAILED', 'CONFIRMED', 'SHIPPED'] as const;
    expect(await run(...states.map((state, i) => [`o${i}`, { state, quantity: 0 }] as const))).toEqual([]);
  });
});
