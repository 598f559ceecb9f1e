import { afterEach, describe, expect, it } from 'vitest';
import type { ReadOnlyKeyValueStore } from 'tributary';
import type { TopologyTestDriver } from 'tributary/testing';
import ordersView, { ORDERS_STORE } from '../../topologies/orders-view.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { T0, driverFor, order } from './support.ts';

describe('orders-view', () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver.close());

  it('keeps the latest state of every order in the queryable store "orders-store"', async () => {
    driver = await driverFor(ordersView, { partitions: 3 });
    const orders = driver.createInputTopic(topics.orders);
    orders.pipeInput('o1', order('o1'), T0);
    orders.pipeInput('o2', order('o2', { customerId: 2 }), T0 + 1);
    orders.pipeInput('o1', order('o1', { state: 'VALIDATED' }), T0 + 2);
    orders.pipeInput('o3', order('o3'), T0 + 3);
    orders.pipeInput('o1', order('o1', { state: 'CONFIRMED' }), T0 + 4);
    orders.pipeInput('o3', order('o3', { state: 'FAILED', failureReason: 'FRAUD_CHECK failed' }), T0 + 5);

    const store = driver.getKeyValueStore<string, Order>(ORDERS_STORE);
    expect(store.get('o1')?.state).toBe('CONFIRMED');
    expect(store.get('o2')).toEqual({ ...order('o2', { customerId: 2 }), failureReason: null });
    expect(store.get('o3')).toMatchObject({ state: 'FAILED', failureReason: 'FRAUD_CHECK failed' });
    expect(store.get('o4')).toBeUndefined();
    expect([...store.all()].map((e) => `${e.key}:${e.value.state}`)).toEqual([
      'o1:CONFIRMED',
      'o2:CREATED',
      'o3:FAILED',
    ]);
    // Three partitions: the orders are spread over the tasks' copies of the store.
    const perPartition = [0, 1, 2].map((p) =>
      driver.getStateStore<ReadOnlyKeyValueStore<string, unknown>>(ORDERS_STORE, p).approximateNumEntries(),
    );
    expect(perPartition.reduce((a, b) => a + b)).toBe(3);
    expect(perPartition.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('writes nothing to any topic: the store is read from the orders topic itself', async () => {
    driver = await driverFor(ordersView);
    driver.createInputTopic(topics.orders).pipeInput('o1', order('o1'), T0);
    expect(driver.producedTopicNames()).toEqual(['orders']);
    expect(driver.topology.stores.get(ORDERS_STORE)?.logging.sourceTopic).toBe('orders');
  });
});
