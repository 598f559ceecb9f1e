/**
 * emails: one email per confirmed order. CONFIRMED orders (the payments application writes one per
 * order) are joined with the `customers` GlobalKTable, looked up by the order's customer id, and the
 * email is written to `emails` keyed by order id. An order whose customer is unknown gets no email (an
 * inner join: there is no address to write to).
 */
import { defineApp } from 'tributary';
import { topics, type Customer, type Email, type Order } from '../schemas/topics.ts';

export function confirmationEmail(order: Order, customer: Customer): Email {
  const total = order.quantity * order.price;
  return {
    orderId: order.id,
    customerId: customer.id,
    to: customer.email,
    customerLevel: customer.level,
    subject: `Your order ${order.id} is confirmed`,
    body:
      `Dear ${customer.firstName} ${customer.lastName}, your order of ${order.quantity} ` +
      `${order.product ?? 'items'} for ${total.toFixed(2)} is paid. We will send it to ${customer.address}.`,
  };
}

export default defineApp({
  applicationId: 'emails',
  description: 'One Email per CONFIRMED order, addressed to its customer (customers GlobalKTable).',
  topics: [topics.orders, topics.customers, topics.emails],
  topology: (builder) => {
    const customers = builder.globalTable(topics.customers, { storeName: 'customers' });
    builder
      .stream(topics.orders)
      .filter((_id, order) => order.state === 'CONFIRMED', { name: 'confirmed-orders' })
      .join(
        customers,
        (_id, order) => order.customerId,
        (order, customer) => confirmationEmail(order, customer),
        { name: 'with-customer' },
      )
      .to(topics.emails);
  },
});
