/**
 * Creating orders where it counts: real workers of orders-view on the embedded log, each serving the
 * orders API. An order id is used once, also when creates of one id race at two workers, when the
 * orders topic holds records orders-store has not processed yet, and after a restart or a rebalance;
 * a read answers once orders-store holds what the orders topic held when the read came.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import ordersView from '../../topologies/orders-view.ts';
import { topics, type Order } from '../../schemas/topics.ts';
import { EmbeddedLog } from '../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../src/embedded/event-log.ts';
import type { EventLogPort } from '../../src/kafka/port.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { eventually } from '../support/eventually.ts';
import { portWith } from '../support/port-overrides.ts';
import { freePort, getJson } from './harness.ts';

const PARTITIONS = 3;
/**
 * How long a send takes to reach the log: the embedded log appends at once, a broker takes a network
 * round trip or more, and while a send is under way a second create of the same id can come in.
 */
const SEND_LATENCY_MS = 100;
const string = Serdes.String();
const dir = mkdtempSync(join(tmpdir(), 'tributary-orders-owner-'));
let log: EmbeddedLog;
const running = new Set<Worker>();

interface Served {
  readonly worker: Worker;
  readonly url: string;
}

/** A worker running orders-view with the orders API, its stores under `name`. */
async function serve(name: string): Promise<Served> {
  const port = await freePort();
  const config = loadWorkerConfig({
    flags: {
      'state-dir': join(dir, name),
      'commit-interval-ms': '50',
      http: `127.0.0.1:${port}`,
    },
    env: {},
  });
  const worker = new Worker(
    [
      {
        applicationId: ordersView.applicationId,
        topology: ordersView.buildTopology(),
        http: ordersView.http,
      },
    ],
    config,
    withSendLatency(embeddedEventLog(log)),
    silentLogger,
  );
  running.add(worker);
  await worker.start();
  return { worker, url: `http://127.0.0.1:${port}` };
}

/** The embedded log, with every send reaching it SEND_LATENCY_MS later, as on a network. */
function withSendLatency(port: EventLogPort): EventLogPort {
  return portWith(port, {
    producer: (options) => {
      const producer = port.producer(options);
      return {
        send: async (records) => {
          await new Promise((resolve) => setTimeout(resolve, SEND_LATENCY_MS));
          return producer.send(records);
        },
        close: () => producer.close(),
      };
    },
  });
}

async function stop(served: Served): Promise<void> {
  await served.worker.stop();
  running.delete(served.worker);
}

/** Waits until the workers share the partitions between them and all run. */
async function settled(workers: readonly Served[]): Promise<void> {
  await eventually(
    async () => {
      const runners = workers.map((w) => w.worker.runner(ordersView.applicationId)!);
      if (runners.some((r) => r.state !== 'running')) throw new Error('not running yet');
      const owned = runners.flatMap((r) => r.assignment.active).sort();
      if (owned.join() !== '0_0,0_1,0_2' || runners.some((r) => r.assignment.active.length === 0))
        throw new Error(`tasks: ${runners.map((r) => r.assignment.active.join('+')).join(' / ')}`);
    },
    { timeoutMs: 20_000, intervalMs: 50 },
  );
}

/** What a client posts: an order without the fields the system sets. */
function order(id: string, fields: Partial<Order> = {}): Omit<Order, 'state' | 'failureReason'> {
  return { id, customerId: 1, product: 'JUMPERS', quantity: 1, price: 10, ...fields };
}

