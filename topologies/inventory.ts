/**
 * inventory: can the warehouse fill the order? CREATED orders are re-keyed by product and joined with
 * the `warehouse-inventory` table (units in stock per product, latest value wins). A processor keeps
 * the units reserved per product in the persistent store `reserved-stock`:
 *
 * - PASS when stock − reserved ≥ quantity, and the quantity is reserved;
 * - FAIL otherwise, also when the product has no stock row or the order names no product.
 *
 * Beyond the original: when an order that reserved stock later becomes FAILED (it appears on `orders`
 * with state FAILED: another check or its payment failed), its units are released, once. The store
 * `order-reservations` remembers per order what was decided (reserved, rejected, released), which also
 * makes a redelivered CREATED order harmless: it is neither checked nor reserved twice. It remembers
 * an order for as long as the order can still FAIL and that FAILED reach inventory (see
 * RESERVATIONS_RETENTION_MS); a window store expires older entries by itself.
 *
 * CREATED and FAILED orders take the same path through the re-keying topic, so for each product they
 * reach the processor in the order they were written to `orders`: a release never overtakes its reservation.
 */
import {
  Serdes,
  Stores,
  defineApp,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
  type StreamRecord,
} from 'tributary';
import { topics, type Order, type OrderValidation } from '../schemas/topics.ts';
import { FirstSeen, firstSeenStore } from './shared/first-seen.ts';
import { FIVE_MINUTES_MS, GRACE_MS } from './shared/timing.ts';

export const RESERVED_STOCK_STORE = 'reserved-stock';
export const ORDER_RESERVATIONS_STORE = 'order-reservations';

/**
 * How long (in stream time, from the time the order was placed) inventory remembers what it decided
 * for an order, so that its reservation can be released when the order FAILS:
 *
 * - a FAILED order is stamped at most 10 minutes after it was placed: VALIDATED within 5 minutes of
 *   the order (validations-aggregator's join), its payment within 5 minutes of that (payments' join);
 * - payments, the last to write FAILED, joins only records it still holds: for 5 + 5 minutes plus its
 *   hour of grace, so no FAILED is written after 10 minutes + 1 hour 10 minutes of stream time;
 * - that FAILED may reach inventory up to the grace (1 hour) late, as any record of the system.
 *
 * Older entries expire: a FAILED arriving later releases nothing. A CREATED order older than the
 * retention is ignored (no check, no reservation): it can no longer be told from a copy of an order
 * already decided, and validations-aggregator would drop its checks as too late anyway.
 */
export const RESERVATIONS_RETENTION_MS = 2 * FIVE_MINUTES_MS + (2 * FIVE_MINUTES_MS + GRACE_MS) + GRACE_MS; // the three terms above, in order

/** What the inventory decided for one order. */
export interface Reservation {
  readonly product: string;
  /** Units held for the order (0 unless reserved). */
  readonly quantity: number;
  readonly status: 'reserved' | 'rejected' | 'released';
}

/** An order re-keyed by its product, with the product's units in stock (null: no stock row). */
interface OrderWithStock {
  readonly order: Order;
  readonly unitsInStock: number | null;
}

function inventoryCheck(orderId: string, problem: string | null): OrderValidation {
  return {
    orderId,
    checkType: 'INVENTORY_CHECK',
    validationResult: problem === null ? 'PASS' : 'FAIL',
    reason: problem,
  };
}

