/**
 * `tributary start` (what `npm start` runs) as a user runs it: the seven reference applications in
 * one process on the embedded log, with the HTTP endpoint; an order posted to the orders API goes
 * from CREATED to CONFIRMED; a restart keeps the orders and the stores.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { topics, type Order } from '../../schemas/topics.ts';
import { EmbeddedLog } from '../../src/embedded/embedded-log.ts';
import { StartProcess, freePort, quietEnvironment, repositoryRoot } from '../support/start-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-start-'));
const running = new Set<StartProcess>();

afterAll(async () => {
  await Promise.all([...running].map((started) => started.kill()));
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `tributary start` on the test's data directory and waits for its banner. */
async function start(
  port: number,
  env: Record<string, string> = {},
  args: readonly string[] = [],
): Promise<StartProcess> {
  const started = await StartProcess.start({ DATA_DIR: dataDir, ...env }, { port, args });
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

/** A `tributary` command that ends by itself, as a user runs it beside `start`. */
function run(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['bin/tributary.js', ...args], {
    cwd: repositoryRoot,
    env: quietEnvironment(),
  });
}

async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function orderState(url: string, id: string): Promise<string | undefined> {
  const response = await call(url, 'GET', `/v1/orders/${id}?timeout=1000`);
  return response.status === 200 ? (response.body as Order).state : undefined;
}

async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('tributary start on the embedded log', () => {
  it('runs the reference system, takes an order from CREATED to CONFIRMED, and keeps it across restarts', async () => {
    const port = await freePort();
    let started = await start(port);
    const banner = started.output();
    expect(banner).toMatch(
      /Tributary is running 7 applications: emails, fraud, inventory, order-details, orders-view, payments, validations-aggregator/,
    );
    expect(banner).toContain(
      `event log: embedded, in ${join(dataDir, 'log')} (not Kafka; to use Kafka: KAFKA_BROKERS=<host:port> npm start)`,
    );
    expect(banner).toContain('guarantee: exactly-once');
    expect(banner).toContain(`HTTP:      http://localhost:${port}`);
    expect(banner).toContain(`console:   http://localhost:${port}/`);
    expect(banner).toContain(`try:       curl -s -X PUT http://localhost:${port}/v1/inventory/JUMPERS`);
    expect(banner).toContain(`curl -si -X POST http://localhost:${port}/v1/orders`);
    expect(banner).toMatch(/It is NOT Kafka.*KAFKA_BROKERS=<host:port> npm start/);
    expect((await fetch(`${started.url}/health`)).status).toBe(200);
    // Only this machine can reach it: it listens on the loopback address.
    expect(started.output()).toContain(`"listen":"127.0.0.1:${port}"`);
    // Running twice on one data directory is refused, naming the process that has it.
    const second = await start(await freePort()).catch((error: Error) => error);
    expect(String(second)).toMatch(/in use by process \d+; stop that process or choose another DATA_DIR/);
    expect(await started.stop()).toBe(0);

    // The orders API, as docs/getting-started.md walks through it.
    started = await start(port);
    const { url } = started;
    expect(await call(url, 'PUT', '/v1/inventory/JUMPERS', { quantity: 10 })).toMatchObject({ status: 200 });
    const ada = {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      address: '1 Analytical Row',
      level: 'gold',
    };
    expect(await call(url, 'PUT', '/v1/customers/1', ada)).toMatchObject({ status: 200 });
    const order = { id: 'o-1', customerId: 1, product: 'JUMPERS', quantity: 2, price: 10 };
    expect(await call(url, 'POST', '/v1/orders', order)).toMatchObject({
      status: 201,
      body: { state: 'CREATED' },
    });
    expect(await call(url, 'GET', '/v1/orders/o-1/validated?timeout=20000')).toMatchObject({
      status: 200,
      body: { state: 'VALIDATED' },
    });
    const payment = { id: 'p-1', orderId: 'o-1', ccy: 'EUR', amount: 20 };
    expect(await call(url, 'POST', '/v1/payments', payment)).toMatchObject({ status: 202 });
    expect(
      await eventually('o-1 to be confirmed', async () =>
        (await orderState(url, 'o-1')) === 'CONFIRMED' ? true : undefined,
      ),
    ).toBe(true);
    // "See the email": tail reads the running system's embedded log, decoded with the topologies' serdes.
    const email = await eventually('the email in `tributary tail emails`', async () => {
      const { stdout } = await run(['tail', 'emails', '--data-dir', dataDir]);
      const line = stdout.split('\n').find((l) => l.includes('"o-1"'));
      return line === undefined ? undefined : (JSON.parse(line) as { key: string; value: { to: string } });
    });
    expect(email).toMatchObject({ key: 'o-1', value: { to: 'ada@example.com' } });
    expect(await started.stop()).toBe(0);

    // The next start still has the order: the store kept it, and the log kept every step.
    started = await start(port);
    expect(await orderState(started.url, 'o-1')).toBe('CONFIRMED');
    expect(await started.stop()).toBe(0);
    const log = EmbeddedLog.open(join(dataDir, 'log'), { readOnly: true });
    try {
      const read = (topic: string) =>
        Array.from(
          { length: log.partitionCount(topic)! },
          (_, p) => log.partition(topic, p).read(0, true, 1000, 1 << 24).records,
        ).flat();
      const states = read('orders').map((r) => topics.orders.valueSerde.deserialize(r.value!).state);
      expect(states).toEqual(['CREATED', 'VALIDATED', 'CONFIRMED']);
      const emails = read('emails').map((r) => topics.emails.valueSerde.deserialize(r.value!));
      expect(emails).toEqual([
        expect.objectContaining({ orderId: 'o-1', to: 'ada@example.com', customerLevel: 'gold' }),
      ]);
    } finally {
      log.close();
    }
  }, 120_000); // three starts and a tail, each a process of its own: slow on a loaded machine

  it('listens where HOST says', async () => {
    const port = await freePort();
    const elsewhere = mkdtempSync(join(tmpdir(), 'tributary-start-host-'));
    try {
      const started = await start(port, { HOST: '0.0.0.0', DATA_DIR: elsewhere }, [
        'topologies/orders-view.ts',
      ]);
      expect(started.output()).toContain(`"listen":"0.0.0.0:${port}"`);
      expect((await fetch(`${started.url}/health`)).status).toBe(200);
      expect(await started.stop()).toBe(0);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('explains bad settings', async () => {
    const port = await freePort();
    const failed = await start(port, { TOPIC_PARTITIONS: 'many' }).catch((error: Error) => error.message);
    expect(failed).toMatch(/TOPIC_PARTITIONS must be a whole number from 1 to 10000, got "many"/);
    const host = await start(port, { HOST: 'every interface' }).catch((error: Error) => error.message);
    expect(host).toMatch(
      /HOST must be an IPv4 address or a host name to listen on \(0\.0\.0\.0 for every interface\), got "every interface"/,
    );
  });
});
