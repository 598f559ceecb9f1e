/**
 * The orders HTTP API, the "UI service" of the article: it turns requests into events and answers
 * from the `orders-store` view that orders-view keeps. Workers that run orders-view serve it (any of
 * them: a request about an order goes to the worker that owns the order's key); the test driver and
 * replay ignore it.
 *
 *   POST /v1/orders                       an Order without state (or CREATED) → 201, Location;
 *                                         the same order again → 201 as before; other values → 409
 *   GET  /v1/orders/{id}?timeout=ms       the order, as soon as it is in orders-store (504 after timeout)
 *   GET  /v1/orders/{id}/validated?timeout=ms   the order once it is past CREATED
 *   POST /v1/payments                     a Payment → 202
 *   PUT  /v1/inventory/{product}          {"quantity": units in stock} → 200
 *   PUT  /v1/customers/{id}               a Customer → 200
 *
 * Bodies are JSON (415 otherwise), checked against the Avro schemas and the rules of fields.ts; a bad
 * one is a 400 naming the field and the reason. docs/queries.md lists every status and limit.
 */
import {
  HttpError,
  QueryTimeoutError,
  json,
  type AppHttp,
  type HttpRequest,
  type HttpResponse,
} from 'tributary';
import { products, topics, type Order, type Product } from '../../schemas/topics.ts';
import {
  CLIENT_ORDER_FIELDS,
  customerIdParam,
  newCustomer,
  newOrder,
  newPayment,
  stockQuantity,
} from './bodies.ts';
import { checkId, show } from './fields.ts';

export const ORDERS_STORE = 'orders-store';
/** How long a GET waits for the order when the request does not say. */
export const DEFAULT_TIMEOUT_MS = 5_000;
export const MAX_TIMEOUT_MS = 120_000;

export const ordersApi: AppHttp = (routes, context) => {
  const orders = context.store<string, Order>(ORDERS_STORE);

  /**
   * An order id is used once. The create is decided at the worker that owns the id's partition of
   * orders-store, one request per id at a time, against orders-store once it holds everything the
   * `orders` partition held: a repeat of the order (a client retrying) gets the answer the first
   * request got, and nothing is written again; other values for the id get a 409.
   */
  routes.post('/v1/orders', async (request) => {
    noParams(request);
    const order = newOrder(await request.json());
    return orders.atOwner(order.id, request, async (existing) => {
      if (existing !== undefined) {
        const differing = CLIENT_ORDER_FIELDS.filter((field) => existing[field] !== order[field]);
        if (differing.length > 0)
          throw new HttpError(
            409,
            `order "${order.id}" exists already, with other values (${differing
              .map((field) => `${field} ${show(existing[field])}, not ${show(order[field])}`)
              .join('; ')}); an order id is used once`,
          );
      } else {
        await context.send(topics.orders, order.id, order);
      }
      return json(201, order, { location: `/v1/orders/${encodeURIComponent(order.id)}` });
    });
  });

  routes.get('/v1/orders/:id', async (request) => {
    const id = orderIdParam(request);
    const timeout = timeoutParam(request);
    return readOrder(id, (o) => o !== undefined, timeout, request, 'was not found');
  });

  routes.get('/v1/orders/:id/validated', async (request) => {
    const id = orderIdParam(request);
    const timeout = timeoutParam(request);
    return readOrder(
      id,
      (o) => o !== undefined && o.state !== 'CREATED',
      timeout,
      request,
      'was not validated (it is missing or still CREATED)',
    );
  });

  routes.post('/v1/payments', async (request) => {
    noParams(request);
    const payment = newPayment(await request.json());
    const sent = await context.send(topics.payments, payment.id, payment);
    return json(202, { ...payment, partition: sent.partition, offset: sent.offset });
  });

  routes.put('/v1/inventory/:product', async (request) => {
    noParams(request);
    const product = request.params.product!;
    if (!products.includes(product as Product))
      throw new HttpError(400, `product: expected one of ${products.join(', ')}, got ${show(product)}`);
    const quantity = stockQuantity(await request.json());
    await context.send(topics.warehouseInventory, product, quantity);
    return json(200, { product, quantity });
  });

  routes.put('/v1/customers/:id', async (request) => {
    noParams(request);
    const id = customerIdParam(request.params.id!);
    const customer = newCustomer(id, await request.json());
    await context.send(topics.customers, id, customer);
    return json(200, customer);
  });

  /**
   * The order once `predicate` holds, read at the worker that owns it once its orders-store holds
   * everything the `orders` partition held when the request came. A worker restarted after a crash
   * serves its store as of the last commit while it processes the records since; reading only once it
   * has caught up, the API never answers with a state older than one it gave before the crash.
   */
  async function readOrder(
    id: string,
    predicate: (order: Order | undefined) => boolean,
    timeout: number,
    request: HttpRequest,
    missing: string,
  ): Promise<HttpResponse> {
    const started = Date.now();
    let waitHere = false;
    const answer = await orders.atOwner(id, request, async (current) => {
      if (predicate(current)) return json(200, current);
      // Not yet: wait below, outside atOwner's one-request-per-id section (a POST of the id must get in).
      waitHere = true;
      return json(202, {});
    });
    if (!waitHere) return answer;
    const left = Math.max(0, timeout - (Date.now() - started));
    return json(200, await waitForOrder(id, predicate, timeout, request, missing, left));
  }

  /** Long poll on orders-store for `waitMs` of the request's `timeout`; a timeout is a 504 saying what was awaited. */
  async function waitForOrder(
    id: string,
    predicate: (order: Order | undefined) => boolean,
    timeout: number,
    request: HttpRequest,
    missing: string,
    waitMs: number,
  ): Promise<Order | undefined> {
    try {
      return await orders.waitFor(id, predicate, waitMs, { signal: request.signal });
    } catch (error) {
      if (error instanceof QueryTimeoutError)
        throw new HttpError(504, `order "${id}" ${missing} within ${timeout} ms`);
      throw error;
    }
  }
};

function orderIdParam(request: HttpRequest): string {
  const id = request.params.id!;
  checkId(id, 'id');
  return id;
}

/** `timeout`, the only parameter of the GET routes: once, in whole milliseconds. */
function timeoutParam(request: HttpRequest): number {
  noParams(request, ['timeout']);
  const raw = request.query.get('timeout');
  if (raw === null) return DEFAULT_TIMEOUT_MS;
  const timeout = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(timeout <= MAX_TIMEOUT_MS))
    throw new HttpError(400, `timeout: expected milliseconds from 0 to ${MAX_TIMEOUT_MS}, got ${show(raw)}`);
  return timeout;
}

/** Refuses query parameters the route does not take (a typo is not silently ignored) and repeated ones. */
function noParams(request: HttpRequest, allowed: readonly string[] = []): void {
  for (const name of new Set(request.query.keys())) {
    if (!allowed.includes(name))
      throw new HttpError(
        400,
        `unknown parameter ${show(name)}${allowed.length > 0 ? `; known: ${allowed.join(', ')}` : ': this route takes none'}`,
      );
    if (request.query.getAll(name).length > 1)
      throw new HttpError(400, `parameter ${show(name)} is given more than once; give it once`);
  }
}
