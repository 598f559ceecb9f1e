import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, type KeyValue, type Windowed } from 'tributary';
import type { TopologyTestDriver } from 'tributary/testing';
import fraud, {
  COUNTED_ORDERS_RETENTION_MS,
  COUNTED_ORDERS_STORE,
  CUSTOMER_SESSIONS_STORE,
  type CustomerSession,
  type PlacedOrder,
} from '../../topologies/fraud.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { MINUTE, T0, driverFor, order } from './support.ts';

/** `[start+, end+] total` with times as minutes after T0. */
function show(sessions: Iterable<KeyValue<Windowed<number>, CustomerSession>>): string[] {
  return [...sessions].map(
    ({ key: { window }, value }) =>
      `[${(window.start - T0) / MINUTE}m, ${(window.end - T0) / MINUTE}m] ${value.total}`,
  );
}

describe('fraud', () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver.close());

  async function setup(partitions = 1) {
    driver = await driverFor(fraud, { partitions });
    const orders = driver.createInputTopic(topics.orders);
    const checks = driver.createOutputTopic(topics.orderValidations);
    return {
      /** An order of `value` (one unit at that price) by `customerId`, `minutes` after T0. */
      order: (id: string, customerId: number, value: number, minutes: number, fields: Partial<Order> = {}) =>
        orders.pipeInput(
          id,
          order(id, { customerId, quantity: 1, price: value, ...fields }),
          T0 + minutes * MINUTE,
        ),
      /** The checks written since the last call, as `id:RESULT`. */
      checks: () =>
        checks.readRecordsToList().map((r) => {
          expect(r.key).toBe(r.value!.orderId);
          expect(r.value!.checkType).toBe('FRAUD_CHECK');
          return `${r.key}:${r.value!.validationResult}`;
        }),
      sessions: (customerId: number, partition = 0) =>
        show(
          driver
            .getSessionStore<number, CustomerSession>(CUSTOMER_SESSIONS_STORE, partition)
            .fetch(customerId),
        ),
    };
  }

  it("stamps each check with its own order's time, also when the order reaches a session that already ends later", async () => {
    const t = await setup();
    const checks = driver.createOutputTopic(topics.orderValidations);
    t.order('late-ending', 3, 10, 30);
    t.order('placed-earlier', 3, 10, 5); // reaches the session after an order placed 25 minutes later
    expect(checks.readRecordsToList().map((r) => [r.key, (r.timestamp - T0) / MINUTE])).toEqual([
      ['late-ending', 30],
      ['placed-earlier', 5],
    ]);
    expect(t.sessions(3)).toEqual(['[5m, 30m] 20']);
  });

  it("fails the order that brings its customer's session to 2000 or more, and passes those below", async () => {
    const t = await setup();
    t.order('o1', 1, 1000, 0);
    t.order('o2', 1, 999.99, 10);
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS']);
    t.order('o3', 1, 0.01, 20); // 2000 exactly: sums are kept in cents, so 1999.99 + 0.01 is not 1999.9999…
    expect(t.checks()).toEqual(['o3:FAIL']);
    expect(t.sessions(1)).toEqual(['[0m, 20m] 2000']);
  });

  it('explains a failure with the session total', async () => {
    const t = await setup();
    driver
      .createInputTopic(topics.orders)
      .pipeInput('o1', order('o1', { customerId: 4, quantity: 3, price: 700 }), T0);
    const [check] = driver.createOutputTopic(topics.orderValidations).readValuesToList();
    expect(check).toEqual({
      orderId: 'o1',
      checkType: 'FRAUD_CHECK',
      validationResult: 'FAIL',
      reason: 'customer 4 ordered 2100 within one session (limit 2000)',
    });
    expect(t.checks()).toEqual(['o1:FAIL']);
  });

  it('starts a new session after more than an hour without orders; exactly an hour apart is one session', async () => {
    const t = await setup();
    t.order('o1', 1, 1500, 0);
    t.order('o2', 1, 600, 60 + 1 / 60000); // an hour and a millisecond later
    t.order('o3', 2, 1500, 0);
    t.order('o4', 2, 600, 60); // exactly an hour later
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS', 'o3:PASS', 'o4:FAIL']);
    expect(t.sessions(1)).toEqual(['[0m, 0m] 1500', `[${60 + 1 / 60000}m, ${60 + 1 / 60000}m] 600`]);
    expect(t.sessions(2)).toEqual(['[0m, 60m] 2100']);
  });

  it('an order that bridges two sessions merges them, and still gets exactly one check', async () => {
    const t = await setup();
    t.order('o1', 1, 800, 0);
    t.order('o2', 1, 800, 120);
    expect(t.sessions(1)).toEqual(['[0m, 0m] 800', '[120m, 120m] 800']);
    t.order('o3', 1, 500, 60); // within an hour of both: one session of 2100
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS', 'o3:FAIL']);
    expect(t.sessions(1)).toEqual(['[0m, 120m] 2100']);
    t.order('o4', 1, 1, 121);
    expect(t.checks()).toEqual(['o4:FAIL']);
  });

  it('counts a redelivered order once and checks it once', async () => {
    const t = await setup();
    t.order('o1', 1, 1500, 0);
    t.order('o1', 1, 1500, 1);
    t.order('o2', 1, 400, 2); // 1900, not 3400
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS']);
    expect(t.sessions(1)).toEqual(['[0m, 2m] 1900']);
    // Remembered under the time it was placed, with its customer.
    expect(driver.getWindowStore<string, number>(COUNTED_ORDERS_STORE).fetch('o1', T0)).toBe(1);
  });

  it('counts an order that reaches its session twice once, and checks it once', async () => {
    // Under at-least-once a crash can lose the last entries of counted-orders (its changelog is written
    // at commits) after the orders they let through are on the re-keying topic: those orders are let
    // through again. Here the copy is put on the re-keying topic directly.
    const t = await setup();
    t.order('o1', 1, 1500, 0);
    expect(t.checks()).toEqual(['o1:PASS']);
    const rekeyed = driver.createInputTopic(
      'fraud-orders-by-customer-repartition',
      Serdes.Long(),
      Serdes.Json<PlacedOrder>(),
    );
    rekeyed.pipeInput(
      1,
      { order: order('o1', { customerId: 1, quantity: 1, price: 1500 }), placedAt: T0 },
      T0,
    );
    t.order('o2', 1, 400, 2); // 1900, not 3400
    expect(t.checks()).toEqual(['o2:PASS']);
    expect(t.sessions(1)).toEqual(['[0m, 2m] 1900']);
  });

  it('remembers a counted order for the session gap plus grace of stream time, then forgets it', async () => {
    const t = await setup();
    const counted = () => driver.getWindowStore<string, number>(COUNTED_ORDERS_STORE);
    const remembered = () => [...counted().all()].map(({ key }) => key.key);
    t.order('o1', 1, 1500, 0);
    t.order('o2', 2, 10, COUNTED_ORDERS_RETENTION_MS / MINUTE - 1 / MINUTE); // 25 hours less 1 ms later
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS']);
    // Still within the retention: a redelivery of o1 (with its own time) is recognised, and o1's
    // session still holds it once.
    t.order('o1', 1, 1500, 0);
    expect(t.checks()).toEqual([]);
    expect(t.sessions(1)).toEqual(['[0m, 0m] 1500']);
    expect(remembered()).toEqual(['o1', 'o2']);

    t.order('o3', 2, 10, COUNTED_ORDERS_RETENTION_MS / MINUTE); // stream time reaches o1's time + 25 h
    expect(t.checks()).toEqual(['o3:PASS']);
    expect(counted().fetch('o1', T0)).toBeUndefined();
    expect(remembered()).toEqual(['o2', 'o3']);
    // o1 is forgotten, so a copy of it is stopped by its age, as is any order that old; an order a
    // minute younger is still within the retention, and its session still open.
    t.order('o1', 1, 1500, 0);
    t.order('o4', 1, 1500, 0);
    expect(t.checks()).toEqual([]);
    t.order('o5', 1, 1500, 1);
    expect(t.checks()).toEqual(['o5:PASS']);
    expect(remembered()).toEqual(['o5', 'o2', 'o3']);
  });

  it('keeps customers apart, counts only CREATED orders, and multiplies quantity by price', async () => {
    const t = await setup(3);
    t.order('o1', 1, 1500, 0);
    t.order('o2', 2, 1500, 1);
    t.order('o1', 1, 1500, 2, { state: 'VALIDATED' });
    t.order('o3', 1, 100, 3, { quantity: 5 }); // 1500 + 5 × 100
    t.order('o4', 2, 499.99, 4);
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS', 'o3:FAIL', 'o4:PASS']);
    const sessionsOf = (customer: number) => [0, 1, 2].flatMap((p) => t.sessions(customer, p));
    expect(sessionsOf(1)).toEqual(['[0m, 3m] 2000']);
    expect(sessionsOf(2)).toEqual(['[1m, 4m] 1999.99']);
  });

  it('adds nothing for an order worth less than nothing, so it cannot lower the total', async () => {
    const t = await setup();
    t.order('o1', 1, 1500, 0);
    t.order('o2', 1, -1000, 1); // a negative price: order-details fails it
    t.order('o3', 1, 10, 2, { quantity: -50 }); // a negative quantity
    t.order('o4', 1, 500, 3);
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS', 'o3:PASS', 'o4:FAIL']);
    expect(t.sessions(1)).toEqual(['[0m, 3m] 2000']);
  });

  it('keeps sessions a day past their end for orders that arrive late, then forgets them', async () => {
    const t = await setup();
    t.order('o1', 1, 1500, 0);
    t.order('o2', 2, 10, 10 * 60); // stream time moves on ten hours
    t.order('o3', 1, 600, 30); // late, but its session is still open: 2100
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS', 'o3:FAIL']);
    t.order('o4', 2, 10, 30 * 60); // more than the gap and a day of grace after customer 1's session ended
    expect(t.sessions(1)).toEqual([]);
  });
});
