/**
 * The web console across worker processes on Kafka, in a real headless Chromium: the console of the
 * first worker shows the tasks of the whole application — a second worker joining takes some, a
 * worker that stalls is named as not answering, and once it leaves its tasks come back — and the
 * second worker's console draws the same topology. No page logs an error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/console/build.ts';
import { prepareApplicationTopics } from '../query/support/topics.ts';
import { browserMissing, launchBrowser, openPage, type WatchedPage } from '../support/browser.ts';
import { kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import type { WorkerProcess } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const PARTITIONS = 4;
const missing = kafkaBrokers() ? browserMissing() : 'no broker';

describe.skipIf(missing !== undefined)('the console across two workers on Kafka', () => {
  const suite = useWorkerProcesses('tributary-console', { workersLive: 'all' });
  const input = uniqueName('console-events');
  const app = uniqueName('console-app');
  let browser: Browser;
  let a: WorkerProcess;
  let b: WorkerProcess;
  const pages: WatchedPage[] = [];

  const start = () =>
    suite.startServing({
      topologies: ['test/query/fixtures/query-app.ts'],
      env: { QUERY_TEST_INPUT: input, QUERY_TEST_APP: app },
      // Long enough that a frozen worker stays in the group while the test looks at it.
      flags: { 'session-timeout-ms': '45000' },
    });

  beforeAll(async () => {
    await buildConsole();
    await suite.kit.createTopics({ [input]: PARTITIONS });
    process.env.QUERY_TEST_INPUT = input;
    process.env.QUERY_TEST_APP = app;
    await prepareApplicationTopics(suite.kit.admin, (await import('../query/fixtures/query-app.ts')).default);
    browser = await launchBrowser();
    a = await start();
    await a.waitForGroup(1);
  });

  afterAll(async () => {
    await browser?.close();
    for (const { errors } of pages) expect(errors).toEqual([]);
  });

  async function tasksPage(worker: WorkerProcess): Promise<WatchedPage> {
    const watched = await openPage(browser);
    pages.push(watched);
    await watched.page.goto(`${worker.url}/#/tasks/${app}`);
    return watched;
  }

  /** Per task row of the table: `task@worker`, sorted. */
  async function rows({ page }: WatchedPage): Promise<string[]> {
    const cells = await page
      .getByRole('table', { name: 'Tasks' })
      .locator('tr[data-task]')
      .evaluateAll((r) =>
        r.map((row) => `${row.getAttribute('data-task')}@${row.getAttribute('data-worker')}`),
      );
    return cells.sort();
  }

  /** Every task, on this worker. */
  const allOn = (endpoint: string) => Array.from({ length: PARTITIONS }, (_, p) => `0_${p}@${endpoint}`);

  it('shows a worker joining, stalling and leaving', async () => {
    const watched = await tasksPage(a);
    const { page } = watched;
    const workers = page.locator('.workers li');
    await expect.poll(() => rows(watched), { timeout: 30_000 }).toEqual(allOn(a.endpoint!));
    expect(await workers.count()).toBe(1);

    b = await start();
    await b.waitForGroup(2);
    await a.waitForGroup(2);
    await expect.poll(() => workers.count(), { timeout: 30_000 }).toBe(2);
    await expect
      .poll(async () => new Set((await rows(watched)).map((r) => r.split('@')[1])), { timeout: 30_000 })
      .toEqual(new Set([a.endpoint, b.endpoint]));
    expect((await rows(watched)).length).toBe(PARTITIONS);
    expect(await page.locator('.pill').textContent()).toBe('2 workers');

    b.freeze();
    try {
      const banner = page.getByRole('alert').filter({ hasText: `Worker ${b.endpoint} does not answer` });
      await expect.poll(() => banner.count(), { timeout: 30_000 }).toBe(1);
      expect(await banner.textContent()).toContain('no answer within 2.5 s');
      expect(await page.locator('.pill').textContent()).toBe('2 workers, 1 not answering');
      // Its tasks are still listed, as the assignment names them.
      const silent = page.locator(`tr[data-worker="${b.endpoint}"]`);
      expect(await silent.count()).toBeGreaterThan(0);
      expect(await silent.first().textContent()).toContain('no answer');
    } finally {
      b.thaw();
    }
    const banners = page.getByRole('alert');
    await expect.poll(() => banners.count(), { timeout: 30_000 }).toBe(0);

    await b.stop();
    await a.waitForGroup(1);
    await expect.poll(() => rows(watched), { timeout: 30_000 }).toEqual(allOn(a.endpoint!));
    await expect.poll(() => workers.count()).toBe(1);
  });

  it('draws the same topology from either worker', async () => {
    b = await start();
    await b.waitForGroup(2);
    const drawn: string[][] = [];
    for (const worker of [a, b]) {
      const watched = await openPage(browser);
      pages.push(watched);
      await watched.page.goto(`${worker.url}/#/topology/${app}`);
      const nodes = watched.page.getByRole('group', { name: 'Topology graph' }).locator('[data-node]');
      await nodes.first().waitFor();
      drawn.push((await nodes.evaluateAll((n) => n.map((node) => node.getAttribute('data-node')!))).sort());
    }
    expect(drawn[0]).toContain(input);
    expect(drawn[0]).toContain('latest');
    expect(drawn[1]).toEqual(drawn[0]);
  });
});
