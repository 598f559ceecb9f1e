/**
 * What the console costs with a store of 10,000 keys and dozens of tasks: `tributary start` (the seven
 * reference applications, 33 tasks at 3 partitions; TOPIC_PARTITIONS raises it) with 10,000 customers
 * in the global store `customers`, then in headless Chromium: the time from navigation to the first
 * page of the store drawn, and to the task table drawn, and the status events the task view receives
 * in 30 s with their size. `npm run bench:console`; the figures go into docs/benchmarks.md.
 */
import { chromium } from 'playwright-core';
import { describeMachine } from '../bench/machine.ts';
import { buildConsole } from './build.ts';
import { ok, startDemo } from './demo.ts';

const KEYS = 10_000;
const EVENTS_FOR_MS = 30_000;

await buildConsole();
const demo = await startDemo({ TOPIC_PARTITIONS: process.env.TOPIC_PARTITIONS ?? '3' });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  for (let start = 0; start < KEYS; start += 200)
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        ok(
          demo.call('PUT', `/v1/customers/${start + i + 1}`, {
            firstName: 'Ada',
            lastName: `Customer ${start + i + 1}`,
            email: `c${start + i + 1}@example.com`,
            address: '1 Analytical Row',
            level: 'gold',
          }),
        ),
      ),
    );
  for (;;) {
    const page = (await ok(demo.call('GET', `/stores/customers?from=${KEYS}&to=${KEYS}`))) as {
      entries: unknown[];
    };
    if (page.entries.length === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const status = (await ok(demo.call('GET', '/console/api/status'))) as {
    workers: { status: { applications: { tasks: unknown[] }[] } }[];
  };
  const tasks = status.workers[0]!.status.applications.reduce((n, a) => n + a.tasks.length, 0);

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const timed = async (hash: string, ready: string): Promise<number> => {
    await page.goto('about:blank');
    const started = performance.now();
    await page.goto(`${demo.url}/${hash}`);
    await page.locator(ready).first().waitFor({ timeout: 60_000 });
    return performance.now() - started;
  };
  const storeMs: number[] = [];
  const tasksMs: number[] = [];
  for (let round = 0; round < 5; round++) {
    storeMs.push(await timed('#/stores/customers', 'button[data-key]'));
    tasksMs.push(await timed('#/tasks/payments', 'tr[data-task]'));
  }

  // The task view's stream, as a client in the page reads it (beside the page's own).
  await page.goto(`${demo.url}/#/tasks/payments`);
  await page.locator('tr[data-task]').first().waitFor();
  const stream = await page.evaluate<{ events: number; bytes: number; gaps: number[] }, number>(
    async (forMs) => {
      const controller = new AbortController();
      const response = await fetch('/console/api/status/events', { signal: controller.signal });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      const until = Date.now() + forMs;
      const times: number[] = [];
      let bytes = 0;
      let text = '';
      while (Date.now() < until) {
        const chunk = await Promise.race([
          reader.read(),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), until - Date.now())),
        ]);
        if (!chunk || chunk.done) break;
        bytes += chunk.value.length;
        text += decoder.decode(chunk.value, { stream: true });
        for (let at = text.indexOf('event: status'); at >= 0; at = text.indexOf('event: status')) {
          times.push(Date.now());
          text = text.slice(at + 13);
        }
      }
      controller.abort();
      return { events: times.length, bytes, gaps: times.slice(1).map((t, i) => t - times[i]!) };
    },
    EVENTS_FOR_MS,
  );
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`machine: ${describeMachine()}`);
  console.log(`${KEYS} keys in the store "customers", ${tasks} tasks on the worker`);
  console.log(
    `store view, first page drawn: median ${Math.round(median(storeMs))} ms of 5 (${storeMs.map(Math.round).join(', ')})`,
  );
  console.log(
    `task view, task table drawn:  median ${Math.round(median(tasksMs))} ms of 5 (${tasksMs.map(Math.round).join(', ')})`,
  );
  console.log(
    `status stream: ${stream.events} events in ${EVENTS_FOR_MS / 1000} s (${(stream.events / (EVENTS_FOR_MS / 1000)).toFixed(2)}/s), ` +
      `median gap ${median(stream.gaps)} ms, ${Math.round(stream.bytes / stream.events / 1024)} KiB each`,
  );
} finally {
  await browser.close();
  await demo.stop();
}
