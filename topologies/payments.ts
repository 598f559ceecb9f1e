/**
 * payments: settles validated orders against their payments. Payments are re-keyed by order id and
 * joined with VALIDATED orders within 5 minutes either way (a stream-stream join: a payment may come
 * before or after its order is validated). A payment of at least quantity × price CONFIRMS the order;
 * a smaller one FAILS it.
 *
 * The first payment that meets the validated order settles it, under either processing guarantee; the
 * processor `settle-once` settles only an order not settled yet as far as anything durable tells:
 *
 * - it remembers settled orders (store `settled-orders`), so a second payment for the same order
 *   changes nothing: it neither confirms a failed order nor fails a confirmed one (refunds and top-ups
 *   are out of scope). A settlement is remembered for as long as the join can produce another result
 *   for the order (see SETTLED_ORDERS_RETENTION_MS); a window store expires older ones by itself;
 * - the GlobalKTable `known-orders` (the `orders` topic, loaded to its end before processing starts)
 *   holds what was written for the order before this run: under at-least-once a crash can lose the
 *   last settlements from `settled-orders` while they are on `orders` already, and the order and its
 *   payment are then joined again. An order CONFIRMED or FAILED there is settled.
 *
 * An order whose payment never comes within the window stays VALIDATED. Currencies are not converted:
 * the amount is compared as is.
 */
import { JoinWindows, Serdes, defineApp, type Processor, type ProcessorContext } from 'tributary';
import { topics, type Order, type Payment } from '../schemas/topics.ts';
import { hasReached } from '../schemas/order-states.ts';
import { FirstSeen, firstSeenStore } from './shared/first-seen.ts';
import { FIVE_MINUTES_MS, GRACE_MS, JOIN_RESULTS_SPAN_MS } from './shared/timing.ts';

export const SETTLED_ORDERS_STORE = 'settled-orders';
/** The `orders` topic as a global table: how far each order had got before this run (see settleOnce). */
export const KNOWN_ORDERS_STORE = 'known-orders';
/**
 * How long (in stream time, from the settlement's time) `settle-once` remembers a settled order: as
 * long as the join of VALIDATED orders and payments can produce another result for the order.
 */
export const SETTLED_ORDERS_RETENTION_MS = JOIN_RESULTS_SPAN_MS;

interface PaidOrder {
  readonly order: Order;
  readonly payment: Payment;
}

/** A validated order and its payment, with the order as the `orders` topic had it when they met. */
interface PaidKnownOrder extends PaidOrder {
  readonly known: Order | null;
}

/** What the order costs, rounded to cents as prices are. */
export function orderValue(order: Order): number {
  return Math.round(order.quantity * order.price * 100) / 100;
}

export function settle({ order, payment }: PaidOrder): Order {
  const due = orderValue(order);
  if (payment.amount >= due) return { ...order, state: 'CONFIRMED', failureReason: null };
  return {
    ...order,
    state: 'FAILED',
    failureReason: `payment ${payment.id} of ${payment.amount} ${payment.ccy} is less than the order value ${due}`,
  };
}

/**
 * Settles each order with the first payment that meets it, unless it is settled already: in the store
 * (the settling payment's id, under the time of the settlement), or on the `orders` topic.
 */
function settleOnce(): Processor<string, PaidKnownOrder, string, Order> {
  let context: ProcessorContext<string, Order>;
  let settled: FirstSeen<string>;
  return {
    init: (c) => {
      context = c;
      settled = new FirstSeen(c.getStateStore(SETTLED_ORDERS_STORE), SETTLED_ORDERS_RETENTION_MS);
    },
    process: (record) => {
      const { order, payment, known } = record.value;
      if (known !== null && hasReached(known.state, 'CONFIRMED')) return;
      if (!settled.first(order.id, payment.id, record.timestamp)) return;
      context.forward({ ...record, key: order.id, value: settle({ order, payment }) });
    },
  };
}

export default defineApp({
  applicationId: 'payments',
  description:
    'CONFIRMS a VALIDATED order paid in full within 5 minutes, FAILS it when paid less; the first payment settles it.',
  topics: [topics.orders, topics.payments],
  topology: (builder) => {
    builder.addStateStore(firstSeenStore(SETTLED_ORDERS_STORE, Serdes.String(), SETTLED_ORDERS_RETENTION_MS));
    const paymentsByOrder = builder
      .stream(topics.payments)
      .selectKey((_paymentId, payment) => payment.orderId, { name: 'key-by-order' })
      .repartition({
        name: 'payments-by-order',
        keySerde: Serdes.String(),
        valueSerde: topics.payments.valueSerde,
      });
    const paidOrders = builder
      .stream(topics.orders)
      .filter((_id, order) => order.state === 'VALIDATED', { name: 'validated-orders' })
      .join(
        paymentsByOrder,
        (order, payment): PaidOrder => ({ order, payment }),
        JoinWindows.ofTimeDifferenceAndGrace(FIVE_MINUTES_MS, GRACE_MS),
        { name: 'with-payment', storeName: 'orders-with-payments' },
      );
    const knownOrders = builder.globalTable(topics.orders, { storeName: KNOWN_ORDERS_STORE });
    paidOrders
      .leftJoin(
        knownOrders,
        (orderId) => orderId,
        (paid, known): PaidKnownOrder => ({ ...paid, known }),
        { name: 'with-known-order' },
      )
      .process(settleOnce, { name: 'settle-once', stores: [SETTLED_ORDERS_STORE] })
      .to(topics.orders);
  },
});
