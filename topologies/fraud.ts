/**
 * fraud: is the customer spending suspiciously much in one go? CREATED orders are grouped by customer
 * into session windows that close after an hour without orders, summing quantity × price. An order
 * FAILs its FRAUD_CHECK when its customer's session total, including the order, is at least 2000;
 * otherwise it PASSes. Exactly one FRAUD_CHECK per order:
 *
 * - each order is counted once: the processor `count-each-order-once` lets an order id through the
 *   first time only (store `counted-orders`), so a redelivered CREATED order neither counts twice
 *   toward the total nor gets a second check. It remembers an order for a day and an hour of stream
 *   time (see COUNTED_ORDERS_RETENTION_MS), a window store expiring older entries by itself;
 * - a session aggregation forwards, for every order it counts, exactly one update of the session the
 *   order belongs to (carrying the order), plus deletes (null) of the sessions it merged away when the
 *   order extended or bridged them. The deletes are skipped; the update becomes the order's check;
 * - a session also lists the orders it counted, and an order it has counted already adds nothing and
 *   gets no check. Under at-least-once a crash can lose the last entries of `counted-orders` while the
 *   orders they let through are on the re-keying topic already: they are let through again, and the
 *   session, whose store is committed together with what it read, stops them.
 *
 * An order worth less than nothing (negative price or quantity) adds nothing to the total.
 *
 * The check carries the order's own time (not the session's end, which is later when the order reached
 * the session after later orders of the same customer): validations-aggregator meets the three checks of
 * an order in a 5-minute session, so a check must not drift from its order. Sessions take orders up to a
 * day late (in stream time); an order later than that is dropped by the window and gets no check.
 */
import { Serdes, SessionWindows, defineApp, type Processor, type ProcessorContext } from 'tributary';
import { topics, type Order, type OrderValidation } from '../schemas/topics.ts';
import { FirstSeen, firstSeenStore } from './shared/first-seen.ts';
import { FRAUD_SESSION_GAP_MS, FRAUD_SESSION_GRACE_MS } from './shared/timing.ts';

export const FRAUD_LIMIT = 2000;
export const COUNTED_ORDERS_STORE = 'counted-orders';
/**
 * How long (in stream time, from the time the order was placed) `count-each-order-once` remembers an
 * order: as long as a session the order alone forms stays open, the inactivity gap plus the grace.
 * A copy of the order within that time is recognised and stopped. An order older than that is
 * stopped too: it can no longer be told from a copy, and its session window would drop it anyway
 * (it could only still count by joining a session that has gone on without a break ever since).
 */
export const COUNTED_ORDERS_RETENTION_MS = FRAUD_SESSION_GAP_MS + FRAUD_SESSION_GRACE_MS;
export const CUSTOMER_SESSIONS_STORE = 'customer-sessions';

/** An order with the time it was placed, which its fraud check keeps. */
export interface PlacedOrder {
  readonly order: Order;
  readonly placedAt: number;
}

/** A customer's session: the value of its orders so far, the orders counted, and the order that last changed it. */
export interface CustomerSession {
  readonly total: number;
  /** Null when nothing was counted by the last change (a merge, or an order counted already). */
  readonly order: Order | null;
  readonly placedAt: number | null;
  /** Ids of the orders counted in the session (absent in sessions stored before it was kept). */
  readonly counted?: readonly string[];
}

/** Sums of prices stay in whole cents, so that 0.1 + 0.2 reaches a limit as it would on paper. */
function cents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/**
 * What an order adds to its customer's session. An order worth less than nothing (a negative price or
 * quantity, which order-details fails) adds nothing, so it cannot lower the total of the orders after it.
 */
export function orderValue(order: Order): number {
  return Math.max(order.quantity * order.price, 0);
}

/** Counts an order in its customer's session, once: an order counted already changes nothing and names no order. */
export function addOrder(session: CustomerSession, { order, placedAt }: PlacedOrder): CustomerSession {
  const counted = session.counted ?? [];
  if (counted.includes(order.id)) return { ...session, order: null, placedAt: null };
  return {
    total: cents(session.total + orderValue(order)),
    order,
    placedAt,
    counted: [...counted, order.id],
  };
}

