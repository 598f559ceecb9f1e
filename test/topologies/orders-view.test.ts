import { afterEach, describe, expect, it } from 'vitest';
import type { ReadOnlyKeyValueStore } from 'tributary';
import type { TopologyTestDriver } from 'tributary/testing';
import ordersView, { ORDERS_STORE } from '../../topologies/orders-view.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { T0, driverFor, order } from './support.ts';

describe('orders-view', () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver.close());

  it('keeps the state of every order in the queryable store "orders-store"', async () => {
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

  it('keeps the furthest state: an update that would set an order back changes nothing', async () => {
    driver = await driverFor(ordersView);
    const orders = driver.createInputTopic(topics.orders);
    const store = driver.getKeyValueStore<string, Order>(ORDERS_STORE);
    orders.pipeInput('o1', order('o1'), T0);
    orders.pipeInput('o1', order('o1', { state: 'VALIDATED' }), T0 + 1);
    orders.pipeInput('o1', order('o1', { state: 'CONFIRMED' }), T0 + 2);
    // Read again after a crash of a writer, or of this application before it committed.
    orders.pipeInput('o1', order('o1', { state: 'VALIDATED' }), T0 + 3);
    orders.pipeInput('o1', order('o1'), T0 + 4);
    orders.pipeInput('o1', order('o1', { state: 'FAILED', failureReason: 'late' }), T0 + 5);
    expect(store.get('o1')).toEqual({ ...order('o1', { state: 'CONFIRMED' }), failureReason: null });

    orders.pipeInput('o2', order('o2', { state: 'FAILED', failureReason: 'FRAUD_CHECK failed' }), T0);
    orders.pipeInput('o2', order('o2', { state: 'CONFIRMED' }), T0 + 1);
    orders.pipeInput('o2', order('o2', { state: 'VALIDATED' }), T0 + 2);
    expect(store.get('o2')).toMatchObject({ state: 'FAILED', failureReason: 'FRAUD_CHECK failed' });

    // A repeat of the state kept keeps the first version of it.
    orders.pipeInput('o3', order('o3', { price: 10 }), T0);
    orders.pipeInput('o3', order('o3', { price: 99 }), T0 + 1);
    expect(store.get('o3')).toMatchObject({ state: 'CREATED', price: 10 });
    orders.pipeInput('o3', order('o3', { state: 'VALIDATED', price: 99 }), T0 + 2);
    expect(store.get('o3')).toMatchObject({ state: 'VALIDATED', price: 99 });
    expect(store.get('o4')).toBeUndefined();
  });

  it("writes nothing to the system's topics: only its store's changelog", async () => {
    driver = await driverFor(ordersView);
    driver.createInputTopic(topics.orders).pipeInput('o1', order('o1'), T0);
    expect(driver.producedTopicNames()).toEqual(['orders', 'orders-view-orders-store-changelog']);
  });
});
