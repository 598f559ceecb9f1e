/**
 * Regenerates the screenshots of docs/console.md (docs/console/*.png): `tributary start` in a fresh
 * data directory, one order placed and paid through the orders API, then each view in headless
 * Chromium at 1280×800. `npm run docs:screenshots`; CHROMIUM_PATH names another browser.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildConsole } from './build.ts';
import { ok, startDemo } from './demo.ts';

const out = fileURLToPath(new URL('../../docs/console/', import.meta.url));

await buildConsole();
const demo = await startDemo();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  await ok(demo.call('PUT', '/v1/inventory/JUMPERS', { quantity: 10 }));
  await ok(
    demo.call('PUT', '/v1/customers/1', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      address: '1 Analytical Row',
      level: 'gold',
    }),
  );
  await ok(
    demo.call('POST', '/v1/orders', { id: 'o-1', customerId: 1, product: 'JUMPERS', quantity: 1, price: 10 }),
  );
  await ok(demo.call('GET', '/v1/orders/o-1/validated?timeout=20000'));
  await ok(demo.call('POST', '/v1/payments', { id: 'p-1', orderId: 'o-1', ccy: 'EUR', amount: 10 }));
  await ok(
    demo.call('POST', '/v1/orders', {
      id: 'o-2',
      customerId: 1,
      product: 'JUMPERS',
      quantity: 50,
      price: 10,
    }),
  );

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shots: [string, string, string][] = [
    ['topology', '#/topology/validations-aggregator', '[data-node]'],
    ['tasks', '#/tasks/payments', 'tr[data-task]'],
    ['stores', '#/stores/orders-store', 'button[data-key]'],
    ['orders', '#/orders/o-1', '[data-step="Email sent"][data-status="done"]'],
  ];
  for (const [name, hash, ready] of shots) {
    await page.goto(`${demo.url}/${hash}`);
    await page.locator(ready).first().waitFor({ timeout: 30_000 });
    if (name === 'topology') {
      await page.locator('[data-kind="store"]').first().click();
      // Clicking scrolled the store into view; the screenshot shows the graph from its start.
      await page.evaluate("document.querySelector('.graph-scroll').scrollTo(0, 0)");
    }
    if (name === 'stores') await page.locator('button[data-key]').first().click();
    // Charts draw samples every 2 s: let a few arrive.
    if (name === 'tasks') await page.waitForTimeout(6_000);
    const path = join(out, `${name}.png`);
    await page.screenshot({ path });
    console.log(`wrote ${path}`);
  }
} finally {
  await browser.close();
  await demo.stop();
}