/** Merging happens before the order that bridges the sessions is added, and that order is named then. */
export function mergeSessions(a: CustomerSession, b: CustomerSession): CustomerSession {
  return {
    total: cents(a.total + b.total),
    order: b.order ?? a.order,
    placedAt: b.order ? b.placedAt : a.placedAt,
    counted: [...(a.counted ?? []), ...(b.counted ?? [])],
  };
}

/**
 * Forwards the first CREATED record of each order id, with its time; redeliveries stop here. The
 * store keeps each counted order under the time it was placed (value: its customer).
 */
function countEachOrderOnce(): Processor<string, Order, string, PlacedOrder> {
  let context: ProcessorContext<string, PlacedOrder>;
  let counted: FirstSeen<number>;
  return {
    init: (c) => {
      context = c;
      counted = new FirstSeen(c.getStateStore(COUNTED_ORDERS_STORE), COUNTED_ORDERS_RETENTION_MS);
    },
    process: (record) => {
      const placedAt = record.timestamp;
      counted.advance(placedAt);
      // Older than the store remembers: it may have been counted already (see COUNTED_ORDERS_RETENTION_MS).
      if (counted.forgotten(placedAt)) return;
      if (!counted.first(record.value.id, record.value.customerId, placedAt)) return;
      context.forward({ ...record, value: { order: record.value, placedAt } });
    },
  };
}

/** Turns the session update an order caused into that order's check, at the order's own time. */
function checkEachOrder(): Processor<unknown, CustomerSession | null, string, OrderValidation> {
  let context: ProcessorContext<string, OrderValidation>;
  return {
    init: (c) => {
      context = c;
    },
    process: (record) => {
      const session = record.value;
      // Deletes of sessions merged away carry no order: the merged session's update names it. An order
      // counted already names none either.
      if (session === null || session.order === null) return;
      context.forward({
        key: session.order.id,
        value: fraudCheck(session),
        timestamp: session.placedAt ?? record.timestamp,
        headers: record.headers,
      });
    },
  };
}

function fraudCheck(session: CustomerSession): OrderValidation {
  const order = session.order!;
  const fraudulent = session.total >= FRAUD_LIMIT;
  return {
    orderId: order.id,
    checkType: 'FRAUD_CHECK',
    validationResult: fraudulent ? 'FAIL' : 'PASS',
    reason: fraudulent
      ? `customer ${order.customerId} ordered ${session.total} within one session (limit ${FRAUD_LIMIT})`
      : null,
  };
}

export default defineApp({
  applicationId: 'fraud',
  description:
    "One FRAUD_CHECK per CREATED order: FAIL when the customer's one-hour session total reaches 2000.",
  topics: [topics.orders, topics.orderValidations],
  topology: (builder) => {
    builder.addStateStore(firstSeenStore(COUNTED_ORDERS_STORE, Serdes.Long(), COUNTED_ORDERS_RETENTION_MS));
    builder
      .stream(topics.orders)
      .filter((_id, order) => order.state === 'CREATED', { name: 'created-orders' })
      .process(countEachOrderOnce, { name: 'count-each-order-once', stores: [COUNTED_ORDERS_STORE] })
      .groupBy((_id, placed) => placed.order.customerId, {
        name: 'orders-by-customer',
        keySerde: Serdes.Long(),
        valueSerde: Serdes.Json<PlacedOrder>(),
      })
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(FRAUD_SESSION_GAP_MS, FRAUD_SESSION_GRACE_MS))
      .aggregate<CustomerSession>(
        () => ({ total: 0, order: null, placedAt: null, counted: [] }),
        (_customer, placed, session) => addOrder(session, placed),
        (_customer, a, b) => mergeSessions(a, b),
        {
          name: 'sum-session-totals',
          storeName: CUSTOMER_SESSIONS_STORE,
          valueSerde: Serdes.Json<CustomerSession>(),
          // Every update reaches the checks: the record cache would merge a customer's orders between
          // two commits into one session update, and only the last order would get its check.
          caching: false,
        },
      )
      .toStream({ name: 'session-updates' })
      .process(checkEachOrder, { name: 'check-fraud' })
      .to(topics.orderValidations);
  },
});
