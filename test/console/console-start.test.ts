/**
 * The web console in a real headless Chromium against `tributary start` (the seven reference
 * applications on the embedded log): the topology graph draws the nodes `describe` gives, the task
 * table lists this worker's tasks, a store browse pages through every key once, and an order placed
 * with the page's forms moves through its timeline to CONFIRMED, with its email. The endpoint asks for
 * a bearer token (scopes `queries` and `app`), which the page asks for. No page logs an error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/console/build.ts';
import type { ConsoleOverview } from '../../src/console/api-types.ts';
import { browserMissing, launchBrowser, openPage, type WatchedPage } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { freeEndpoint } from '../support/worker-process.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const missing = browserMissing();
const TOKEN = 'console-test-token-5f2d9c81e7';
/** Where the page keeps the token, for the tab's life (src/console/web/api.ts). */
const TOKEN_KEY = 'tributary-console-token';

describe.skipIf(missing !== undefined)(
  'the console of `tributary start`, in Chromium',
  { timeout: 60_000 },
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-console-'));
    let child: ChildProcess | undefined;
    let browser: Browser | undefined;
    let url = '';
    let output = '';
    const pages: WatchedPage[] = [];

    beforeAll(async () => {
      await buildConsole();
      const endpoint = await freeEndpoint();
      url = `http://${endpoint}`;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        LOG_FORMAT: 'json',
        DATA_DIR: dataDir,
        TRIBUTARY_HTTP_TOKENS: `${TOKEN} queries,app`,
      };
      for (const name of [
        'KAFKA_BROKERS',
        'SCHEMA_REGISTRY_URL',
        'STATE_DIR',
        'TRIBUTARY_HTTP',
        'TRIBUTARY_CONFIG',
      ])
        delete env[name];
      child = spawn(process.execPath, ['bin/tributary.js', 'start', '--http', endpoint], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      await eventually(
        async () => {
          if (child!.exitCode !== null) throw new Error(`tributary start exited:\n${output}`);
          const ready = await fetch(`${url}/health/ready`);
          if (ready.status !== 200) throw new Error(`not ready: ${await ready.text()}`);
        },
        { timeoutMs: 90_000, stopWhen: () => child!.exitCode !== null },
      );
      browser = await launchBrowser();
    }, 150_000);

    afterAll(async () => {
      await browser?.close();
      child?.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      for (const { errors } of pages) expect(errors).toEqual([]);
    });

    /** The worker's API, with the token. */
    function api(path: string, init: RequestInit = {}): Promise<Response> {
      return fetch(`${url}${path}`, {
        ...init,
        headers: { accept: 'application/json', ...init.headers, authorization: `Bearer ${TOKEN}` },
      });
    }

    /** A page at `hash` that has the token already (as after the token dialog) unless `token` is false. */
    async function open(
      hash: string,
      options: { viewport?: { width: number; height: number }; token?: boolean } = {},
    ): Promise<WatchedPage> {
      const watched = await openPage(browser!, options.viewport);
      if (options.token !== false) {
        pages.push(watched);
        await watched.page.addInitScript(
          ([key, token]) => sessionStorage.setItem(key!, token!),
          [TOKEN_KEY, TOKEN],
        );
      }
      await watched.page.goto(`${url}/${hash}`);
      return watched;
    }

    it('prints the console URL in its banner; only the page and its assets are open', async () => {
      expect(output).toMatch(/console: +http:\/\/localhost:\d+\//);
      expect((await fetch(`${url}/`, { headers: { accept: 'text/html' } })).status).toBe(200);
      expect((await fetch(`${url}/console/assets/console.js`)).status).toBe(200);
      for (const path of ['/', '/console/api/overview', '/console/api/status', '/console/api/status/events'])
        expect((await fetch(`${url}${path}`)).status, path).toBe(401);
      expect((await api('/console/api/status')).status).toBe(200);
    });

    it('asks for a token when the worker wants one, and then shows what the token may see', async () => {
      const { page, errors } = await open('#/topology/payments', { token: false });
      const dialog = page.getByRole('dialog', { name: 'This worker asks for a token' });
      await dialog.waitFor();
      // The page and its assets are open; only the data asked 401.
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
      await dialog.getByLabel('Token').fill(TOKEN);
      await dialog.getByRole('button', { name: 'Use this token' }).click();
      await page.getByRole('group', { name: 'Topology graph' }).locator('[data-node]').first().waitFor();
      expect(await dialog.count()).toBe(0);
      expect(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY)).toBe(TOKEN);
      errors.length = 0;
      await page.reload();
      await page.getByRole('group', { name: 'Topology graph' }).locator('[data-node]').first().waitFor();
      expect(errors).toEqual([]);
    });

    it('draws the topology that describe gives, with a node’s details on click or Enter', async () => {
      const overview = (await (await api('/console/api/overview')).json()) as ConsoleOverview;
      const app = overview.applications.find((a) => a.application === 'payments')!;
      const expected = new Set<string>();
      for (const sub of app.topology.subtopologies)
        for (const node of sub.nodes) {
          expected.add(node.name);
          if (node.type === 'source') for (const topic of node.topics) expected.add(topic);
          if (node.type === 'sink' && node.topic) expected.add(node.topic);
        }
      for (const store of app.topology.stores) expected.add(store.name);
      // payments reads the orders topic as a global table too: its source and processor are drawn.
      expect(app.topology.globalStores.length).toBeGreaterThan(0);
      for (const global of app.topology.globalStores) {
        expected.add(global.source.name).add(global.processor.name);
        for (const topic of global.source.topics) expected.add(topic);
      }

      const { page } = await open('#/topology/payments');
      const graph = page.getByRole('group', { name: 'Topology graph' });
      await graph.locator('[data-node]').first().waitFor();
      const drawn = await graph
        .locator('[data-node]')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-node')));
      expect(new Set(drawn)).toEqual(expected);

      const store = app.topology.stores[0]!;
      await graph.locator(`[data-node="${store.name}"]`).click();
      const details = page.getByRole('complementary', { name: 'Node details' });
      await expect.poll(() => details.textContent()).toContain(store.kind);
      await expect.poll(() => details.getByRole('link', { name: 'Browse this store' }).count()).toBe(1);

      // The keyboard reaches the nodes too.
      const sink = app.topology.subtopologies.flatMap((s) => s.nodes).find((n) => n.type === 'sink')!;
      await graph.locator(`[data-node="${sink.name}"]`).focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => details.locator('h2').textContent()).toContain(sink.name);
    });

    it('streams the status as server-sent events, after every sample', async () => {
      const controller = new AbortController();
      const response = await api('/console/api/status/events', { signal: controller.signal });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const times: number[] = [];
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) {
        text += decoder.decode(chunk, { stream: true });
        times.splice(
          0,
          times.length,
          ...[...text.matchAll(/event: status\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!).time as number),
        );
        if (times.length >= 3) break;
      }
      controller.abort();
      expect(times[1]! - times[0]!).toBeGreaterThan(0);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(1_000);
    });

    it('lists every task of this worker with its role and inputs', async () => {
      const metadata = (await (await api('/metadata')).json()) as {
        applications: { applicationId: string; endpoints: Record<string, { active: string[] }> }[];
      };
      const expected = metadata.applications.reduce(
        (n, a) => n + Object.values(a.endpoints).reduce((m, e) => m + e.active.length, 0),
        0,
      );
      const { page } = await open('#/tasks');
      const worker = page.locator('.workers li').first();
      await expect.poll(() => worker.textContent(), { timeout: 15_000 }).toContain(`${expected} tasks`);
      await page.getByRole('link', { name: 'inventory', exact: true }).click();
      const rows = page.getByRole('table', { name: 'Tasks' }).locator('tr[data-task]');
      await expect.poll(() => rows.count()).toBe(6);
      expect(await rows.evaluateAll((r) => r.map((row) => row.getAttribute('data-role')))).toEqual(
        Array(6).fill('active'),
      );
    });

    it('pages through a store, every key once and in order', async () => {
      const ids = Array.from({ length: 60 }, (_, i) => `p-${String(i).padStart(3, '0')}`);
      for (const id of ids) {
        const response = await api('/v1/orders', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, customerId: 7, product: 'STOCKINGS', quantity: 1, price: 1 }),
        });
        expect(response.status).toBe(201);
      }
      await eventually(async () => {
        const response = await api('/stores/orders-store?from=p-&to=p-~&limit=100');
        const body = (await response.json()) as { entries: unknown[] };
        if (body.entries.length !== ids.length) throw new Error(`${body.entries.length} orders in the store`);
      });

      const { page } = await open('#/stores/orders-store');
      const scan = page.getByRole('form', { name: 'Scan the store' });
      await scan.getByLabel('From').fill('p-');
      await scan.getByLabel('To').fill('p-~');
      await scan.getByLabel('Per page').selectOption('25');
      await scan.getByRole('button', { name: 'Scan' }).click();
      const keys: string[] = [];
      const pager = page.getByRole('navigation', { name: 'Pages' });
      for (const [number, size] of [
        [1, 25],
        [2, 25],
        [3, 10],
      ] as const) {
        await expect
          .poll(() => pager.locator(`[data-page="${number}"]`).textContent())
          .toContain(`${size} entries`);
        const shown = await page
          .getByRole('table', { name: 'Entries' })
          .locator('button[data-key]')
          .evaluateAll((b) => b.map((button) => button.getAttribute('data-key')!));
        keys.push(...shown);
        if (number < 3) await pager.getByRole('button', { name: 'Next →' }).click();
      }
      expect(await pager.textContent()).toContain('end');
      expect(await pager.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
      expect(keys).toEqual(ids.map((id) => JSON.stringify(id)));
      await pager.getByRole('button', { name: '← Previous' }).click();
      await expect.poll(() => pager.locator('[data-page="2"]').textContent()).toContain('25 entries');
    });

    it('places, pays and follows an order through its timeline to CONFIRMED, with its email', async () => {
      const { page } = await open('#/orders');
      const customer = page.getByRole('form', { name: 'Register a customer' });
      await customer.getByRole('button', { name: 'Save customer' }).click();
      await expect.poll(() => customer.getByRole('status').textContent()).toContain('customer 1 saved');
      const stock = page.getByRole('form', { name: 'Set stock' });
      await stock.getByRole('button', { name: 'Set stock' }).click();
      await expect.poll(() => stock.getByRole('status').textContent()).toContain('in stock');

      const place = page.getByRole('form', { name: 'Place an order' });
      const id = await place.getByLabel('Order id').inputValue();
      await place.getByRole('button', { name: 'Place order' }).click();
      await expect.poll(() => place.getByRole('status').textContent()).toContain(`order ${id} placed`);

      const timeline = page.getByRole('list', { name: `Timeline of order ${id}` });
      const step = (label: string) => timeline.locator(`[data-step="${label}"]`);
      await expect
        .poll(() => step('VALIDATED').getAttribute('data-status'), { timeout: 30_000 })
        .toBe('done');
      const pay = page.getByRole('form', { name: 'Pay an order' });
      expect(await pay.getByLabel('Order id').inputValue()).toBe(id);
      expect(await pay.getByLabel('Amount').inputValue()).toBe('10');
      await pay.getByRole('button', { name: 'Pay' }).click();
      await expect
        .poll(() => step('CONFIRMED').getAttribute('data-status'), { timeout: 30_000 })
        .toBe('done');
      await expect
        .poll(() => step('Email sent').getAttribute('data-status'), { timeout: 30_000 })
        .toBe('done');
      expect(await step('Email sent').textContent()).toContain('ada@example.com');
      const row = page.getByRole('table', { name: 'Recent orders' }).locator(`tr[data-order="${id}"]`);
      expect(await row.getAttribute('data-state')).toBe('CONFIRMED');
    });

    it('follows a key live, and fetches the windows and sessions of window and session stores', async () => {
      const { page } = await open('#/stores/warehouse-stock');
      const lookup = page.getByRole('form', { name: 'Look up a key' });
      await lookup.getByLabel('Key').fill('JUMPERS');
      await lookup.getByRole('button', { name: 'Look up' }).click();
      const entry = page.getByRole('complementary', { name: 'Entry' });
      await entry.getByRole('button', { name: 'Follow this key' }).click();
      await expect
        .poll(() => entry.textContent())
        .toContain('Following: every change of this key appears here.');
      const changes = entry.locator('ol.changes li');
      // The current value first (initial=true), then each change as it happens.
      await expect.poll(() => changes.count()).toBe(1);
      for (const quantity of [41, 42]) {
        const put = await api('/v1/inventory/JUMPERS', {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ quantity }),
        });
        expect(put.status).toBe(200);
      }
      await expect.poll(() => changes.count(), { timeout: 15_000 }).toBe(3);
      expect(
        await changes.evaluateAll((items) => items.map((li) => li.querySelector('code')!.textContent)),
      ).toEqual(['42', '41', expect.any(String)]);

      // fraud remembers each order id in a window, and sums customer 7's 60 orders above in a session.
      for (const [store, kind, key, shown] of [
        ['counted-orders', 'windows', 'p-007', '"p-007"'],
        ['customer-sessions', 'sessions', '7', '7'],
      ] as const) {
        await page.goto(`${url}/#/stores/${store}`);
        const form = page.getByRole('form', { name: `Fetch ${kind}` });
        await form.getByLabel('Key').fill(key);
        await form.getByRole('button', { name: 'Fetch' }).click();
        const keys = page.getByRole('table', { name: 'Entries' }).locator('button[data-key]');
        await expect
          .poll(() => keys.evaluateAll((b) => b.map((button) => button.getAttribute('data-key'))))
          .toEqual([shown]);
      }
    });

    it('fits a narrow window: no page-wide horizontal scrolling', async () => {
      for (const view of ['#/topology/payments', '#/tasks', '#/stores/orders-store', '#/orders']) {
        const { page } = await open(view, { viewport: { width: 390, height: 800 } });
        await page.locator('main :is(h1, h2)').first().waitFor();
        // A string: the test's own type check knows no DOM.
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - window.innerWidth',
        );
        expect(overflow, view).toBeLessThanOrEqual(0);
        await page.close();
      }
    });
  },
);
