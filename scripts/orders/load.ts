/**
 * Load for the orders HTTP API, as the article's demo makes it:
 *
 *   npm run load -- --url http://127.0.0.1:8080 --orders 1000 --rate 50
 *
 * Options: --url <base URL> (repeat it, or separate with commas, to spread requests over workers;
 * default $ORDERS_URL or http://127.0.0.1:8080), --orders <n> (default 100), --rate <orders per second>
 * (default 20), --customers <n> (default orders / 5, at least 10), --underpaid <share of payments below
 * the order value, default 0.05>, --settle-timeout-ms <ms> (default 60000), --seed <n>.
 * Progress goes to standard error; the summary (states reached, POST → CONFIRMED/FAILED latencies) to
 * standard output. Exits 1 when some order did not reach CONFIRMED or FAILED.
 */
import { parseArgs } from 'node:util';
import { runLoad } from './load-generator.ts';

function fail(message: string): never {
  process.stderr.write(`load: ${message}\n`);
  process.exit(2);
}

function number(
  text: string | undefined,
  option: string,
  fallback: number,
  { whole = true, max = Infinity } = {},
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (
    text.trim() === '' ||
    Number.isNaN(value) ||
    value < 0 ||
    value > max ||
    (whole && !Number.isInteger(value))
  )
    fail(
      `--${option} expects ${whole ? 'a whole number' : 'a number'}${max < Infinity ? ` up to ${max}` : ''}, got "${text}"`,
    );
  return value;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string', multiple: true },
    orders: { type: 'string' },
    rate: { type: 'string' },
    customers: { type: 'string' },
    underpaid: { type: 'string' },
    'settle-timeout-ms': { type: 'string' },
    seed: { type: 'string' },
  },
});

const urls = (values.url ?? [process.env.ORDERS_URL ?? 'http://127.0.0.1:8080'])
  .flatMap((u) => u.split(','))
  .filter(Boolean);
for (const url of urls)
  if (!/^https?:\/\/[^/]+/.test(url))
    fail(`--url expects a base URL such as http://127.0.0.1:8080, got "${url}"`);
const rate = number(values.rate, 'rate', 20, { whole: false });
if (rate === 0) fail('--rate must be above 0');
const interactive = process.stderr.isTTY;

const summary = await runLoad({
  urls,
  orders: number(values.orders, 'orders', 100),
  rate,
  customers: values.customers === undefined ? undefined : number(values.customers, 'customers', 10),
  underpaid: number(values.underpaid, 'underpaid', 0.05, { whole: false, max: 1 }),
  settleTimeoutMs: number(values['settle-timeout-ms'], 'settle-timeout-ms', 60_000),
  seed: values.seed === undefined ? undefined : number(values.seed, 'seed', 1),
  onProgress: (line) => process.stderr.write(interactive ? `\r\x1b[K${line}` : `${line}\n`),
});
if (interactive) process.stderr.write('\n');

const { latencyMs: l } = summary;
const lines = [
  `orders sent: ${summary.sent} in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.ordersPerSecond.toFixed(1)}/s), HTTP errors: ${summary.httpErrors}`,
  `states reached: ${Object.entries(summary.states)
    .sort(([, a], [, b]) => b - a)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ')}`,
  ...Object.entries(summary.failures).map(([reason, n]) => `  FAILED ×${n}: ${reason}`),
  `POST → CONFIRMED/FAILED: p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`,
];
process.stdout.write(`${lines.join('\n')}\n`);
const open = summary.sent - (summary.states.CONFIRMED ?? 0) - (summary.states.FAILED ?? 0);
process.exitCode = open > 0 ? 1 : 0;