function reserveStock(): Processor<string, OrderWithStock, string, OrderValidation> {
  let context: ProcessorContext<string, OrderValidation>;
  let reservedStock: KeyValueStore<string, number>;
  /** Per order, under the time it was placed. */
  let reservations: FirstSeen<Reservation>;

  function check(record: StreamRecord<string, OrderWithStock>): void {
    const product = record.key;
    const { order, unitsInStock } = record.value;
    // Older than the store remembers: it may have been decided already (see RESERVATIONS_RETENTION_MS).
    if (reservations.forgotten(record.timestamp)) return;
    // A redelivered order was decided the first time; deciding again could reserve its units twice.
    if (reservations.recall(order.id) !== undefined) return;
    const reserved = reservedStock.get(product) ?? 0;
    let problem: string | null = null;
    if (unitsInStock === null) problem = `no stock of ${product} in the warehouse`;
    else if (unitsInStock - reserved < order.quantity)
      problem = `${order.quantity} ${product} ordered, ${unitsInStock - reserved} available`;
    // An order for less than one unit (order-details fails it) holds nothing.
    const units = problem === null ? Math.max(order.quantity, 0) : 0;
    if (units > 0) reservedStock.put(product, reserved + units);
    const status = problem === null ? 'reserved' : 'rejected';
    reservations.remember(order.id, { product, quantity: units, status }, record.timestamp);
    context.forward({ ...record, key: order.id, value: inventoryCheck(order.id, problem) });
  }

  function release(product: string, order: Order, failedAt: number): void {
    const entry = reservations.recall(order.id);
    const held = entry?.value;
    // Rejected orders hold nothing, and released ones have given their units back already.
    if (held !== undefined && held.status !== 'reserved') return;
    if (held !== undefined && held.quantity > 0) {
      const reserved = reservedStock.get(product) ?? 0;
      reservedStock.put(product, Math.max(reserved - held.quantity, 0));
    }
    // Also remembered for an order never checked here, so that a CREATED arriving late cannot reserve for it.
    const released: Reservation = { product, quantity: 0, status: 'released' };
    reservations.remember(order.id, released, entry?.windowStart ?? failedAt);
  }

  return {
    init: (c) => {
      context = c;
      reservedStock = c.getStateStore(RESERVED_STOCK_STORE);
      reservations = new FirstSeen(c.getStateStore(ORDER_RESERVATIONS_STORE), RESERVATIONS_RETENTION_MS);
    },
    process: (record) => {
      reservations.advance(record.timestamp);
      const { order } = record.value;
      if (order.state === 'CREATED') check(record);
      else if (order.state === 'FAILED') release(record.key, order, record.timestamp);
    },
  };
}

export default defineApp({
  applicationId: 'inventory',
  description:
    'One INVENTORY_CHECK per CREATED order against warehouse stock minus reserved units; releases the units of orders that fail.',
  topics: [topics.orders, topics.warehouseInventory, topics.orderValidations],
  topology: (builder) => {
    builder
      .addStateStore(
        Stores.keyValue({ name: RESERVED_STOCK_STORE, keySerde: Serdes.String(), valueSerde: Serdes.Int() }),
      )
      .addStateStore(
        firstSeenStore(ORDER_RESERVATIONS_STORE, Serdes.Json<Reservation>(), RESERVATIONS_RETENTION_MS),
      );
    const stock = builder.table(topics.warehouseInventory, { storeName: 'warehouse-stock' });
    const orders = builder.stream(topics.orders);

    // Without a product there is no stock to look at: such an order fails the check at once.
    orders
      .filter((_id, order) => order.state === 'CREATED' && order.product === null, {
        name: 'orders-without-product',
      })
      .mapValues((order) => inventoryCheck(order.id, 'the order names no product'), {
        name: 'fail-without-product',
      })
      .to(topics.orderValidations);

    orders
      .filter(
        (_id, order) => order.product !== null && (order.state === 'CREATED' || order.state === 'FAILED'),
        { name: 'created-or-failed-orders' },
      )
      .selectKey((_id, order): string => order.product!, { name: 'key-by-product' })
      .repartition({ name: 'orders-by-product', keySerde: Serdes.String() })
      .leftJoin(stock, (order, unitsInStock): OrderWithStock => ({ order, unitsInStock }), {
        name: 'with-stock',
      })
      .process(reserveStock, {
        name: 'reserve-stock',
        stores: [RESERVED_STOCK_STORE, ORDER_RESERVATIONS_STORE],
      })
      .to(topics.orderValidations);
  },
});
