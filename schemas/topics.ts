/**
 * The reference orders system's topics in one place: each topic's name with the types of its keys and
 * values, and the Avro schemas (the `.avsc` files beside this one) that encode them.
 */
import { fileURLToPath } from 'node:url';
import { AvroSchemas, Serdes, defineTopic } from 'tributary';

export type OrderState = 'CREATED' | 'VALIDATED' | 'FAILED' | 'CONFIRMED' | 'SHIPPED';
export type Product = 'JUMPERS' | 'UNDERPANTS' | 'STOCKINGS';
export type OrderValidationType = 'INVENTORY_CHECK' | 'FRAUD_CHECK' | 'ORDER_DETAILS_CHECK';
export type OrderValidationResult = 'PASS' | 'FAIL' | 'ERROR';

export interface Order {
  readonly id: string;
  readonly customerId: number;
  readonly state: OrderState;
  /** Null when the order names no product (order-details fails it). */
  readonly product: Product | null;
  readonly quantity: number;
  readonly price: number;
  readonly failureReason?: string | null;
}

export interface OrderValidation {
  readonly orderId: string;
  readonly checkType: OrderValidationType;
  readonly validationResult: OrderValidationResult;
  readonly reason?: string | null;
}

export interface Payment {
  readonly id: string;
  readonly orderId: string;
  readonly ccy: string;
  readonly amount: number;
}

export interface Customer {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly address: string;
  readonly level: string;
}

export interface Email {
  readonly orderId: string;
  readonly customerId: number;
  readonly to: string;
  readonly customerLevel: string;
  readonly subject: string;
  readonly body: string;
}

export const schemas = AvroSchemas.fromDirectory(fileURLToPath(new URL('.', import.meta.url)));

export const topics = {
  orders: defineTopic('orders', Serdes.String(), schemas.serde<Order>('Order')),
  orderValidations: defineTopic(
    'order-validations',
    Serdes.String(),
    schemas.serde<OrderValidation>('OrderValidation'),
  ),
  warehouseInventory: defineTopic('warehouse-inventory', Serdes.String(), Serdes.Int()),
  payments: defineTopic('payments', Serdes.String(), schemas.serde<Payment>('Payment')),
  customers: defineTopic('customers', Serdes.Long(), schemas.serde<Customer>('Customer')),
  emails: defineTopic('emails', Serdes.String(), schemas.serde<Email>('Email')),
};

export const products: readonly Product[] = ['JUMPERS', 'UNDERPANTS', 'STOCKINGS'];
