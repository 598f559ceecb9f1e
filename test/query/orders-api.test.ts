import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, type KeyValueStore, type ValueAndTimestamp } from 'tributary';
import ordersView from '../../topologies/orders-view.ts';
import { ORDERS_STORE } from '../../topologies/http/orders-api.ts';
import { topics, type Customer, type Order } from '../../schemas/topics.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { getJson, startCluster, stopCluster, storeFor, type FakeWorker } from './harness.ts';

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

function sent(worker: FakeWorker, topic: string) {
  return worker.port.sent.filter((r) => r.topic === topic);
}

const JSON_TYPE = { 'content-type': 'application/json' };
const post = (url: string, body: unknown) =>
  getJson(url, {
    method: 'POST',
    headers: JSON_TYPE,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const put = (url: string, body: unknown) =>
  getJson(url, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify(body) });

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

describe('POST /v1/orders', () => {
  it('records a new order as CREATED on the orders topic, keyed by its id', async () => {
    const response = await post(`${a.url}/v1/orders`, {
      id: 'o1',
      customerId: 7,
      product: 'JUMPERS',
      quantity: 2,
      price: 10,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/v1/orders/o1');
    expect(response.body).toEqual(order('o1'));
    const [record] = sent(a, 'orders');
    expect(record!.partition).toBe(partitionForKey(string.serialize('o1'), PARTITIONS));
    expect(string.deserialize(record!.key!)).toBe('o1');
    expect(topics.orders.valueSerde.deserialize(record!.value!)).toEqual(order('o1'));
    const created = await post(`${b.url}/v1/orders`, { ...order('o/2'), failureReason: undefined });
    expect(created.headers.get('location')).toBe('/v1/orders/o%2F2');
  });

  it.each([
    [[1, 2], 'the body must be a JSON object: an Order'],
    [
      { ...order('x'), state: 'CONFIRMED' },
      'state: a new order is CREATED (or leaves state out), got "CONFIRMED"',
    ],
    [
      { ...order('x'), colour: 'red' },
      'unknown field "colour": an Order has id, customerId, state, product, quantity, price, failureReason',
    ],
    [{ ...order('x'), quantity: 'two' }, 'not a valid Order: quantity: expected int, got "two"'],
    [
      { ...order('x'), product: 'SOCKS' },
      'not a valid Order: product: expected one of JUMPERS, UNDERPANTS, STOCKINGS, got "SOCKS"',
    ],
    [{ customerId: 1, quantity: 1, price: 1 }, 'not a valid Order: id: expected string, got nothing'],
    [{ ...order(' ') }, 'id: must not be empty'],
  ])('refuses %j with 400', async (body, error) => {
    const before = sent(a, 'orders').length;
    const response = await post(`${a.url}/v1/orders`, body);
    expect(response).toMatchObject({ status: 400, body: { error } });
    expect(sent(a, 'orders')).toHaveLength(before);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await post(`${a.url}/v1/orders`, '{"id":');
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/^the body is not valid JSON/);
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

  it('answers 504 when the order does not show up in time, and 400 for a bad timeout', async () => {
    expect(await getJson(`${b.url}/v1/orders/never?timeout=100`)).toMatchObject({
      status: 504,
      body: { error: 'order "never" was not found within 100 ms' },
    });
    expect(await getJson(`${b.url}/v1/orders/never?timeout=soon`)).toMatchObject({
      status: 400,
      body: { error: 'timeout: expected milliseconds from 0 to 120000, got "soon"' },
    });
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

describe('feeding the demo', () => {
  it('POST /v1/payments records a payment keyed by its id', async () => {
    const payment = { id: 'pay1', orderId: 'o1', ccy: 'EUR', amount: 20 };
    const response = await post(`${a.url}/v1/payments`, payment);
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject(payment);
    const record = sent(a, 'payments').at(-1)!;
    expect(string.deserialize(record.key!)).toBe('pay1');
    expect(topics.payments.valueSerde.deserialize(record.value!)).toEqual(payment);
    expect(await post(`${a.url}/v1/payments`, { id: 'p', orderId: 'o1', ccy: 'EUR' })).toMatchObject({
      status: 400,
      body: { error: 'not a valid Payment: amount: expected double, got nothing' },
    });
  });

  it('PUT /v1/inventory/{product} sets the units in stock', async () => {
    expect(await put(`${b.url}/v1/inventory/JUMPERS`, { quantity: 40 })).toMatchObject({
      status: 200,
      body: { product: 'JUMPERS', quantity: 40 },
    });
    const record = sent(b, 'warehouse-inventory').at(-1)!;
    expect([string.deserialize(record.key!), Serdes.Int().deserialize(record.value!)]).toEqual([
      'JUMPERS',
      40,
    ]);
    expect(await put(`${b.url}/v1/inventory/SOCKS`, { quantity: 1 })).toMatchObject({
      status: 400,
      body: { error: 'product: expected one of JUMPERS, UNDERPANTS, STOCKINGS, got "SOCKS"' },
    });
    expect(await put(`${b.url}/v1/inventory/JUMPERS`, { quantity: -1 })).toMatchObject({
      status: 400,
      body: { error: 'quantity: expected an integer from 0 to 2147483647, got -1' },
    });
    expect(await put(`${b.url}/v1/inventory/JUMPERS`, { units: 1 })).toMatchObject({
      status: 400,
      body: { error: 'unknown field "units": the body is {"quantity": <units in stock>}' },
    });
  });

  it('PUT /v1/customers/{id} records a customer, the level defaulting to bronze', async () => {
    const customer = {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      address: '1 Analytical Row',
    };
    const response = await put(`${a.url}/v1/customers/42`, customer);
    const expected: Customer = { id: 42, ...customer, level: 'bronze' };
    expect(response).toMatchObject({ status: 200, body: expected });
    const record = sent(a, 'customers').at(-1)!;
    expect(Serdes.Long().deserialize(record.key!)).toBe(42);
    expect(topics.customers.valueSerde.deserialize(record.value!)).toEqual(expected);
    expect(await put(`${a.url}/v1/customers/42`, { ...customer, id: 43 })).toMatchObject({
      status: 400,
      body: { error: 'id: the body says 43 but the path says 42' },
    });
    expect(await put(`${a.url}/v1/customers/x`, customer)).toMatchObject({
      status: 400,
      body: { error: 'id: expected an integer customer id in the path, got "x"' },
    });
  });
});