function post(url: string, body: unknown) {
  return getJson(`${url}/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Every record of the orders topic for an id, in log order. */
function recorded(id: string): Order[] {
  const key = string.serialize(id);
  const partition = log.partition('orders', partitionForKey(key, PARTITIONS));
  return partition
    .read(0, true, 1_000_000, 1 << 30)
    .records.filter((r) => string.deserialize(r.key!) === id)
    .map((r) => topics.orders.valueSerde.deserialize(r.value!));
}

/** Writes orders straight to the topic, as a producer other than this API would (or a worker before a crash). */
async function writeDirectly(orders: readonly Order[]): Promise<void> {
  await embeddedEventLog(log)
    .producer({})
    .send(
      orders.map((o) => {
        const key = string.serialize(o.id);
        return {
          topic: 'orders',
          partition: partitionForKey(key, PARTITIONS),
          key,
          value: topics.orders.valueSerde.serialize(o),
          timestamp: Date.now(),
          headers: {},
        };
      }),
    );
}

let first: Served;
let second: Served;

beforeAll(async () => {
  log = EmbeddedLog.open(join(dir, 'log'));
  log.createTopic('orders', PARTITIONS);
  [first, second] = await Promise.all([serve('first'), serve('second')]);
  await settled([first, second]);
});

afterAll(async () => {
  for (const worker of running) await worker.stop();
  log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reading an order', () => {
  it('answers a GET from orders-store once it holds what the orders topic held when the GET came', async () => {
    expect(await post(first.url, order('moved-on'))).toMatchObject({ status: 201 });
    const created = await getJson(`${second.url}/v1/orders/moved-on`);
    expect(created).toMatchObject({ status: 200, body: { state: 'CREATED' } });
    // Many records ahead of the order's next state, as a worker restarted after a crash finds them.
    const filler = Array.from({ length: 3000 }, (_v, i) => ({
      ...order(`ahead-${i}`),
      state: 'CREATED' as const,
      failureReason: null,
    }));
    await writeDirectly([...filler, { ...order('moved-on'), state: 'VALIDATED', failureReason: null }]);
    // Without waiting (timeout=0), from either worker: VALIDATED, never the CREATED orders-store still
    // had when the GET came. A 503 (still catching up after CATCH_UP_MS, on a slow machine) is asked again.
    for (const url of [second.url, first.url]) {
      const answer = await eventually(
        async () => {
          const response = await getJson(`${url}/v1/orders/moved-on?timeout=0`);
          if (response.status === 503) throw new Error(JSON.stringify(response.body));
          return response;
        },
        { timeoutMs: 60_000 },
      );
      expect(answer).toMatchObject({ status: 200, body: { state: 'VALIDATED' } });
    }
  });
});

describe('creating an order', () => {
  it('accepts one body per id when creates of the id race at both workers; the others get 409', async () => {
    const ids = Array.from({ length: 8 }, (_v, i) => `race-${i}`);
    await Promise.all(
      ids.map(async (id) => {
        // Six requests at once: two different orders, each posted three times, at both workers.
        const bodies = [1, 2, 1, 2, 1, 2].map((quantity) => order(id, { quantity }));
        const answers = await Promise.all(
          bodies.map((body, i) => post(i % 2 === 0 ? first.url : second.url, body)),
        );
        const accepted = answers.filter((a) => a.status === 201);
        expect(accepted.length).toBeGreaterThanOrEqual(1);
        const winner = accepted[0]!.body.quantity as number;
        for (const [i, answer] of answers.entries()) {
          if (bodies[i]!.quantity === winner)
            expect(answer).toMatchObject({ status: 201, body: { quantity: winner } });
          else
            expect(answer).toMatchObject({
              status: 409,
              body: { error: expect.stringMatching(new RegExp(`^order "${id}" exists already`)) },
            });
        }
        expect(recorded(id)).toEqual([
          { ...order(id, { quantity: winner }), state: 'CREATED', failureReason: null },
        ]);
      }),
    );
  });

  it('decides against what the orders topic holds, not only what orders-store has processed so far', async () => {
    // Many records ahead of the one that matters, written by someone else just now.
    const filler = Array.from({ length: 3000 }, (_v, i) => ({
      ...order(`filler-${i}`),
      state: 'CREATED' as const,
      failureReason: null,
    }));
    const taken = {
      ...order('written-elsewhere', { quantity: 5 }),
      state: 'CREATED' as const,
      failureReason: null,
    };
    await writeDirectly([...filler, taken]);
    // A 503 (still catching up after CATCH_UP_MS, on a slow machine) is asked again, as clients do.
    const answer = await eventually(
      async () => {
        const response = await post(second.url, order('written-elsewhere', { quantity: 6 }));
        if (response.status === 503) throw new Error(JSON.stringify(response.body));
        return response;
      },
      { timeoutMs: 60_000 },
    );
    expect(answer).toMatchObject({
      status: 409,
      body: {
        error:
          'order "written-elsewhere" exists already, with other values (quantity 5, not 6); an order id is used once',
      },
    });
    expect(await post(first.url, order('written-elsewhere', { quantity: 5 }))).toMatchObject({ status: 201 });
    expect(recorded('written-elsewhere')).toEqual([taken]);
  });

  it('still knows the orders after a restart of both workers without their stores, and after one leaves (a rebalance)', async () => {
    const ids = ['kept-0', 'kept-1', 'kept-2', 'kept-3', 'kept-4', 'kept-5'];
    for (const id of ids) expect(await post(first.url, order(id))).toMatchObject({ status: 201 });
    await Promise.all([stop(first), stop(second)]);
    // As on new machines: orders-store is restored from the log.
    for (const name of ['first', 'second']) rmSync(join(dir, name), { recursive: true, force: true });

    [first, second] = await Promise.all([serve('first'), serve('second')]);
    await settled([first, second]);
    for (const id of ids) {
      expect(await post(second.url, order(id, { price: 11 }))).toMatchObject({ status: 409 });
      expect(await post(first.url, order(id))).toMatchObject({ status: 201 });
    }

    await stop(second);
    await settled([first]);
    for (const id of ids)
      expect(await post(first.url, order(id, { customerId: 2 }))).toMatchObject({ status: 409 });
    for (const id of ids) expect(recorded(id)).toHaveLength(1);
  });
});
