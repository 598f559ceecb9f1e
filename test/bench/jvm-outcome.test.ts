import { describe, expect, it } from 'vitest';
import { compareOutcomes, type OrdersOutcome } from '../../scripts/bench/jvm-outcome.ts';

const email = (id: string) => JSON.stringify({ orderId: id, subject: `Your order ${id} is confirmed` });

function outcome(
  states: Record<string, string>,
  emails: Record<string, string[]> = {},
  checks?: Record<string, string[]>,
): OrdersOutcome {
  return {
    states: new Map(Object.entries(states)),
    emails: new Map(Object.entries(emails)),
    ...(checks ? { checks: new Map(Object.entries(checks)) } : {}),
  };
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
    expect(c.kinds.map((k) => [k.kind, k.orders, k.explained])).toEqual([
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

  it('where the checks are known, tells which failed check came first from a difference in the checks', () => {
    const checks = {
      'o-5': [
        'FRAUD_CHECK FAIL customer 2 ordered 2115.95',
        'INVENTORY_CHECK PASS',
        'ORDER_DETAILS_CHECK FAIL price -8.52 is negative',
      ],
    };
    const fraudFirst = { 'o-5': 'FAILED: FRAUD_CHECK failed: customer 2 ordered 2115.95' };
    const detailsFirst = { 'o-5': 'FAILED: ORDER_DETAILS_CHECK failed: price -8.52 is negative' };
    expect(compareOutcomes(outcome(fraudFirst, {}, checks), outcome(detailsFirst, {}, checks))).toMatchObject(
      {
        agreeing: 0,
        firstFailureOrder: 1,
        orderDependent: 0,
        unexplained: 0,
      },
    );
    // The same states, but one side wrote another check: a difference in the rules.
    const passed = { 'o-5': ['FRAUD_CHECK PASS', ...checks['o-5'].slice(1)] };
    expect(
      compareOutcomes(outcome(detailsFirst, {}, checks), outcome(detailsFirst, {}, passed)),
    ).toMatchObject({
      agreeing: 0,
      unexplained: 1,
    });
    // A failure named that neither side's checks failed is no question of order either.
    expect(
      compareOutcomes(outcome(fraudFirst, {}, passed), outcome(detailsFirst, {}, passed)).unexplained,
    ).toBe(1);
  });
});
