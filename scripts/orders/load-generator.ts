/**
 * Drives the orders HTTP API as the article's demo does: customers first, stock kept topped up, then
 * orders at a steady rate, each followed by its payment. Order states are followed over the store's
 * change stream (`/stores/orders-store/changes`), so nothing polls; orders still open at the end are
 * read once. The summary counts the states reached and the time from POST to CONFIRMED or FAILED.
 */
import { SseParser } from '../../src/query/sse.ts';
import type { Order, Product } from '../../schemas/topics.ts';

export interface LoadOptions {
  /** Workers serving the orders API; requests are spread over them. */
  readonly urls: readonly string[];
  readonly orders: number;
  /** Orders per second. */
  readonly rate: number;
  readonly customers?: number;
  /** Share of payments below the order value (those orders FAIL), 0 to 1. */
  readonly underpaid?: number;
  /** How long to wait for the last orders to settle. */
  readonly settleTimeoutMs?: number;
  /** Called about once a second with a line of progress. */
  readonly onProgress?: (line: string) => void;
  /** Seeds the random choices (products, quantities, prices), so runs can be repeated. */
  readonly seed?: number;
}

export interface LoadSummary {
  readonly sent: number;
  /** Final state of each order, counted; orders never seen in orders-store count as MISSING. */
  readonly states: Readonly<Record<string, number>>;
  /** Why FAILED orders failed, counted by reason (numbers left out so similar reasons group). */
  readonly failures: Readonly<Record<string, number>>;
  /** POST to CONFIRMED or FAILED, in milliseconds, over the orders that got there. */
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly httpErrors: number;
  readonly elapsedMs: number;
  readonly ordersPerSecond: number;
}

const PRODUCTS: readonly Product[] = ['JUMPERS', 'UNDERPANTS', 'STOCKINGS'];
const TERMINAL = new Set(['CONFIRMED', 'FAILED']);
/** Stock kept above what this run has ordered of each product. */
const HEADROOM = 1_000;

