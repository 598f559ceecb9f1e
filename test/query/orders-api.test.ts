/**
 * The orders API on two workers of orders-view (broker-free: the stores are written as processing
 * would, the producers remember what they were asked to send). How creates behave when requests race
 * or a worker restarts is in orders-api-owner.test.ts, on real workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, type KeyValueStore, type ValueAndTimestamp } from 'tributary';
import ordersView from '../../topologies/orders-view.ts';
import { ORDERS_STORE } from '../../topologies/http/orders-api.ts';
import { topics, type Customer, type Order } from '../../schemas/topics.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { getJson, ownerOf, startCluster, stopCluster, storeFor, type FakeWorker } from './harness.ts';

const PARTITIONS = 3;
const string = Serdes.String();

let workers: FakeWorker[];
let a: FakeWorker;
let b: FakeWorker;

function view(id: string): KeyValueStore<string, ValueAndTimestamp<Order>> {
  return storeFor(workers, ORDERS_STORE, string.serialize(id), PARTITIONS);
}

function order(id: string, fields: Partial<Order> = {}): Order {
  return {
    id,
    customerId: 7,
    state: 'CREATED',
    product: 'JUMPERS',
    quantity: 2,
    price: 10,
    failureReason: null,
    ...fields,
  };
}

/** What a client posts: an order without the fields the system sets. */
function posted(id: string, fields: Partial<Order> = {}) {
  const { state: _state, failureReason: _reason, ...body } = order(id, fields);
  return body;
}

/** Records every worker was asked to send to a topic. */
function sent(topic: string) {
  return workers.flatMap((w) => w.port.sent.filter((r) => r.topic === topic));
}

