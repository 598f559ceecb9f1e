/**
 * emails: one email per confirmed order. CONFIRMED orders (the payments application writes one per
 * order) are joined with the `customers` GlobalKTable, looked up by the order's customer id, and the
 * email is written to `emails` keyed by order id. An order whose customer is unknown gets no email (an
 * inner join: there is no address to write to); it is CONFIRMED all the same, since the customer is
 * not one of the checks.
 *
 * One email per order under either processing guarantee: an order that has an email on `emails`
 * already (the GlobalKTable `sent-emails`, loaded to the topic's end before processing starts) gets
 * none again. Under at-least-once a crash can leave emails written whose CONFIRMED orders are then
 * read again.
 */
import { defineApp } from 'tributary';
import { topics, type Customer, type Email, type Order } from '../schemas/topics.ts';

export const SENT_EMAILS_STORE = 'sent-emails';

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

/** A confirmed order, and whether an email for it is on `emails` already. */
interface ConfirmedOrder {
  readonly order: Order;
  readonly emailed: boolean;
}

export default defineApp({
  applicationId: 'emails',
  description: 'One Email per CONFIRMED order, addressed to its customer (customers GlobalKTable).',
  topics: [topics.orders, topics.customers, topics.emails],
  topology: (builder) => {
    const customers = builder.globalTable(topics.customers, { storeName: 'customers' });
    const confirmedOrders = builder
      .stream(topics.orders)
      .filter((_id, order) => order.state === 'CONFIRMED', { name: 'confirmed-orders' });
    const sentEmails = builder.globalTable(topics.emails, { storeName: SENT_EMAILS_STORE });
    confirmedOrders
      .leftJoin(
        sentEmails,
        (orderId) => orderId,
        (order, email): ConfirmedOrder => ({ order, emailed: email !== null }),
        { name: 'with-sent-email' },
      )
      .filter((_id, confirmed) => !confirmed.emailed, { name: 'not-emailed-yet' })
      .join(
        customers,
        (_id, { order }) => order.customerId,
        ({ order }, customer) => confirmationEmail(order, customer),
        { name: 'with-customer' },
      )
      .to(topics.emails);
  },
});
