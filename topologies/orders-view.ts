/**
 * orders-view: the `orders` topic as a table, the furthest state of every order, kept in the queryable
 * store `orders-store`. The orders HTTP API answers `GET /v1/orders/{id}` from it. An update that
 * would set an order back (a record read again after a crash, an older copy) is ignored: the store
 * keeps the order as it was (see schemas/order-states.ts), so the view and the API only ever move an
 * order forward. The store has a changelog topic of its own (the `orders` topic holds every update,
 * not the one kept). Workers running it with `--http` serve the orders HTTP API (http/orders-api.ts).
 */
import { defineApp } from 'tributary';
import { topics } from '../schemas/topics.ts';
import { furthest } from '../schemas/order-states.ts';
import { ordersApi } from './http/orders-api.ts';

/** The store the orders HTTP API reads. */
export const ORDERS_STORE = 'orders-store';

export default defineApp({
  applicationId: 'orders-view',
  description: 'The furthest state of every order, queryable in the store "orders-store".',
  topics: [topics.orders],
  topology: (builder) => {
    builder
      .stream(topics.orders)
      .groupByKey()
      .reduce((kept, next) => furthest(kept, next), { name: 'furthest-state', storeName: ORDERS_STORE });
  },
  http: ordersApi,
});