const JSON_TYPE = { 'content-type': 'application/json' };
const post = (url: string, body: unknown, headers: Record<string, string> = JSON_TYPE) =>
  getJson(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const put = (url: string, body: unknown) =>
  getJson(url, {
    method: 'PUT',
    headers: JSON_TYPE,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  workers = await startCluster({
    applicationId: ordersView.applicationId,
    topology: () => ordersView.buildTopology(),
    partitions: PARTITIONS,
    tasks: [{ active: ['0_0', '0_1'] }, { active: ['0_2'] }],
    http: ordersView.http,
  });
  [a, b] = workers as [FakeWorker, FakeWorker];
});

afterAll(async () => {
  await stopCluster(workers);
});

/** An id whose partition of orders-store lives on `worker`. */
function idOn(worker: FakeWorker, prefix: string): string {
  for (let i = 0; ; i++) {
    const id = `${prefix}-${i}`;
    if (ownerOf(workers, string.serialize(id), PARTITIONS) === worker) return id;
  }
}

describe('POST /v1/orders', () => {
  it('records a new order as CREATED on the orders topic, keyed by its id, from the worker that owns the id', async () => {
    const id = idOn(b, 'new');
    const response = await post(`${a.url}/v1/orders`, posted(id));
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/v1/orders/${id}`);
    expect(response.body).toEqual(order(id));
    // Asked at A, decided and sent at B, which owns the id.
    expect(a.port.sent.filter((r) => r.topic === 'orders')).toEqual([]);
    const [record] = b.port.sent.filter((r) => r.topic === 'orders');
    expect(record!.partition).toBe(partitionForKey(string.serialize(id), PARTITIONS));
    expect(string.deserialize(record!.key!)).toBe(id);
    expect(topics.orders.valueSerde.deserialize(record!.value!)).toEqual(order(id));
  });

  it('answers a repeat of an order as it answered the original (201), and writes nothing again', async () => {
    const id = idOn(a, 'again');
    const before = sent('orders').length;
    expect(await post(`${b.url}/v1/orders`, posted(id))).toMatchObject({ status: 201 });
    expect(sent('orders')).toHaveLength(before + 1);
    // orders-view has it, and the order moved on meanwhile.
    view(id).put(id, { value: order(id, { state: 'VALIDATED' }), timestamp: 1 });
    for (const worker of workers) {
      const repeat = await post(`${worker.url}/v1/orders`, { ...posted(id), state: 'CREATED' });
      expect(repeat.status).toBe(201);
      expect(repeat.headers.get('location')).toBe(`/v1/orders/${id}`);
      expect(repeat.body).toEqual(order(id));
    }
    expect(sent('orders')).toHaveLength(before + 1);
  });

  it('refuses other values for an existing order id with 409 naming the id and what differs', async () => {
    const id = idOn(b, 'taken');
    view(id).put(id, { value: order(id, { state: 'CONFIRMED' }), timestamp: 1 });
    const before = sent('orders').length;
    for (const worker of workers) {
      expect(await post(`${worker.url}/v1/orders`, posted(id, { quantity: 3, price: 9.5 }))).toMatchObject({
        status: 409,
        body: {
          error: `order "${id}" exists already, with other values (quantity 2, not 3; price 10, not 9.5); an order id is used once`,
        },
      });
    }
    expect(await post(`${a.url}/v1/orders`, posted(id, { product: null }))).toMatchObject({
      status: 409,
      body: {
        error: `order "${id}" exists already, with other values (product "JUMPERS", not null); an order id is used once`,
      },
    });
    expect(sent('orders')).toHaveLength(before);
  });

  /** The order's JSON with a field written as raw JSON text (`1e309` cannot come from JSON.stringify). */
  const withField = (field: string, value: string) =>
    JSON.stringify({ ...posted('x'), [field]: 0 }).replace(`"${field}":0`, `"${field}":${value}`);

  it.each([
    [[1, 2], 'the body must be a JSON object: an Order'],
    [
      { ...posted('x'), state: 'CONFIRMED' },
      'state: a new order is CREATED (or leaves state out), got "CONFIRMED"',
    ],
    [
      { ...posted('x'), failureReason: 'paid' },
      'failureReason: is set by the system when an order fails; a new order has none',
    ],
    [
      { ...posted('x'), colour: 'red' },
      'unknown field "colour": an Order has id, customerId, state, product, quantity, price, failureReason',
    ],
    [{ ...posted('x'), quantity: 'two' }, 'not a valid Order: quantity: expected int, got "two"'],
    [
      withField('quantity', '1e309'),
      'quantity: expected a whole number from -2147483648 to 2147483647, got a number too large for a double (it overflows to infinity)',
    ],
    [
      { ...posted('x'), quantity: 2 ** 31 },
      'quantity: expected a whole number from -2147483648 to 2147483647, got 2147483648',
    ],
    [
      { ...posted('x'), quantity: 1.5 },
      'quantity: expected a whole number from -2147483648 to 2147483647, got 1.5',
    ],
    [
      withField('price', '1e309'),
      'price: expected a finite number, got a number too large for a double (it overflows to infinity)',
    ],
    [
      withField('price', '-1e309'),
      'price: expected a finite number, got a number too large for a double (it overflows to infinity)',
    ],
    [{ ...posted('x'), price: -0.5 }, 'price: expected a number of at least 0, got -0.5'],
    [
      { ...posted('x'), customerId: 2 ** 53 },
      'customerId: expected a whole number from -9007199254740991 to 9007199254740991, got 9007199254740992',
    ],
    [
      withField('customerId', '1e309'),
      'customerId: expected a whole number from -9007199254740991 to 9007199254740991, got a number too large for a double (it overflows to infinity)',
    ],
    [
      { ...posted('x'), product: 'SOCKS' },
      'not a valid Order: product: expected one of JUMPERS, UNDERPANTS, STOCKINGS, got "SOCKS"',
    ],
    [{ customerId: 1, quantity: 1, price: 1 }, 'not a valid Order: id: expected string, got nothing'],
    [{ ...posted('x'), id: 5 }, 'not a valid Order: id: expected string, got 5'],
    ...[' ', '', 'o/2', '../x', 'a\u0000b', '.', '..', '-x', 'ü'].map((id): [unknown, string] => [
      posted(id),
      `id: expected 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit; got ${JSON.stringify(id)}`,
    ]),
    [posted('x'.repeat(65)), 'id: expected at most 64 characters, got 65'],
    [posted('x'.repeat(1_000_000)), 'id: expected at most 64 characters, got 1000000'],
  ])('refuses %j with 400', async (body, error) => {
    const before = sent('orders').length;
    const response = await post(`${a.url}/v1/orders`, body);
    expect(response).toMatchObject({ status: 400, body: { error } });
    expect(sent('orders')).toHaveLength(before);
  });

  it('refuses a body that is not JSON, or not declared JSON (415), and query parameters', async () => {
    const notJson = await post(`${a.url}/v1/orders`, '{"id":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/^the body is not valid JSON/);
    expect(await post(`${a.url}/v1/orders`, posted('t1'), { 'content-type': 'text/plain' })).toMatchObject({
      status: 415,
      body: { error: 'the body must be content-type application/json (UTF-8), got "text/plain"' },
    });
    expect(
      await post(`${a.url}/v1/orders`, posted('t1'), { 'content-type': 'application/x-www-form-urlencoded' }),
    ).toMatchObject({ status: 415 });
    expect(await post(`${a.url}/v1/orders?id=t1`, posted('t1'))).toMatchObject({
      status: 400,
      body: { error: 'unknown parameter "id": this route takes none' },
    });
    expect(sent('orders').filter((r) => string.deserialize(r.key!) === 't1')).toEqual([]);
  });
});

describe('GET /v1/orders/{id}', () => {
  it('long-polls until the order is in orders-store, from either worker', async () => {
    for (const [i, worker] of workers.entries()) {
      for (const id of ['p1', 'p2', 'p3', 'p4']) {
        const key = `${id}-${i}`;
        const waiting = getJson(`${worker.url}/v1/orders/${key}?timeout=3000`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        view(key).put(key, { value: order(key), timestamp: 1 });
        expect(await waiting).toMatchObject({ status: 200, body: order(key) });
      }
    }
  });

  it('answers 504 when the order does not show up in time', async () => {
    expect(await getJson(`${b.url}/v1/orders/never?timeout=100`)).toMatchObject({
      status: 504,
      body: { error: 'order "never" was not found within 100 ms' },
    });
  });

  it.each([
    ['/v1/orders/never?timeout=soon', 'timeout: expected milliseconds from 0 to 120000, got "soon"'],
    ['/v1/orders/never?timeout=1e3', 'timeout: expected milliseconds from 0 to 120000, got "1e3"'],
    ['/v1/orders/never?timeout=1.5', 'timeout: expected milliseconds from 0 to 120000, got "1.5"'],
    ['/v1/orders/never?timeout=-1', 'timeout: expected milliseconds from 0 to 120000, got "-1"'],
    ['/v1/orders/never?timeout=120001', 'timeout: expected milliseconds from 0 to 120000, got "120001"'],
    ['/v1/orders/never?timeout=10&timeout=20', 'parameter "timeout" is given more than once; give it once'],
    ['/v1/orders/never?timout=10', 'unknown parameter "timout"; known: timeout'],
    ['/v1/orders/never/validated?wait=10', 'unknown parameter "wait"; known: timeout'],
    [
      '/v1/orders/a%2Fb',
      `id: expected 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit; got "a/b"`,
    ],
    [
      '/v1/orders/%00',
      `id: expected 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit; got "\\u0000"`,
    ],
    [`/v1/orders/${'x'.repeat(100)}/validated`, 'id: expected at most 64 characters, got 100'],
  ])('GET %s → 400', async (path, error) => {
    expect(await getJson(`${a.url}${path}`)).toMatchObject({ status: 400, body: { error } });
  });

  it('/validated waits until the order is past CREATED', async () => {
    view('v1').put('v1', { value: order('v1'), timestamp: 1 });
    const waiting = getJson(`${a.url}/v1/orders/v1/validated?timeout=3000`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    view('v1').put('v1', { value: order('v1', { state: 'VALIDATED' }), timestamp: 2 });
    expect(await waiting).toMatchObject({ status: 200, body: { id: 'v1', state: 'VALIDATED' } });
    expect(await getJson(`${b.url}/v1/orders/v2/validated?timeout=50`)).toMatchObject({
      status: 504,
      body: { error: 'order "v2" was not validated (it is missing or still CREATED) within 50 ms' },
    });
  });
});

describe('POST /v1/payments', () => {
  it('records a payment keyed by its id', async () => {
    const payment = { id: 'pay1', orderId: 'o1', ccy: 'EUR', amount: 20 };
    const response = await post(`${a.url}/v1/payments`, payment);
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject(payment);
    const record = a.port.sent.filter((r) => r.topic === 'payments').at(-1)!;
    expect(string.deserialize(record.key!)).toBe('pay1');
    expect(topics.payments.valueSerde.deserialize(record.value!)).toEqual(payment);
  });

  const payment = { id: 'p', orderId: 'o1', ccy: 'EUR', amount: 20 };
  it.each([
    [{ id: 'p', orderId: 'o1', ccy: 'EUR' }, 'not a valid Payment: amount: expected double, got nothing'],
    [{ ...payment, amount: 0 }, 'amount: expected a number above 0, got 0'],
    [{ ...payment, amount: -5 }, 'amount: expected a number above 0, got -5'],
    [
      JSON.stringify(payment).replace('"amount":20', '"amount":1e309'),
      'amount: expected a finite number, got a number too large for a double (it overflows to infinity)',
    ],
    [
      { ...payment, ccy: 'XYZ' },
      'ccy: expected a currency code, one of AUD, CAD, CHF, CNY, DKK, EUR, GBP, JPY, NOK, NZD, SEK, USD; got "XYZ"',
    ],
    [
      { ...payment, ccy: 'eur' },
      'ccy: expected a currency code, one of AUD, CAD, CHF, CNY, DKK, EUR, GBP, JPY, NOK, NZD, SEK, USD; got "eur"',
    ],
    [
      { ...payment, id: 'a/b' },
      `id: expected 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit; got "a/b"`,
    ],
    [{ ...payment, orderId: 'o'.repeat(70) }, 'orderId: expected at most 64 characters, got 70'],
    [{ ...payment, state: 'PAID' }, 'unknown field "state": a Payment has id, orderId, ccy, amount'],
  ])('refuses %j with 400', async (body, error) => {
    const before = sent('payments').length;
    expect(await post(`${a.url}/v1/payments`, body)).toMatchObject({ status: 400, body: { error } });
    expect(sent('payments')).toHaveLength(before);
  });
});

describe('PUT /v1/inventory/{product}', () => {
  it('sets the units in stock', async () => {
    expect(await put(`${b.url}/v1/inventory/JUMPERS`, { quantity: 40 })).toMatchObject({
      status: 200,
      body: { product: 'JUMPERS', quantity: 40 },
    });
    const record = b.port.sent.filter((r) => r.topic === 'warehouse-inventory').at(-1)!;
    expect([string.deserialize(record.key!), Serdes.Int().deserialize(record.value!)]).toEqual([
      'JUMPERS',
      40,
    ]);
  });

  it.each([
    ['SOCKS', { quantity: 1 }, 'product: expected one of JUMPERS, UNDERPANTS, STOCKINGS, got "SOCKS"'],
    ['JUMPERS', { quantity: -1 }, 'quantity: expected an integer from 0 to 2147483647, got -1'],
    ['JUMPERS', { quantity: 2 ** 31 }, 'quantity: expected an integer from 0 to 2147483647, got 2147483648'],
    [
      'JUMPERS',
      '{"quantity":1e309}',
      'quantity: expected an integer from 0 to 2147483647, got a number too large for a double (it overflows to infinity)',
    ],
    ['JUMPERS', { units: 1 }, 'unknown field "units": the body is {"quantity": <units in stock>}'],
    ['JUMPERS?force=1', { quantity: 1 }, 'unknown parameter "force": this route takes none'],
  ])('refuses PUT /v1/inventory/%s %j with 400', async (product, body, error) => {
    const before = sent('warehouse-inventory').length;
    expect(await put(`${b.url}/v1/inventory/${product}`, body)).toMatchObject({
      status: 400,
      body: { error },
    });
    expect(sent('warehouse-inventory')).toHaveLength(before);
  });
});

describe('PUT /v1/customers/{id}', () => {
  const customer = {
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@example.com',
    address: '1 Analytical Row',
  };

  it('records a customer, the level defaulting to bronze', async () => {
    const response = await put(`${a.url}/v1/customers/42`, customer);
    const expected: Customer = { id: 42, ...customer, level: 'bronze' };
    expect(response).toMatchObject({ status: 200, body: expected });
    const record = a.port.sent.filter((r) => r.topic === 'customers').at(-1)!;
    expect(Serdes.Long().deserialize(record.key!)).toBe(42);
    expect(topics.customers.valueSerde.deserialize(record.value!)).toEqual(expected);
  });

  it.each([
    ['42', { ...customer, id: 43 }, 'id: the body says 43 but the path says 42'],
    ['x', customer, 'id: expected an integer customer id in the path, got "x"'],
    ['1e3', customer, 'id: expected an integer customer id in the path, got "1e3"'],
    ['9007199254740993', customer, 'id: expected an integer customer id in the path, got "9007199254740993"'],
    [
      '9'.repeat(1000),
      customer,
      `id: expected an integer customer id in the path, got "${'9'.repeat(40)}"… (1000 characters)`,
    ],
    ['42', { ...customer, firstName: ' ' }, 'firstName: must not be blank'],
    ['42', { ...customer, lastName: 'L'.repeat(101) }, 'lastName: expected at most 100 characters, got 101'],
    ['42', { ...customer, address: 'Row\u0000 1' }, 'address: must not contain control characters'],
    ['42', { ...customer, email: 'ada' }, 'email: expected an email address (name@domain), got "ada"'],
    ['42', { ...customer, level: 'x'.repeat(51) }, 'level: expected at most 50 characters, got 51'],
    [
      '42',
      { ...customer, vip: true },
      'unknown field "vip": a Customer has id, firstName, lastName, email, address, level',
    ],
  ])('refuses PUT /v1/customers/%s %j with 400', async (id, body, error) => {
    const before = sent('customers').length;
    expect(await put(`${a.url}/v1/customers/${id}`, body)).toMatchObject({ status: 400, body: { error } });
    expect(sent('customers')).toHaveLength(before);
  });
});
