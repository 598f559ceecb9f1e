/**
 * The orders HTTP API, the "UI service" of the article: it turns requests into events and answers
 * from the `orders-store` view that orders-view keeps. Workers that run orders-view serve it (any of
 * them: a read goes to the worker that owns the order's key); the test driver and replay ignore it.
 *
 *   POST /v1/orders                       an Order without state (or CREATED) → 201, Location
 *   GET  /v1/orders/{id}?timeout=ms       the order, as soon as it is in orders-store (504 after timeout)
 *   GET  /v1/orders/{id}/validated?timeout=ms   the order once it is past CREATED
 *   POST /v1/payments                     a Payment → 202
 *   PUT  /v1/inventory/{product}          {"quantity": units in stock} → 200
 *   PUT  /v1/customers/{id}               a Customer → 200
 *
 * Bodies are checked against the Avro schemas; a bad one is a 400 naming the field and the reason.
 */
import {
  HttpError,
  QueryTimeoutError,
  SerdeError,
  json,
  type AppHttp,
  type HttpRequest,
  type Serde,
} from 'tributary';
import {
  products,
  schemas,
  topics,
  type Customer,
  type Order,
  type Payment,
  type Product,
} from '../../schemas/topics.ts';

export const ORDERS_STORE = 'orders-store';
/** How long a GET waits for the order when the request does not say. */
export const DEFAULT_TIMEOUT_MS = 5_000;
export const MAX_TIMEOUT_MS = 120_000;
const MAX_INT = 2 ** 31 - 1;

export const ordersApi: AppHttp = (routes, context) => {
  const orders = context.store<string, Order>(ORDERS_STORE);

  routes.post('/v1/orders', async (request) => {
    const body = objectBody(await request.json(), 'an Order');
    if (body.state !== undefined && body.state !== null && body.state !== 'CREATED')
      throw new HttpError(
        400,
        `state: a new order is CREATED (or leaves state out), got ${JSON.stringify(body.state)}`,
      );
    const order = record<Order>(topics.orders.valueSerde, 'Order', { ...body, state: 'CREATED' });
    if (order.id.trim() === '') throw new HttpError(400, 'id: must not be empty');
    await context.send(topics.orders, order.id, order);
    return json(201, order, { location: `/v1/orders/${encodeURIComponent(order.id)}` });
  });

  routes.get('/v1/orders/:id', async (request) => {
    const id = request.params.id!;
    const timeout = timeoutParam(request);
    return json(200, await waitForOrder(id, (o) => o !== undefined, timeout, request, 'was not found'));
  });

  routes.get('/v1/orders/:id/validated', async (request) => {
    const id = request.params.id!;
    const timeout = timeoutParam(request);
    const order = await waitForOrder(
      id,
      (o) => o !== undefined && o.state !== 'CREATED',
      timeout,
      request,
      'was not validated (it is missing or still CREATED)',
    );
    return json(200, order);
  });

  routes.post('/v1/payments', async (request) => {
    const payment = record<Payment>(
      topics.payments.valueSerde,
      'Payment',
      objectBody(await request.json(), 'a Payment'),
    );
    if (payment.id.trim() === '') throw new HttpError(400, 'id: must not be empty');
    if (payment.orderId.trim() === '') throw new HttpError(400, 'orderId: must not be empty');
    const sent = await context.send(topics.payments, payment.id, payment);
    return json(202, { ...payment, partition: sent.partition, offset: sent.offset });
  });

  routes.put('/v1/inventory/:product', async (request) => {
    const product = request.params.product!;
    if (!products.includes(product as Product))
      throw new HttpError(400, `product: expected one of ${products.join(', ')}, got "${product}"`);
    const body = objectBody(await request.json(), '{"quantity": <units in stock>}');
    const unknown = Object.keys(body).filter((k) => k !== 'quantity');
    if (unknown.length > 0)
      throw new HttpError(400, `unknown field "${unknown[0]}": the body is {"quantity": <units in stock>}`);
    const quantity = body.quantity;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 0 || quantity > MAX_INT)
      throw new HttpError(
        400,
        `quantity: expected an integer from 0 to ${MAX_INT}, got ${JSON.stringify(quantity)}`,
      );
    await context.send(topics.warehouseInventory, product, quantity);
    return json(200, { product, quantity });
  });

  routes.put('/v1/customers/:id', async (request) => {
    const idText = request.params.id!;
    const id = Number(idText);
    if (!/^-?\d+$/.test(idText) || !Number.isSafeInteger(id))
      throw new HttpError(400, `id: expected an integer customer id in the path, got "${idText}"`);
    const body = objectBody(await request.json(), 'a Customer');
    if (body.id !== undefined && body.id !== id)
      throw new HttpError(400, `id: the body says ${JSON.stringify(body.id)} but the path says ${id}`);
    const customer = record<Customer>(topics.customers.valueSerde, 'Customer', { ...body, id });
    await context.send(topics.customers, id, customer);
    return json(200, customer);
  });

  /** Long poll on orders-store, at the worker that owns the order; a timeout is a 504 saying what was awaited. */
  async function waitForOrder(
    id: string,
    predicate: (order: Order | undefined) => boolean,
    timeout: number,
    request: HttpRequest,
    missing: string,
  ): Promise<Order | undefined> {
    try {
      return await orders.waitFor(id, predicate, timeout, { signal: request.signal });
    } catch (error) {
      if (error instanceof QueryTimeoutError)
        throw new HttpError(504, `order "${id}" ${missing} within ${timeout} ms`);
      throw error;
    }
  }
};

function timeoutParam(request: HttpRequest): number {
  const raw = request.query.get('timeout');
  if (raw === null) return DEFAULT_TIMEOUT_MS;
  const timeout = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_TIMEOUT_MS)
    throw new HttpError(400, `timeout: expected milliseconds from 0 to ${MAX_TIMEOUT_MS}, got "${raw}"`);
  return timeout;
}

function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, `the body must be a JSON object: ${what}`);
  return body as Record<string, unknown>;
}

/**
 * Checks a body against the Avro record type of the topic's serde: no fields the schema lacks, every
 * field it needs (defaults filled in), each of the right type.
 */
function record<T>(serde: Serde<T>, name: string, body: Record<string, unknown>): T {
  const fields = avroFields(name);
  const unknown = Object.keys(body).filter((k) => !fields.includes(k));
  if (unknown.length > 0)
    throw new HttpError(
      400,
      `unknown field "${unknown[0]}": a${/^[AEIOU]/.test(name) ? 'n' : ''} ${name} has ${fields.join(', ')}`,
    );
  try {
    return serde.fromJson!(body);
  } catch (error) {
    if (!(error instanceof SerdeError)) throw error;
    // "value does not match Avro type Order: quantity: expected int, got "two"" → the field-level part.
    const detail = error.message.replace(/^value does not match Avro type [^:]*: /, '');
    throw new HttpError(400, `not a valid ${name}: ${detail}`);
  }
}

/** The field names of an Avro record type of schemas/. */
function avroFields(name: string): string[] {
  const type = schemas.type(name) as unknown as { fields: { name: string }[] };
  return type.fields.map((f) => f.name);
}
