import { describe, expect, it } from 'vitest';
import { compareOutcomes, type OrdersOutcome } from '../../scripts/bench/jvm-outcome.ts';

const email = (id: string) => JSON.stringify({ orderId: id, subject: `Your order ${id} is confirmed` });

function outcome(states: Record<string, string>, emails: Record<string, string[]> = {}): OrdersOutcome {
  return { states: new Map(Object.entries(states)), emails: new Map(Object.entries(emails)) };
}

describe('comparing two engines’ final states of the orders system (scripts/bench/jvm-outcome.ts)', () => {
  const base = {
    'o-1': 'CONFIRMED',
    'o-2': 'FAILED: ORDER_DETAILS_CHECK failed: quantity 0 is less than 1',
    'o-3': 'VALIDATED',
  };

  it('agrees when every state and email is the same', () => {
    const c = compareOutcomes(
      outcome(base, { 'o-1': [email('o-1')] }),
      outcome(base, { 'o-1': [email('o-1')] }),
    );
    expect(c).toMatchObject({ orders: 3, agreeing: 3, orderDependent: 0, unexplained: 0, kinds: [] });
  });

  it('puts down to the order of delivery only what a fraud or inventory check decided on one side', () => {
    const other = {
      ...base,
      'o-1': 'FAILED: FRAUD_CHECK failed: customer 7 ordered 2104.5 within one session (limit 2000)',
      'o-3': 'FAILED: INVENTORY_CHECK failed: 3 JUMPERS ordered, 1 available',
    };
    const c = compareOutcomes(outcome(base, { 'o-1': [email('o-1')] }), outcome(other));
    expect(c).toMatchObject({ agreeing: 1, orderDependent: 2, unexplained: 0 });
    expect(c.kinds.map((k) => [k.kind, k.orders, k.orderDependent])).toEqual([
      ['CONFIRMED → FAILED: FRAUD_CHECK failed: customer N ordered N within one session (limit N)', 1, true],
      ['VALIDATED → FAILED: INVENTORY_CHECK failed: N JUMPERS ordered, N available', 1, true],
    ]);
  });

  it('reports any other difference as unexplained: a state, an absent order, an email', () => {
    const other = { ...base, 'o-3': 'CONFIRMED', 'o-4': 'VALIDATED' };
    const c = compareOutcomes(
      outcome(base, { 'o-1': [email('o-1')] }),
      outcome(other, { 'o-1': [email('o-1'), email('o-1')] }),
    );
    expect(c).toMatchObject({ orders: 4, agreeing: 1, orderDependent: 0, unexplained: 3 });
    expect(c.kinds.map((k) => k.kind).sort()).toEqual([
      'CONFIRMED, emails: 1 → 2',
      'VALIDATED → CONFIRMED',
      'absent → VALIDATED',
    ]);
  });
});
