import { appendFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/common/logger.ts';
import { loadWorkerConfig } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { loadOrderApps } from '../../scripts/orders/apps.ts';
import { runLoad } from '../../scripts/orders/load-generator.ts';
import type { Order } from '../../schemas/topics.ts';
import { EventStreamReader, freePort, getJson } from '../query/harness.ts';
import { prepareApplicationTopics } from '../query/support/topics.ts';
import { eventually } from '../support/eventually.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();
const logger = process.env.TEST_LOG ? fileLogger(process.env.TEST_LOG) : silentLogger;

/** TEST_LOG=<file>: the workers' log as JSON lines in that file. */
function fileLogger(file: string, bindings: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (fields: Record<string, unknown>, message: string) =>
    appendFileSync(
      file,
      `${JSON.stringify({ time: Date.now(), level, ...bindings, ...fields, message }, (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : typeof v === 'bigint' ? String(v) : v))}\n`,
    );
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => fileLogger(file, { ...bindings, ...more }),
  };
}
const TERMINAL = new Set(['CONFIRMED', 'FAILED']);
const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * The orders system end to end on the real broker: two workers each run all seven applications and
 * serve the orders API, under application ids and topic names of this run (so runs never share
 * consumer groups or records).
 */
describe.skipIf(!brokers)('the orders API on two workers', () => {
  let kit: KafkaKit;
  const suffix = uniqueName('it');
  const dirs: string[] = [];
  const workers: { worker: Worker; url: string }[] = [];
  const readers: EventStreamReader[] = [];
  let a: string;
  let b: string;

  beforeAll(async () => {
    kit = new KafkaKit(brokers);
    // The system's topics under names of this run: runs never see each other's records.
    const renameTopic = (name: string) => `${name}-${suffix}`;
    await kit.createTopics(
      Object.fromEntries(
        ['orders', 'order-validations', 'warehouse-inventory', 'payments', 'customers', 'emails'].map((t) => [
          renameTopic(t),
          4,
        ]),
      ),
    );
    const apps = (await loadOrderApps()).map((app) => ({
      applicationId: `${app.applicationId}-${suffix}`,
      buildTopology: () => app.buildTopology({ renameTopic }),
      http: app.http,
      renameTopic,
    }));
    for (const app of apps) await prepareApplicationTopics(kit.admin, app);
    // Fresh topics: give every broker-side view of them a moment before fourteen consumers join.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const stateDir = join(tmpdir(), uniqueName('tributary-orders'));
      dirs.push(stateDir);
      const config = loadWorkerConfig({
        flags: { brokers, 'state-dir': stateDir, 'commit-interval-ms': '200', http: `127.0.0.1:${port}` },
        env: {},
      });
      const worker = new Worker(
        apps.map((app) => ({ ...app, topology: app.buildTopology() })),
        config,
        kit.port,
        logger,
      );
      await worker.start();
      workers.push({ worker, url: `http://127.0.0.1:${port}` });
    }
    [a, b] = workers.map((w) => w.url) as [string, string];
    // Both workers run every application, and each sees the other.
    for (const url of [a, b]) {
      await eventually(
        async () => {
          const ready = await getJson(`${url}/health/ready`);
          if (ready.status !== 200) throw new Error(`not ready: ${JSON.stringify(ready.body)}`);
          const { body } = await getJson(`${url}/metadata`);
          const view = body.applications.find((app: { application: string }) =>
            app.application.startsWith('orders-view'),
          );
          if (Object.keys(view.endpoints).length !== 2)
            throw new Error('the other worker is not in the group yet');
        },
        { timeoutMs: 120_000 },
      );
    }
  });

  afterAll(async () => {
    await Promise.all(readers.map((r) => r.close()));
    await Promise.all(workers.map(({ worker }) => worker.stop()));
    await kit?.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('takes orders at either worker and answers for them at the other, until CONFIRMED or FAILED', async () => {
    const customerId = 100_000 + Math.floor(Math.random() * 1_000_000_000);
    const customer = await getJson(`${a}/v1/customers/${customerId}`, {
      method: 'PUT',
      headers: JSON_TYPE,
      body: JSON.stringify({
        firstName: 'Ada',
        lastName: 'Tester',
        email: 'ada@example.com',
        address: '1 Test Row',
      }),
    });
    expect(customer.status).toBe(200);
    for (const product of ['JUMPERS', 'UNDERPANTS', 'STOCKINGS']) {
      const stocked = await getJson(`${b}/v1/inventory/${product}`, {
        method: 'PUT',
        headers: JSON_TYPE,
        body: JSON.stringify({ quantity: 1_000_000_000 }),
      });
      expect(stocked.status).toBe(200);
    }
    // The query API sees the stock in the inventory application's table before the orders come.
    for (const product of ['JUMPERS', 'UNDERPANTS', 'STOCKINGS'])
      await eventually(async () => {
        const { body } = await getJson(`${a}/stores/warehouse-stock/keys/${product}`);
        if (body.value !== 1_000_000_000) throw new Error(`stock of ${product}: ${JSON.stringify(body)}`);
      });

    const run = suffix.slice(-8);
    const cases = [
      { id: `ok-1-${run}`, quantity: 1, price: 10, pay: 10, state: 'CONFIRMED' },
      { id: `ok-2-${run}`, quantity: 3, price: 5.5, pay: 16.5, state: 'CONFIRMED' },
      { id: `ok-3-${run}`, quantity: 2, price: 20, pay: 50, state: 'CONFIRMED' },
      { id: `no-quantity-${run}`, quantity: 0, price: 10, pay: 10, state: 'FAILED' },
      { id: `underpaid-${run}`, quantity: 2, price: 10, pay: 5, state: 'FAILED' },
    ];
    for (const [i, c] of cases.entries()) {
      const [postTo, readFrom] = i % 2 === 0 ? [a, b] : [b, a];
      const posted = await getJson(`${postTo}/v1/orders`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({
          id: c.id,
          customerId,
          product: 'JUMPERS',
          quantity: c.quantity,
          price: c.price,
        }),
      });
      expect(posted.status).toBe(201);
      expect(posted.headers.get('location')).toBe(`/v1/orders/${c.id}`);
      const found = await getJson(`${readFrom}/v1/orders/${c.id}?timeout=30000`);
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({ id: c.id, customerId, quantity: c.quantity });
      const paid = await getJson(`${readFrom}/v1/payments`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ id: `pay-${c.id}`, orderId: c.id, ccy: 'EUR', amount: c.pay }),
      });
      expect(paid.status).toBe(202);
    }
    for (const [i, c] of cases.entries()) {
      const readFrom = i % 2 === 0 ? b : a;
      const validated = await getJson(`${readFrom}/v1/orders/${c.id}/validated?timeout=60000`);
      expect(validated.status).toBe(200);
      expect(validated.body.state).not.toBe('CREATED');
      // Pushed from wherever the order's key lives, until the order settles.
      const stream = new EventStreamReader(
        `${readFrom}/stores/orders-store/changes?key=${c.id}&initial=true`,
      );
      readers.push(stream);
      const events = await stream.waitFor(
        () =>
          [...stream.data('current'), ...stream.data()].some((e: { value: Order | null }) =>
            TERMINAL.has(e.value?.state ?? ''),
          ),
        60_000,
      );
      const last = [...stream.data('current'), ...stream.data()].at(-1) as { value: Order };
      expect(events.length).toBeGreaterThan(0);
      expect(last.value.state).toBe(c.state);
      if (c.state === 'FAILED') expect(last.value.failureReason).toBeTruthy();
    }
  });

  it('accepts one order per id when creates of the id race at both workers: the same again is 201, other values 409', async () => {
    const run = suffix.slice(-8);
    await Promise.all(
      [0, 1, 2, 3].map(async (n) => {
        const id = `race-${n}-${run}`;
        const bodies = [1, 2, 1, 2].map((quantity) => ({
          id,
          customerId: 1,
          product: 'JUMPERS',
          quantity,
          price: 1,
        }));
        const answers = await Promise.all(
          bodies.map((body, i) =>
            getJson(`${i % 2 === 0 ? a : b}/v1/orders`, {
              method: 'POST',
              headers: JSON_TYPE,
              body: JSON.stringify(body),
            }),
          ),
        );
        const winner = answers.find((answer) => answer.status === 201)?.body.quantity as number;
        expect(winner).toBeDefined();
        for (const [i, answer] of answers.entries())
          expect(answer.status).toBe(bodies[i]!.quantity === winner ? 201 : 409);
        // orders-store holds the winner, as every worker answers.
        for (const url of [a, b])
          expect(await getJson(`${url}/v1/orders/${id}?timeout=30000`)).toMatchObject({
            status: 200,
            body: { quantity: winner },
          });
      }),
    );
  });

  it('settles what the load generator sends, with a summary of states and latencies', async () => {
    const lines: string[] = [];
    const summary = await runLoad({
      urls: [a, b],
      orders: 40,
      rate: 40,
      underpaid: 0.25,
      seed: 7,
      settleTimeoutMs: 60_000,
      onProgress: (line) => lines.push(line),
    });
    expect(summary.sent).toBe(40);
    expect(summary.httpErrors).toBe(0);
    expect((summary.states.CONFIRMED ?? 0) + (summary.states.FAILED ?? 0)).toBe(40);
    expect(summary.states.CONFIRMED).toBeGreaterThan(0);
    expect(summary.states.FAILED).toBeGreaterThan(0);
    expect(Object.keys(summary.failures).join()).toContain('is less than the order value');
    expect(summary.latencyMs.p50).toBeGreaterThan(0);
    expect(summary.latencyMs.p99).toBeGreaterThanOrEqual(summary.latencyMs.p50);
    expect(lines.at(-1)).toMatch(/^sent 40\/40 \| /);
  });
});
