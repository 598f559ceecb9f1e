/**
 * orders-view: the `orders` topic as a table, the latest state of every order, kept in the queryable
 * store `orders-store`. The orders HTTP API answers `GET /v1/orders/{id}` from it. The store is restored
 * from the `orders` topic itself, so it needs no changelog topic of its own.
 */
import { defineApp } from 'tributary';
import { topics } from '../schemas/topics.ts';

/** The store the orders HTTP API reads. */
export const ORDERS_STORE = 'orders-store';

export default defineApp({
  applicationId: 'orders-view',
  description: 'The latest state of every order, queryable in the store "orders-store".',
  topics: [topics.orders],
  topology: (builder) => {
    builder.table(topics.orders, { storeName: ORDERS_STORE });
  },
});
