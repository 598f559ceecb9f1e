/**
 * The way an order goes: CREATED, then VALIDATED (or FAILED), then CONFIRMED (or FAILED), then SHIPPED.
 * States only move forward: FAILED ends an order, and so does CONFIRMED as far as this system goes.
 * The writers of `orders` decide only for orders that have not got that far yet, and orders-view keeps
 * the furthest state it has seen, so a record redelivered after a crash never sets an order back.
 */
import type { Order, OrderState } from './topics.ts';

/** How far along each state is; FAILED is as far as CONFIRMED (both end the order's checks and payment). */
const PROGRESS: Readonly<Record<OrderState, number>> = {
  CREATED: 0,
  VALIDATED: 1,
  FAILED: 2,
  CONFIRMED: 2,
  SHIPPED: 3,
};

/** True when an order in `state` has come at least as far as `step` (FAILED has come as far as CONFIRMED). */
export function hasReached(state: OrderState, step: OrderState): boolean {
  return PROGRESS[state] >= PROGRESS[step];
}

/** True when an order in state `from` may move on to `to`: further along, and never out of FAILED. */
export function movesForward(from: OrderState, to: OrderState): boolean {
  return from !== 'FAILED' && PROGRESS[to] > PROGRESS[from];
}

/** The version of an order to keep: `next` if it moves the order forward, else the one already kept. */
export function furthest(kept: Order, next: Order): Order {
  return movesForward(kept.state, next.state) ? next : kept;
}
