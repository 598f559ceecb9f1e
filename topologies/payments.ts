/**
 * payments: settles validated orders against their payments. Payments are re-keyed by order id and
 * joined with VALIDATED orders within 5 minutes either way (a stream-stream join: a payment may come
 * before or after its order is validated). A payment of at least quantity × price CONFIRMS the order;
 * a smaller one FAILS it.
 *
 * The first payment that meets the validated order settles it; the processor `settle-once` remembers
 * settled orders (store `settled-orders`), so a second payment for the same order changes nothing: it
 * neither confirms a failed order nor fails a confirmed one (refunds and top-ups are out of scope). An
 * order whose payment never comes within the window stays VALIDATED. Currencies are not converted: the
 * amount is compared as is.
 */
import {
  JoinWindows,
  Serdes,
  Stores,
  defineApp,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
} from 'tributary';
import { topics, type Order, type Payment } from '../schemas/topics.ts';

export const FIVE_MINUTES_MS = 5 * 60_000;
/** How late (in stream time) an order or a payment may arrive and still be joined. */
export const GRACE_MS = 60 * 60_000;
export const SETTLED_ORDERS_STORE = 'settled-orders';

interface PaidOrder {
  readonly order: Order;
  readonly payment: Payment;
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

function settleOnce(): Processor<string, PaidOrder, string, Order> {
  let context: ProcessorContext<string, Order>;
  let settled: KeyValueStore<string, string>;
  return {
    init: (c) => {
      context = c;
      settled = c.getStateStore(SETTLED_ORDERS_STORE);
    },
    process: (record) => {
      const { order, payment } = record.value;
      if (settled.get(order.id) !== undefined) return;
      settled.put(order.id, payment.id);
      context.forward({ ...record, key: order.id, value: settle(record.value) });
    },
  };
}

export default defineApp({
  applicationId: 'payments',
  description:
    'CONFIRMS a VALIDATED order paid in full within 5 minutes, FAILS it when paid less; the first payment settles it.',
  topics: [topics.orders, topics.payments],
  topology: (builder) => {
    builder.addStateStore(
      Stores.keyValue({ name: SETTLED_ORDERS_STORE, keySerde: Serdes.String(), valueSerde: Serdes.String() }),
    );
    const paymentsByOrder = builder
      .stream(topics.payments)
      .selectKey((_paymentId, payment) => payment.orderId, { name: 'key-by-order' })
      .repartition({
        name: 'payments-by-order',
        keySerde: Serdes.String(),
        valueSerde: topics.payments.valueSerde,
      });
    builder
      .stream(topics.orders)
      .filter((_id, order) => order.state === 'VALIDATED', { name: 'validated-orders' })
      .join(
        paymentsByOrder,
        (order, payment): PaidOrder => ({ order, payment }),
        JoinWindows.ofTimeDifferenceAndGrace(FIVE_MINUTES_MS, GRACE_MS),
        { name: 'with-payment', storeName: 'orders-with-payments' },
      )
      .process(settleOnce, { name: 'settle-once', stores: [SETTLED_ORDERS_STORE] })
      .to(topics.orders);
  },
});
