/**
 * Request bodies of the orders API turned into the records they stand for, checked against the Avro
 * schemas (no fields the schema lacks, every field it needs, each of its type) and the field rules of
 * fields.ts. What the system decides is not the client's to say: a new order is CREATED and has no
 * failureReason.
 */
import { HttpError, SerdeError, type Serde } from 'tributary';
import { schemas, topics, type Customer, type Order, type Payment } from '../../schemas/topics.ts';
import {
  checkCurrency,
  checkEmail,
  checkId,
  checkInt,
  checkLong,
  checkMoney,
  checkText,
  MAX_INT,
  refuse,
  show,
} from './fields.ts';

const MAX_DETAIL = 300;

/** The fields of an order its client chooses; the rest (state, failureReason) the system sets. */
export const CLIENT_ORDER_FIELDS = ['id', 'customerId', 'product', 'quantity', 'price'] as const;

export function newOrder(body: unknown): Order {
  const fields = objectBody(body, 'an Order');
  knownFields(fields, 'Order');
  if (fields.state !== undefined && fields.state !== null && fields.state !== 'CREATED')
    throw refuse('state', `a new order is CREATED (or leaves state out), got ${show(fields.state)}`);
  if (fields.failureReason !== undefined && fields.failureReason !== null)
    throw refuse('failureReason', 'is set by the system when an order fails; a new order has none');
  checkId(fields.id, 'id');
  checkLong(fields.customerId, 'customerId');
  checkInt(fields.quantity, 'quantity');
  checkMoney(fields.price, 'price', { positive: false });
  return record<Order>(topics.orders.valueSerde, 'Order', {
    ...fields,
    state: 'CREATED',
    failureReason: null,
  });
}

export function newPayment(body: unknown): Payment {
  const fields = objectBody(body, 'a Payment');
  knownFields(fields, 'Payment');
  checkId(fields.id, 'id');
  checkId(fields.orderId, 'orderId');
  checkCurrency(fields.ccy, 'ccy');
  checkMoney(fields.amount, 'amount', { positive: true });
  return record<Payment>(topics.payments.valueSerde, 'Payment', fields);
}

/** A customer id as a URL path segment: a whole number within JavaScript's safe integers. */
export function customerIdParam(text: string): number {
  const id = /^-?\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id))
    throw refuse('id', `expected an integer customer id in the path, got ${show(text)}`);
  return id;
}

export function newCustomer(id: number, body: unknown): Customer {
  const fields = objectBody(body, 'a Customer');
  knownFields(fields, 'Customer');
  if (fields.id !== undefined && fields.id !== id)
    throw refuse('id', `the body says ${show(fields.id)} but the path says ${id}`);
  checkText(fields.firstName, 'firstName', 100);
  checkText(fields.lastName, 'lastName', 100);
  checkEmail(fields.email, 'email');
  checkText(fields.address, 'address', 500);
  checkText(fields.level, 'level', 50);
  return record<Customer>(topics.customers.valueSerde, 'Customer', { ...fields, id });
}

/** The body of PUT /v1/inventory/{product}: `{"quantity": <units in stock>}`. */
export function stockQuantity(body: unknown): number {
  const fields = objectBody(body, '{"quantity": <units in stock>}');
  const unknown = Object.keys(fields).filter((k) => k !== 'quantity');
  if (unknown.length > 0)
    throw new HttpError(400, `unknown field ${show(unknown[0])}: the body is {"quantity": <units in stock>}`);
  const quantity = fields.quantity;
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 0 || quantity > MAX_INT)
    throw refuse('quantity', `expected an integer from 0 to ${MAX_INT}, got ${show(quantity)}`);
  return quantity;
}

function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, `the body must be a JSON object: ${what}`);
  return body as Record<string, unknown>;
}

/** Refuses fields the Avro record type does not have. */
function knownFields(body: Record<string, unknown>, name: string): void {
  const fields = avroFields(name);
  const unknown = Object.keys(body).filter((k) => !fields.includes(k));
  if (unknown.length > 0)
    throw new HttpError(
      400,
      `unknown field ${show(unknown[0])}: a${/^[AEIOU]/.test(name) ? 'n' : ''} ${name} has ${fields.join(', ')}`,
    );
}

/** Checks a body against the Avro record type of the topic's serde: every field it needs (defaults filled in), each of its type. */
function record<T>(serde: Serde<T>, name: string, body: Record<string, unknown>): T {
  try {
    return serde.fromJson!(body);
  } catch (error) {
    if (!(error instanceof SerdeError)) throw error;
    // "value does not match Avro type Order: quantity: expected int, got "two"" → the field-level part.
    const detail = error.message.replace(/^value does not match Avro type [^:]*: /, '');
    // The schema check quotes the values it refuses: keep a huge one from filling the answer.
    const short = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}…` : detail;
    throw new HttpError(400, `not a valid ${name}: ${short}`);
  }
}

/** The field names of an Avro record type of schemas/. */
function avroFields(name: string): string[] {
  const type = schemas.type(name) as unknown as { fields: { name: string }[] };
  return type.fields.map((f) => f.name);
}
