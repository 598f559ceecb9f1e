import { afterEach, describe, expect, it } from 'vitest';
import type { ReadOnlyKeyValueStore } from 'tributary';
import type { TopologyTestDriver } from 'tributary/testing';
import inventory, {
  ORDER_RESERVATIONS_STORE,
  RESERVATIONS_RETENTION_MS,
  RESERVED_STOCK_STORE,
  type Reservation,
} from '../../topologies/inventory.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { MINUTE, T0, driverFor, order } from './support.ts';

describe('inventory', () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver.close());

  async function setup(partitions = 1) {
    driver = await driverFor(inventory, { partitions });
    const orders = driver.createInputTopic(topics.orders);
    const stock = driver.createInputTopic(topics.warehouseInventory);
    const checks = driver.createOutputTopic(topics.orderValidations);
    let time = T0;
    return {
      stock: (product: string, units: number) => stock.pipeInput(product, units, time++),
      /** An order at the next millisecond, or at `at` (stream time then goes on from there). */
      order: (id: string, fields: Partial<Order> = {}, at?: number) => {
        if (at !== undefined && at >= time) time = at + 1;
        orders.pipeInput(id, order(id, fields), at ?? time++);
      },
      /** The checks written since the last call, as `id:RESULT`, or `id:RESULT (reason)` for failures. */
      checks: () =>
        checks.readValuesToList().map((v) => {
          expect(v!.checkType).toBe('INVENTORY_CHECK');
          return `${v!.orderId}:${v!.validationResult}${v!.reason ? ` (${v!.reason})` : ''}`;
        }),
      reserved: (product: string) =>
        driver.getKeyValueStore<string, number>(RESERVED_STOCK_STORE).get(product) ?? 0,
      reservation: (id: string) => {
        const store = driver.getWindowStore<string, Reservation>(ORDER_RESERVATIONS_STORE);
        const [entry] = store.fetchWindows(id, 0, Infinity);
        return entry?.value;
      },
    };
  }

  it('passes orders while stock minus reserved units covers them, reserving their units', async () => {
    const t = await setup();
    t.stock('JUMPERS', 5);
    t.order('o1', { quantity: 3 });
    expect(t.reserved('JUMPERS')).toBe(3);
    t.order('o2', { quantity: 2 }); // 5 - 3 = 2: exactly enough
    t.order('o3', { quantity: 1 });
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS', 'o3:FAIL (1 JUMPERS ordered, 0 available)']);
    expect(t.reserved('JUMPERS')).toBe(5);
    expect(t.reservation('o1')).toEqual({ product: 'JUMPERS', quantity: 3, status: 'reserved' });
    expect(t.reservation('o3')).toEqual({ product: 'JUMPERS', quantity: 0, status: 'rejected' });
  });

  it('fails an order whose product has no stock row, and one that names no product', async () => {
    const t = await setup();
    t.stock('JUMPERS', 5);
    t.order('o1', { product: 'STOCKINGS' });
    t.order('o2', { product: null });
    expect(t.checks()).toEqual([
      'o1:FAIL (no stock of STOCKINGS in the warehouse)',
      'o2:FAIL (the order names no product)',
    ]);
    expect(t.reserved('STOCKINGS')).toBe(0);
  });

  it('reads the latest stock level; reserved units count against it', async () => {
    const t = await setup();
    t.stock('UNDERPANTS', 1);
    t.order('o1', { product: 'UNDERPANTS', quantity: 2 });
    t.stock('UNDERPANTS', 10);
    t.order('o2', { product: 'UNDERPANTS', quantity: 6 });
    t.order('o3', { product: 'UNDERPANTS', quantity: 5 });
    expect(t.checks()).toEqual([
      'o1:FAIL (2 UNDERPANTS ordered, 1 available)',
      'o2:PASS',
      'o3:FAIL (5 UNDERPANTS ordered, 4 available)',
    ]);
  });

  it('releases the units of an order that becomes FAILED, exactly once', async () => {
    const t = await setup();
    t.stock('JUMPERS', 5);
    t.order('o1', { quantity: 3 });
    t.order('o1', { quantity: 3, state: 'FAILED' });
    expect(t.reserved('JUMPERS')).toBe(0);
    expect(t.reservation('o1')?.status).toBe('released');
    t.order('o2', { quantity: 4 });
    expect(t.reserved('JUMPERS')).toBe(4);
    // o1 FAILED again (a redelivery): its units were given back already.
    t.order('o1', { quantity: 3, state: 'FAILED' });
    expect(t.reserved('JUMPERS')).toBe(4);
    t.order('o3', { quantity: 2 });
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS', 'o3:FAIL (2 JUMPERS ordered, 1 available)']);
  });

  it('releases nothing for an order it rejected, and ignores other states', async () => {
    const t = await setup();
    t.stock('JUMPERS', 2);
    t.order('o1', { quantity: 3 });
    t.order('o2', { quantity: 2 });
    t.order('o1', { quantity: 3, state: 'FAILED' });
    expect(t.reserved('JUMPERS')).toBe(2);
    for (const state of ['VALIDATED', 'CONFIRMED', 'SHIPPED'] as const) t.order('o2', { quantity: 2, state });
    expect(t.reserved('JUMPERS')).toBe(2);
    expect(t.checks()).toEqual(['o1:FAIL (3 JUMPERS ordered, 2 available)', 'o2:PASS']);
  });

  it('checks a redelivered CREATED order once and reserves its units once', async () => {
    const t = await setup();
    t.stock('JUMPERS', 10);
    t.order('o1', { quantity: 3 });
    t.order('o1', { quantity: 3 });
    expect(t.checks()).toEqual(['o1:PASS']);
    expect(t.reserved('JUMPERS')).toBe(3);
  });

  it('does not reserve for an order that was FAILED before it was checked', async () => {
    const t = await setup();
    t.stock('JUMPERS', 10);
    t.order('o1', { quantity: 3, state: 'FAILED' });
    t.order('o1', { quantity: 3 });
    expect(t.checks()).toEqual([]);
    expect(t.reserved('JUMPERS')).toBe(0);
  });

  it('reserves nothing for a quantity below one (order-details fails such orders)', async () => {
    const t = await setup();
    t.stock('JUMPERS', 1);
    t.order('o1', { quantity: -4 });
    t.order('o2', { quantity: 0 });
    t.order('o3', { quantity: 1 });
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS', 'o3:PASS']);
    expect(t.reserved('JUMPERS')).toBe(1);
  });

  it('keeps each product in one task when topics have several partitions', async () => {
    const t = await setup(3);
    t.stock('JUMPERS', 4);
    t.stock('UNDERPANTS', 4);
    t.stock('STOCKINGS', 4);
    for (let i = 0; i < 12; i++)
      t.order(`o${i}`, { product: (['JUMPERS', 'UNDERPANTS', 'STOCKINGS'] as const)[i % 3], quantity: 1 });
    t.order('o-more', { product: 'STOCKINGS', quantity: 1 });
    expect(t.checks().filter((c) => c.includes('FAIL'))).toEqual([
      'o-more:FAIL (1 STOCKINGS ordered, 0 available)',
    ]);
    expect(['JUMPERS', 'UNDERPANTS', 'STOCKINGS'].map(t.reserved)).toEqual([4, 4, 4]);
    // Each product's count lives in exactly one partition's store.
    const partitionsHolding = (product: string) =>
      [0, 1, 2].filter(
        (p) =>
          driver
            .getStateStore<ReadOnlyKeyValueStore<string, number>>(RESERVED_STOCK_STORE, p)
            .get(product) !== undefined,
      ).length;
    expect(['JUMPERS', 'UNDERPANTS', 'STOCKINGS'].map(partitionsHolding)).toEqual([1, 1, 1]);
  });

  it('remembers an order as long as it can still FAIL, then forgets it and ignores copies that old', async () => {
    const t = await setup();
    const R = RESERVATIONS_RETENTION_MS;
    const remembered = () =>
      [...driver.getWindowStore<string, Reservation>(ORDER_RESERVATIONS_STORE).all()].map(
        ({ key }) => key.key,
      );
    t.stock('JUMPERS', 10);
    t.order('o1', { quantity: 3 }, T0);
    t.order('o2', { quantity: 1 }, T0 + R - 1); // stream time: 1 ms short of o1's retention
    // Within the retention: o1 FAILS (stamped 10 minutes after it was placed) and its units come back;
    // a copy of o1 is recognised.
    t.order('o1', { quantity: 3, state: 'FAILED' }, T0 + 10 * MINUTE);
    t.order('o1', { quantity: 3 }, T0);
    expect(t.reserved('JUMPERS')).toBe(1);
    expect(t.reservation('o1')).toEqual({ product: 'JUMPERS', quantity: 0, status: 'released' });
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS']);

    t.order('o3', { quantity: 1 }, T0 + R); // o1 was placed a whole retention ago
    expect(t.reservation('o1')).toBeUndefined();
    expect(remembered()).toEqual(['o2', 'o3']);
    // A copy of o1 (or any order that old) is no longer checked, and reserves nothing.
    t.order('o1', { quantity: 3 }, T0);
    expect(t.checks()).toEqual(['o3:PASS']);
    expect(t.reserved('JUMPERS')).toBe(2);
    expect(remembered()).toEqual(['o2', 'o3']);
  });

  it('releases nothing for a FAILED order that arrives after its reservation expired', async () => {
    const t = await setup();
    t.stock('JUMPERS', 10);
    t.order('o1', { quantity: 3 }, T0);
    t.order('o2', { quantity: 1 }, T0 + RESERVATIONS_RETENTION_MS);
    t.order('o1', { quantity: 3, state: 'FAILED' }, T0 + 10 * MINUTE);
    expect(t.reserved('JUMPERS')).toBe(4);
    expect(t.checks()).toEqual(['o1:PASS', 'o2:PASS']);
  });
});
