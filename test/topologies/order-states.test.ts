import { describe, expect, it } from 'vitest';
import { furthest, hasReached, movesForward } from '../../schemas/order-states.ts';
import type { OrderState } from '../../schemas/topics.ts';
import { order } from './support.ts';

const STATES: readonly OrderState[] = ['CREATED', 'VALIDATED', 'FAILED', 'CONFIRMED', 'SHIPPED'];

describe('order states', () => {
  it('move forward only: CREATED, VALIDATED, then CONFIRMED or FAILED, then SHIPPED; nothing leaves FAILED', () => {
    const forward = STATES.flatMap((from) =>
      STATES.filter((to) => movesForward(from, to)).map((to) => `${from}→${to}`),
    );
    expect(forward).toEqual([
      'CREATED→VALIDATED',
      'CREATED→FAILED',
      'CREATED→CONFIRMED',
      'CREATED→SHIPPED',
      'VALIDATED→FAILED',
      'VALIDATED→CONFIRMED',
      'VALIDATED→SHIPPED',
      'CONFIRMED→SHIPPED',
    ]);
  });

  it('say how far an order has come: FAILED as far as CONFIRMED', () => {
    expect(STATES.filter((s) => hasReached(s, 'VALIDATED'))).toEqual([
      'VALIDATED',
      'FAILED',
      'CONFIRMED',
      'SHIPPED',
    ]);
    expect(STATES.filter((s) => hasReached(s, 'CONFIRMED'))).toEqual(['FAILED', 'CONFIRMED', 'SHIPPED']);
  });

  it('keep the version of an order that is further along, or the first one of a state', () => {
    const created = order('o1');
    const validated = order('o1', { state: 'VALIDATED' });
    const confirmed = order('o1', { state: 'CONFIRMED' });
    expect(furthest(created, validated)).toBe(validated);
    expect(furthest(confirmed, validated)).toBe(confirmed);
    expect(furthest(validated, order('o1', { state: 'VALIDATED', price: 1 }))).toBe(validated);
  });
});
