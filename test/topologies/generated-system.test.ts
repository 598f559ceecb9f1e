/**
 * The whole orders system on a generated recording (several hundred orders, three partitions), checked
 * against rules that must hold for every order rather than against a golden file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { replay, type ReplayRecord } from 'tributary/testing';
import { generateRecording } from '../../scripts/orders/recording.ts';
import type { Customer, Email, Order, OrderValidation, Payment } from '../../schemas/topics.ts';
import { HOUR, orderApps } from './support.ts';

const { records: input } = generateRecording({ orders: 600, seed: 11 });
const orders = new Map<string, { order: Order; at: number }>();
for (const r of input)
  if (r.topic === 'orders' && !orders.has(r.key as string))
    orders.set(r.key as string, { order: r.value as Order, at: r.timestamp });
const paymentsFor = (id: string) =>
  input
    .filter((r) => r.topic === 'payments' && (r.value as Payment).orderId === id)
    .map((r) => r.value as Payment);
const value = (order: Order) => Math.round(order.quantity * order.price * 100) / 100;

describe('the orders system on a generated recording', () => {
  let output: readonly ReplayRecord[];
  const checksOf = (id: string, type: OrderValidation['checkType']) =>
    output
      .filter(
        (r) =>
          r.topic === 'order-validations' && r.key === id && (r.value as OrderValidation).checkType === type,
      )
      .map((r) => (r.value as OrderValidation).validationResult);
  const statesOf = (id: string) =>
    output.filter((r) => r.topic === 'orders' && r.key === id).map((r) => (r.value as Order).state);

  beforeAll(async () => {
    output = (await replay({ apps: orderApps, input, partitions: 3 })).records;
  });

  it('checks every order once for inventory and fraud, and its details once per CREATED record', () => {
    for (const [id] of orders) {
      expect(checksOf(id, 'INVENTORY_CHECK'), id).toHaveLength(1);
      expect(checksOf(id, 'FRAUD_CHECK'), id).toHaveLength(1);
      const created = input.filter((r) => r.topic === 'orders' && r.key === id).length;
      expect(checksOf(id, 'ORDER_DETAILS_CHECK'), id).toHaveLength(created);
    }
  });

  it('takes every order through one of the allowed paths, VALIDATED exactly when all three checks passed', () => {
    const paths = new Map<string, number>();
    for (const [id] of orders) {
      const states = statesOf(id).join(' → ');
      paths.set(states, (paths.get(states) ?? 0) + 1);
      expect(['FAILED', 'VALIDATED', 'VALIDATED → CONFIRMED', 'VALIDATED → FAILED'], id).toContain(states);
      const allPassed = (['INVENTORY_CHECK', 'FRAUD_CHECK', 'ORDER_DETAILS_CHECK'] as const).every((t) =>
        checksOf(id, t).every((result) => result === 'PASS'),
      );
      expect(states.startsWith('VALIDATED'), id).toBe(allPassed);
    }
    // The recording exercises every path.
    expect([...paths.keys()].sort()).toEqual([
      'FAILED',
      'VALIDATED',
      'VALIDATED → CONFIRMED',
      'VALIDATED → FAILED',
    ]);
  });

  it('confirms only orders paid in full, fails validated ones only for a short payment, and emails each confirmed order once', () => {
    const customers = new Map(
      input.filter((r) => r.topic === 'customers').map((r) => [r.key as number, r.value as Customer]),
    );
    const emails = output.filter((r) => r.topic === 'emails').map((r) => r.value as Email);
    for (const [id, { order }] of orders) {
      const states = statesOf(id);
      const paid = paymentsFor(id).map((p) => p.amount);
      if (states.includes('CONFIRMED')) {
        expect(
          paid.some((amount) => amount >= value(order)),
          id,
        ).toBe(true);
        expect(emails.filter((e) => e.orderId === id).map((e) => e.to)).toEqual([
          customers.get(order.customerId)!.email,
        ]);
      } else {
        expect(
          emails.filter((e) => e.orderId === id),
          id,
        ).toEqual([]);
      }
      if (states.join() === 'VALIDATED,FAILED')
        expect(
          paid.some((amount) => amount < value(order)),
          id,
        ).toBe(true);
    }
  });

  it("fails fraud checks exactly where the customer's one-hour session reaches 2000 (an independent count)", () => {
    const sessions = new Map<number, { total: number; last: number }>();
    const expected = new Map<string, string>();
    for (const r of input) {
      if (r.topic !== 'orders') continue;
      const order = r.value as Order;
      if (expected.has(order.id)) continue; // a redelivered order counts once
      const session = sessions.get(order.customerId);
      const total =
        Math.round(
          ((session && r.timestamp - session.last <= HOUR ? session.total : 0) +
            Math.max(order.quantity * order.price, 0)) *
            100,
        ) / 100;
      sessions.set(order.customerId, { total, last: r.timestamp });
      expected.set(order.id, total >= 2000 ? 'FAIL' : 'PASS');
    }
    const actual = new Map([...orders.keys()].map((id) => [id, checksOf(id, 'FRAUD_CHECK')[0]]));
    expect(actual).toEqual(expected);
    expect([...expected.values()].filter((v) => v === 'FAIL').length).toBeGreaterThan(0);
  });
});
