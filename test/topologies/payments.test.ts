import { afterEach, describe, expect, it } from 'vitest';
import type { TestOutputRecord, TopologyTestDriver } from 'tributary/testing';
import payments, { SETTLED_ORDERS_RETENTION_MS, SETTLED_ORDERS_STORE } from '../../topologies/payments.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { MINUTE, T0, driverFor, order, payment } from './support.ts';

describe('payments', () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver.close());

  async function setup(partitions = 1) {
    driver = await driverFor(payments, { partitions });
    const orders = driver.createInputTopic(topics.orders);
    const paymentsIn = driver.createInputTopic(topics.payments);
    const written = driver.createOutputTopic(topics.orders);
    // `orders` is read and written: keep what the application wrote, not the orders piped in.
    const produced: TestOutputRecord<string, Order>[] = [];
    return {
      validated: (id: string, at: number, fields: Partial<Order> = {}) => {
        orders.pipeInput(id, order(id, { state: 'VALIDATED', quantity: 2, price: 12.5, ...fields }), at);
        produced.push(...written.readRecordsToList().slice(1));
      },
      /** A state written to `orders` for the order before (by this application in a run that crashed). */
      written: (id: string, state: Order['state'], at: number) => {
        orders.pipeInput(id, order(id, { state, quantity: 2, price: 12.5 }), at);
        produced.push(...written.readRecordsToList().slice(1));
      },
      pay: (id: string, orderId: string, amount: number, at: number) => {
        paymentsIn.pipeInput(id, payment(id, orderId, amount), at);
        produced.push(...written.readRecordsToList());
      },
      /** Orders settled since the last call, as `id:STATE@minutes (reason)`. */
      settled: () =>
        produced
          .splice(0)
          .map(
            (r) =>
              `${r.key}:${r.value!.state}@${(r.timestamp - T0) / MINUTE}m${r.value!.failureReason ? ` (${r.value!.failureReason})` : ''}`,
          ),
      produced,
    };
  }

  it('confirms an order paid in full and fails one paid less, stamped with the later of the two', async () => {
    const t = await setup();
    t.validated('o1', T0);
    t.pay('p1', 'o1', 25, T0 + MINUTE);
    t.validated('o2', T0);
    t.pay('p2', 'o2', 24.99, T0 + 2 * MINUTE);
    t.validated('o3', T0);
    t.pay('p3', 'o3', 30, T0 + 3 * MINUTE);
    expect(t.produced[0]!.value).toEqual({
      ...order('o1', { quantity: 2, price: 12.5 }),
      state: 'CONFIRMED',
      failureReason: null,
    });
    expect(t.settled()).toEqual([
      'o1:CONFIRMED@1m',
      'o2:FAILED@2m (payment p2 of 24.99 EUR is less than the order value 25)',
      'o3:CONFIRMED@3m',
    ]);
  });

  it('joins a payment that comes before the order is validated, within 5 minutes either way', async () => {
    const t = await setup();
    t.pay('p1', 'o1', 25, T0 - 5 * MINUTE);
    t.pay('p2', 'o2', 25, T0 - 5 * MINUTE - 1);
    t.validated('o1', T0);
    t.validated('o2', T0);
    t.validated('o3', T0);
    t.pay('p3', 'o3', 25, T0 + 5 * MINUTE);
    t.validated('o4', T0);
    t.pay('p4', 'o4', 25, T0 + 5 * MINUTE + 1);
    expect(t.settled()).toEqual(['o1:CONFIRMED@0m', 'o3:CONFIRMED@5m']);
  });

  it('the first payment settles the order: a second one neither fails nor confirms it again', async () => {
    const t = await setup();
    t.validated('o1', T0);
    t.pay('p1', 'o1', 10, T0 + MINUTE);
    t.pay('p1-top-up', 'o1', 15, T0 + 2 * MINUTE);
    t.validated('o2', T0);
    t.pay('p2', 'o2', 25, T0 + MINUTE);
    t.pay('p2-again', 'o2', 5, T0 + 2 * MINUTE);
    expect(t.settled()).toEqual([
      'o1:FAILED@1m (payment p1 of 10 EUR is less than the order value 25)',
      'o2:CONFIRMED@1m',
    ]);
    const store = driver.getWindowStore<string, string>(SETTLED_ORDERS_STORE);
    expect([store.fetch('o1', T0 + MINUTE), store.fetch('o2', T0 + MINUTE)]).toEqual(['p1', 'p2']);
  });

  it('settles nothing for an order that `orders` shows settled: order and payment read again after a crash', async () => {
    // Under at-least-once a crash can lose the last settlements from settled-orders (its changelog is
    // written at commits) while they are on `orders` already; the order and its payment are then read
    // and joined again. This driver's settled-orders is empty, as after such a crash.
    const t = await setup(3);
    t.validated('o1', T0);
    t.written('o1', 'CONFIRMED', T0 + MINUTE);
    t.validated('o2', T0);
    t.written('o2', 'FAILED', T0 + MINUTE);
    t.validated('o3', T0);
    t.pay('p1', 'o1', 25, T0 + MINUTE);
    t.pay('p2', 'o2', 25, T0 + MINUTE);
    t.pay('p3', 'o3', 25, T0 + MINUTE);
    expect(t.settled()).toEqual(['o3:CONFIRMED@1m']);
  });

  it('settles only VALIDATED orders; a payment for an order in another state waits for nothing', async () => {
    const t = await setup();
    for (const state of ['CREATED', 'FAILED', 'CONFIRMED'] as const) t.validated(`o-${state}`, T0, { state });
    for (const state of ['CREATED', 'FAILED', 'CONFIRMED'] as const)
      t.pay(`p-${state}`, `o-${state}`, 25, T0);
    expect(t.settled()).toEqual([]);
  });

  it('re-keys payments by order id so they meet their order on any partition', async () => {
    const t = await setup(3);
    const ids = Array.from({ length: 9 }, (_, i) => `o${i}`);
    for (const id of ids) t.validated(id, T0);
    for (const id of ids) t.pay(`payment-for-${id}`, id, 25, T0 + MINUTE);
    expect(t.settled().sort()).toEqual(ids.map((id) => `${id}:CONFIRMED@1m`));
  });

  it('remembers a settlement while the join can still pair the order, then forgets it', async () => {
    const t = await setup();
    const settledOrders = () =>
      [...driver.getWindowStore<string, string>(SETTLED_ORDERS_STORE).all()].map(({ key }) => key.key);
    t.validated('o1', T0);
    t.pay('p1', 'o1', 25, T0);
    // Stream time moves on 65 minutes: the latest at which the join still holds o1 for a payment
    // made 5 minutes after it.
    t.validated('o2', T0 + 65 * MINUTE);
    t.pay('p2', 'o2', 25, T0 + 65 * MINUTE);
    expect(t.settled()).toEqual(['o1:CONFIRMED@0m', 'o2:CONFIRMED@65m']);
    t.pay('p1-again', 'o1', 5, T0 + 5 * MINUTE);
    expect(t.settled()).toEqual([]);

    t.validated('o3', T0 + SETTLED_ORDERS_RETENTION_MS); // o1 was settled a whole retention ago
    t.pay('p3', 'o3', 25, T0 + SETTLED_ORDERS_RETENTION_MS);
    expect(t.settled()).toEqual([`o3:CONFIRMED@${SETTLED_ORDERS_RETENTION_MS / MINUTE}m`]);
    expect(driver.getWindowStore<string, string>(SETTLED_ORDERS_STORE).fetch('o1', T0)).toBeUndefined();
    expect(settledOrders()).toEqual(['o2', 'o3']);
  });
});
