/** What the orders topology tests share: the applications in the command line's order, and test data. */
import type { TributaryApp } from 'tributary';
import { TopologyTestDriver, type TopologyTestDriverOptions } from 'tributary/testing';
import emails from '../../topologies/emails.ts';
import fraud from '../../topologies/fraud.ts';
import inventory from '../../topologies/inventory.ts';
import orderDetails from '../../topologies/order-details.ts';
import ordersView from '../../topologies/orders-view.ts';
import payments from '../../topologies/payments.ts';
import validationsAggregator from '../../topologies/validations-aggregator.ts';
import type { Customer, Order, OrderValidation, Payment } from '../../schemas/topics.ts';

/**
 * All seven applications, in the order `topologies/*.ts` expands to in a shell (by file name): the
 * order in which replay delivers each record to them, which the golden files record.
 */
export const orderApps: readonly TributaryApp[] = [
  emails,
  fraud,
  inventory,
  orderDetails,
  ordersView,
  payments,
  validationsAggregator,
];

/** 2023-11-14T22:13:20Z: recordings count from here. */
export const T0 = 1_700_000_000_000;
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export function order(id: string, fields: Partial<Order> = {}): Order {
  return { id, customerId: 1, state: 'CREATED', product: 'JUMPERS', quantity: 1, price: 10, ...fields };
}

export function validation(
  orderId: string,
  checkType: OrderValidation['checkType'],
  validationResult: OrderValidation['validationResult'] = 'PASS',
  reason: string | null = null,
): OrderValidation {
  return { orderId, checkType, validationResult, reason };
}

export function payment(id: string, orderId: string, amount: number): Payment {
  return { id, orderId, ccy: 'EUR', amount };
}

export function customer(id: number, firstName: string, fields: Partial<Customer> = {}): Customer {
  return {
    id,
    firstName,
    lastName: 'Tester',
    email: `${firstName.toLowerCase()}@example.com`,
    address: `${id} Test Road`,
    level: 'bronze',
    ...fields,
  };
}

/** A test driver running one application, under its own application id. */
export function driverFor(
  app: TributaryApp,
  options: TopologyTestDriverOptions = {},
): Promise<TopologyTestDriver> {
  return TopologyTestDriver.create(app.buildTopology(), { applicationId: app.applicationId, ...options });
}