interface Tracked {
  readonly postedAt: number;
  state: string;
  settledAt?: number;
  reason?: string | null;
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const random = seeded(options.seed ?? Date.now());
  const urls = options.urls.map((u) => u.replace(/\/+$/, ''));
  const at = (i: number) => urls[i % urls.length]!;
  const customers = options.customers ?? Math.max(10, Math.ceil(options.orders / 5));
  // Ids of this run: orders and customers never collide with earlier runs (fraud sessions are per customer).
  const run = `${Date.now().toString(36)}${Math.floor(random() * 1e6).toString(36)}`;
  const customerBase = 1_000_000 + Math.floor(random() * 1e9) * 100;
  let httpErrors = 0;
  const call = async (method: string, url: string, body: unknown): Promise<Response | undefined> => {
    try {
      const response = await fetch(url, {
        method,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      if (!response.ok) {
        httpErrors++;
        options.onProgress?.(`${method} ${url}: ${response.status} ${await response.text()}`);
      } else await response.arrayBuffer();
      return response;
    } catch (error) {
      httpErrors++;
      options.onProgress?.(`${method} ${url}: ${(error as Error).message}`);
      return undefined;
    }
  };

  for (let c = 0; c < customers; c++) {
    await call('PUT', `${at(c)}/v1/customers/${customerBase + c}`, {
      firstName: `Customer${c}`,
      lastName: 'Load',
      email: `customer${c}@example.com`,
      address: `${c} Load Street`,
    });
  }
  // Stock: what is reserved already (when the worker runs the inventory application), plus headroom.
  const reserved = new Map<Product, number>();
  for (const product of PRODUCTS) reserved.set(product, await reservedStock(urls[0]!, product));
  const ordered = new Map<Product, number>(PRODUCTS.map((p) => [p, 0]));
  const topUp = async () => {
    for (const product of PRODUCTS)
      await call('PUT', `${urls[0]}/v1/inventory/${product}`, {
        quantity: reserved.get(product)! + ordered.get(product)! + HEADROOM,
      });
  };
  await topUp();
  // Give the inventory application a moment to see the stock before the first orders.
  await sleep(1_000);

  const tracked = new Map<string, Tracked>();
  const stream = followOrders(urls, tracked);
  await stream.ready;

  const started = Date.now();
  let sent = 0;
  let lastProgress = started;
  const progress = () => {
    const counts = countStates(tracked);
    const elapsed = (Date.now() - started) / 1000;
    options.onProgress?.(
      `sent ${sent}/${options.orders} | ${Object.entries(counts)
        .map(([s, n]) => `${s.toLowerCase()} ${n}`)
        .join(' ')} | ${(sent / Math.max(elapsed, 0.001)).toFixed(1)}/s`,
    );
  };
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < options.orders; i++) {
    const due = started + (i * 1000) / options.rate;
    if (due > Date.now()) await sleep(due - Date.now());
    const product = PRODUCTS[Math.floor(random() * PRODUCTS.length)]!;
    const quantity = 1 + Math.floor(random() * 3);
    const price = Math.round((5 + random() * 45) * 100) / 100;
    ordered.set(product, ordered.get(product)! + quantity);
    // Topped up well ahead of what the next orders take, without holding up the schedule.
    if (i % 50 === 0 && i > 0) {
      const topping = topUp();
      inFlight.add(topping);
      void topping.finally(() => inFlight.delete(topping));
    }
    const id = `load-${run}-${i}`;
    const underpaid = random() < (options.underpaid ?? 0.05);
    const amount = underpaid
      ? Math.round(quantity * price * 50) / 100
      : Math.round(quantity * price * 100) / 100;
    const url = at(i);
    const task = (async () => {
      tracked.set(id, { postedAt: Date.now(), state: 'POSTED' });
      const posted = await call('POST', `${url}/v1/orders`, {
        id,
        customerId: customerBase + Math.floor(random() * customers),
        product,
        quantity,
        price,
      });
      if (!posted?.ok) {
        tracked.get(id)!.state = 'REJECTED';
        return;
      }
      await call('POST', `${url}/v1/payments`, { id: `pay-${id}`, orderId: id, ccy: 'EUR', amount });
    })();
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    sent++;
    if (Date.now() - lastProgress >= 1000) {
      lastProgress = Date.now();
      progress();
    }
  }
  await Promise.all(inFlight);

  const deadline = Date.now() + (options.settleTimeoutMs ?? 60_000);
  while (
    Date.now() < deadline &&
    [...tracked.values()].some((t) => !TERMINAL.has(t.state) && t.state !== 'REJECTED')
  ) {
    await sleep(250);
    if (Date.now() - lastProgress >= 1000) {
      lastProgress = Date.now();
      progress();
    }
  }
  stream.close();
  // Orders still open: read once (the stream may have missed their last update while reconnecting).
  for (const [id, order] of tracked) {
    if (TERMINAL.has(order.state) || order.state === 'REJECTED') continue;
    const response = await fetch(`${urls[0]}/v1/orders/${encodeURIComponent(id)}?timeout=0`).catch(
      () => undefined,
    );
    if (response?.ok) {
      const body = (await response.json()) as Order;
      order.state = body.state;
      order.reason = body.failureReason;
    } else {
      await response?.arrayBuffer();
      if (order.state === 'POSTED') order.state = 'MISSING';
    }
  }
  progress();

  const latencies = [...tracked.values()]
    .filter((t) => t.settledAt !== undefined)
    .map((t) => t.settledAt! - t.postedAt)
    .sort((x, y) => x - y);
  const failures: Record<string, number> = {};
  for (const t of tracked.values()) {
    if (t.state !== 'FAILED') continue;
    const reason = (t.reason ?? 'no reason given')
      .replace(/\d+(\.\d+)?/g, 'N')
      .replace(/pay-load-\S+/g, 'pay-…');
    failures[reason] = (failures[reason] ?? 0) + 1;
  }
  const elapsedMs = Date.now() - started;
  return {
    sent,
    states: countStates(tracked),
    failures,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? NaN,
    },
    httpErrors,
    elapsedMs,
    ordersPerSecond: sent / (elapsedMs / 1000),
  };
}

/** Follows every order's updates on orders-store's change stream, reconnecting when a rebalance ends it. */
function followOrders(
  urls: readonly string[],
  tracked: Map<string, Tracked>,
): { ready: Promise<void>; close: () => void } {
  const abort = new AbortController();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  void (async () => {
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        const response = await fetch(`${urls[attempt % urls.length]}/stores/orders-store/changes`, {
          signal: abort.signal,
        });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        markReady();
        const parser = new SseParser();
        const decoder = new TextDecoder();
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
            if (event.event !== 'change') continue;
            const { key, value } = JSON.parse(event.data) as { key: string; value: Order | null };
            const order = tracked.get(key);
            if (!order || !value || TERMINAL.has(order.state)) continue;
            order.state = value.state;
            order.reason = value.failureReason;
            if (TERMINAL.has(value.state)) order.settledAt = Date.now();
          }
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      await sleep(500);
    }
  })();
  // Start anyway after a while: without the stream, open orders are read at the end.
  setTimeout(markReady, 10_000).unref();
  return { ready, close: () => abort.abort() };
}

/** Units of a product reserved by the inventory application, if the worker serves its store. */
async function reservedStock(url: string, product: Product): Promise<number> {
  try {
    const response = await fetch(`${url}/stores/reserved-stock/keys/${product}`);
    if (!response.ok) {
      await response.arrayBuffer();
      return 0;
    }
    const { value } = (await response.json()) as { value: number };
    return typeof value === 'number' ? value : 0;
  } catch {
    return 0;
  }
}

function countStates(tracked: ReadonlyMap<string, Tracked>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of tracked.values()) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return counts;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small seeded generator (mulberry32): the same seed gives the same orders. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
