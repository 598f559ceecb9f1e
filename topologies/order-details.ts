/**
 * order-details: checks what can be checked from the order alone. For each CREATED order it writes one
 * ORDER_DETAILS_CHECK to `order-validations`: FAIL when the quantity is below one, the price is
 * negative or no product is named; PASS otherwise. Stateless: a filter and a mapValues.
 */
import { defineApp } from 'tributary';
import { topics, type Order, type OrderValidation } from '../schemas/topics.ts';

/** What is wrong with the order's details, or null when nothing is. */
export function detailsProblem(order: Order): string | null {
  if (order.quantity < 1) return `quantity ${order.quantity} is less than 1`;
  if (order.price < 0) return `price ${order.price} is negative`;
  if (order.product === null) return 'the order names no product';
  return null;
}

export default defineApp({
  applicationId: 'order-details',
  description:
    'One ORDER_DETAILS_CHECK per CREATED order: quantity at least 1, price not negative, a product named.',
  topics: [topics.orders, topics.orderValidations],
  topology: (builder) => {
    builder
      .stream(topics.orders)
      .filter((_id, order) => order.state === 'CREATED', { name: 'created-orders' })
      .mapValues(
        (order): OrderValidation => {
          const problem = detailsProblem(order);
          return {
            orderId: order.id,
            checkType: 'ORDER_DETAILS_CHECK',
            validationResult: problem === null ? 'PASS' : 'FAIL',
            reason: problem,
          };
        },
        { name: 'check-details' },
      )
      .to(topics.orderValidations);
  },
});
