/**
 * The orders system through crashes, as its users see it: orders and their payments are posted to the
 * orders API at a steady rate while the system is killed (SIGKILL) and started again at chosen
 * moments. Then every acknowledged order — 201 for the order, 202 for its payment in full — must
 * become CONFIRMED, and the `orders` topic, the orders-store change stream and the `emails` topic are
 * searched for states that went backwards and for repeats.
 *
 * What a state "going backwards" means is written here on its own, as the oracle: CREATED, then
 * VALIDATED, then CONFIRMED; FAILED ends an order, as CONFIRMED ends its way through this system.
 */
import type { EventLogPort, LogRecord } from '../../src/kafka/port.ts';
import { SseParser } from '../../src/query/sse.ts';
import { topics, type Order, type Product } from '../../schemas/topics.ts';
import { toOffset } from '../../src/common/offset.ts';

/** One run of the system (a process), serving the orders API at `url`. */
export interface RunningSystem {
  readonly url: string;
  /** SIGKILL: a crash with no chance to commit anything. */
  kill(): Promise<unknown>;
  /** SIGTERM: a graceful stop. */
  stop(): Promise<unknown>;
}

export interface OrdersSystem {
  /** Starts the system (the first time, or again after a crash) and resolves once it serves. */
  start(name: string): Promise<RunningSystem>;
  /** Every record of a topic, each partition in offset order; called after the system stopped. */
  read(topic: string): Promise<readonly LogRecord[]>;
}

export interface CrashPlan {
  /** How long orders flow before each kill, counted from when that run started serving. */
  readonly killAfterMs: readonly number[];
  /** How long orders flow after the last restart. */
  readonly finalMs: number;
  readonly ordersPerSecond: number;
  /** How long acknowledged orders may take to be CONFIRMED once traffic has stopped. */
  readonly settleTimeoutMs: number;
  /** Called with a line at each step (starts, kills, the settling). */
  readonly log?: (line: string) => void;
}

export interface CrashReport {
  /** Orders posted (201 or not). */
  readonly posted: number;
  /** Orders that got 201. */
  readonly created: number;
  /** Creates that did not get 201, by status ("none": no answer, the system was down). */
  readonly refused: Readonly<Record<string, number>>;
  /** Orders that got 201 and whose payment in full got 202. */
  readonly acknowledged: number;
  /** Acknowledged orders CONFIRMED in the end (over the orders API). */
  readonly confirmed: number;
  /** Acknowledged orders not CONFIRMED in the end, with the state the API gave (first 10). */
  readonly notConfirmed: readonly string[];
  /** Orders of this run whose states on `orders` went backwards at some point (first 10, with their states). */
  readonly backwardsInTopic: readonly string[];
  readonly backwardsInTopicCount: number;
  /** Orders with a state written more than once on `orders` (a repeat, not a step back). */
  readonly repeatedInTopic: number;
  /** The first 10 of those, with their states. */
  readonly repeatedExamples: readonly string[];
  /** Orders whose orders-store updates, within one run of the system, went backwards. */
  readonly backwardsInView: number;
  /**
   * Orders whose first orders-store update after a restart was behind the last one seen before the
   * crash (the view restored to its last commit, still catching up).
   */
  readonly behindAfterRestart: number;
  /**
   * Orders read over the API right after a restart in a state behind the one the view had shown before
   * the crash (each order seen before is read once, at once).
   */
  readonly readsBehindAfterRestart: number;
  /** Acknowledged orders with no email, and orders with more than one. */
  readonly withoutEmail: number;
  readonly severalEmails: number;
  readonly runs: number;
}

const PRODUCTS: readonly Product[] = ['JUMPERS', 'UNDERPANTS', 'STOCKINGS'];
const CUSTOMERS = 50;
const CONCURRENCY = 4;

/** The steps an order takes; FAILED and CONFIRMED end it. */
const STEP: Readonly<Record<string, number>> = { CREATED: 0, VALIDATED: 1, CONFIRMED: 2, FAILED: 2 };

/** True when `next` after `previous` goes back (or leaves an order that had ended). */
export function goesBack(previous: string, next: string): boolean {
  if (previous === next) return false;
  if (previous === 'FAILED' || previous === 'CONFIRMED') return true;
  return (STEP[next] ?? -1) < (STEP[previous] ?? -1);
}

export async function runOrdersThroughCrashes(system: OrdersSystem, plan: CrashPlan): Promise<CrashReport> {
  const log = plan.log ?? (() => undefined);
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const customerBase = 1_000_000 + Math.floor(Math.random() * 1e6) * 1000;
  let current = await system.start('run 1');
  let runs = 1;
  const views: ViewFollower[] = [new ViewFollower(current.url, run)];
  const traffic = new Traffic(() => current.url, run, customerBase, plan.ordersPerSecond);
  let states: Map<string, string>;
  let readsBehindAfterRestart = 0;
  try {
    await feedStockAndCustomers(current.url, customerBase);
    const flowing = traffic.flow();
    try {
      for (const delay of plan.killAfterMs) {
        await sleep(delay);
        log(
          `kill -9 of run ${runs} after ${delay} ms (${traffic.acknowledged.size} orders acknowledged so far)`,
        );
        await current.kill();
        await views.at(-1)!.close();
        runs++;
        current = await system.start(`run ${runs}`);
        readsBehindAfterRestart += await countReadsBehind(current.url, lastStates(views));
        views.push(new ViewFollower(current.url, run));
        log(`run ${runs} serves at ${current.url}`);
      }
      await sleep(plan.finalMs);
    } finally {
      traffic.stop();
      await flowing;
    }
    log(`traffic stopped: ${traffic.posted} posted, ${traffic.acknowledged.size} acknowledged`);
    states = await settle(current.url, [...traffic.acknowledged], plan.settleTimeoutMs, log);
  } catch (error) {
    await current.kill();
    throw error;
  } finally {
    await views.at(-1)!.close();
  }
  await current.stop();

  const ordersOfRun = decodeOrders(await system.read('orders')).filter((o) => o.id.includes(run));
  const emails = (await system.read('emails'))
    .map((r) => topics.emails.valueSerde.deserialize(r.value!))
    .filter((e) => e.orderId.includes(run));
  const byOrder = groupStates(ordersOfRun);
  const backwards = [...byOrder].filter(([, seq]) => seq.some((s, i) => i > 0 && goesBack(seq[i - 1]!, s)));
  const repeated = [...byOrder].filter(([, seq]) => new Set(seq).size < seq.length);
  const emailCounts = new Map<string, number>();
  for (const email of emails) emailCounts.set(email.orderId, (emailCounts.get(email.orderId) ?? 0) + 1);
  const notConfirmed = [...states].filter(([, state]) => state !== 'CONFIRMED');
  return {
    posted: traffic.posted,
    created: traffic.created,
    refused: traffic.refused,
    acknowledged: traffic.acknowledged.size,
    confirmed: states.size - notConfirmed.length,
    notConfirmed: notConfirmed.slice(0, 10).map(([id, state]) => `${id}: ${state}`),
    backwardsInTopic: backwards.slice(0, 10).map(([id, seq]) => `${id}: ${seq.join(', ')}`),
    backwardsInTopicCount: backwards.length,
    repeatedInTopic: repeated.length,
    repeatedExamples: repeated.slice(0, 10).map(([id, seq]) => `${id}: ${seq.join(', ')}`),
    backwardsInView: countViewBackwards(views),
    behindAfterRestart: countBehindAfterRestart(views),
    readsBehindAfterRestart,
    withoutEmail: [...traffic.acknowledged].filter((id) => !emailCounts.has(id)).length,
    severalEmails: [...emailCounts.values()].filter((n) => n > 1).length,
    runs,
  };
}

async function feedStockAndCustomers(url: string, customerBase: number): Promise<void> {
  for (const product of PRODUCTS)
    await call(url, 'PUT', `/v1/inventory/${product}`, { quantity: 10_000_000 });
  for (let c = 0; c < CUSTOMERS; c++)
    await call(url, 'PUT', `/v1/customers/${customerBase + c}`, {
      firstName: `Customer${c}`,
      lastName: 'Crash',
      email: `customer${c}@example.com`,
      address: `${c} Crash Street`,
    });
  // Orders checked before the stock is in the inventory's table would fail for want of stock, and
  // orders confirmed before their customer is in the emails' table would get no email.
  const loaded = [
    ...PRODUCTS.map((product) => `warehouse-stock/keys/${product}`),
    `customers/keys/${customerBase + CUSTOMERS - 1}`,
  ];
  for (const path of loaded)
    await until(path, 60_000, async () => {
      const response = await fetch(`${url}/stores/${path}`);
      await response.arrayBuffer();
      return response.status === 200;
    });
}

/** Orders and their payments, posted at a steady rate by a few clients at once, whatever state the system is in. */
class Traffic {
  posted = 0;
  created = 0;
  readonly refused: Record<string, number> = {};
  readonly acknowledged = new Set<string>();
  private stopped = false;
  private next = 0;
  private nextDue = Date.now();
  private readonly url: () => string;
  private readonly runId: string;
  private readonly customerBase: number;
  private readonly perSecond: number;

  constructor(url: () => string, runId: string, customerBase: number, perSecond: number) {
    this.url = url;
    this.runId = runId;
    this.customerBase = customerBase;
    this.perSecond = perSecond;
  }

  async flow(): Promise<void> {
    await Promise.all(Array.from({ length: CONCURRENCY }, () => this.client()));
  }

  stop(): void {
    this.stopped = true;
  }

  private async client(): Promise<void> {
    while (!this.stopped) {
      const due = this.nextDue;
      this.nextDue = Math.max(due, Date.now()) + 1000 / this.perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      if (this.stopped) return;
      const i = this.next++;
      const order = {
        id: `crash-${this.runId}-${i}`,
        customerId: this.customerBase + (i % CUSTOMERS),
        product: PRODUCTS[i % PRODUCTS.length]!,
        quantity: 1 + (i % 3),
        price: 1 + (i % 5),
      };
      const url = this.url();
      this.posted++;
      const created = await call(url, 'POST', '/v1/orders', order);
      if (created !== 201) {
        const status = String(created ?? 'none');
        this.refused[status] = (this.refused[status] ?? 0) + 1;
        // Down or restarting: the order may or may not be in the log; it is not acknowledged.
        await sleep(100);
        continue;
      }
      this.created++;
      const payment = {
        id: `pay-${order.id}`,
        orderId: order.id,
        ccy: 'EUR',
        amount: order.quantity * order.price,
      };
      if ((await call(url, 'POST', '/v1/payments', payment)) === 202) this.acknowledged.add(order.id);
    }
  }
}

/** The orders-store change stream of one run of the system: the states of this run's orders, in order. */
class ViewFollower {
  readonly states = new Map<string, string[]>();
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(url: string, run: string) {
    this.done = this.follow(url, run);
  }

  private async follow(url: string, run: string): Promise<void> {
    // The stream may not answer at once after a start: retry until it does or the run ends.
    while (!this.abort.signal.aborted) {
      try {
        const response = await fetch(`${url}/stores/orders-store/changes`, { signal: this.abort.signal });
        if (response.status !== 200) {
          await response.arrayBuffer();
          await sleep(200);
          continue;
        }
        const parser = new SseParser();
        const decoder = new TextDecoder();
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
            if (event.event !== 'change') continue;
            const change = JSON.parse(event.data) as { key: string; value: Order | null };
            if (!change.key.includes(run) || change.value === null) continue;
            const seen = this.states.get(change.key) ?? [];
            seen.push(change.value.state);
            this.states.set(change.key, seen);
          }
        }
      } catch {
        // aborted, or the process died
      }
      await sleep(200);
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

function countViewBackwards(views: readonly ViewFollower[]): number {
  const orders = new Set<string>();
  for (const view of views)
    for (const [id, seq] of view.states)
      if (seq.some((s, i) => i > 0 && goesBack(seq[i - 1]!, s))) orders.add(id);
  return orders.size;
}

function countBehindAfterRestart(views: readonly ViewFollower[]): number {
  const orders = new Set<string>();
  const lastSeen = new Map<string, string>();
  for (const view of views) {
    for (const [id, seq] of view.states) {
      const before = lastSeen.get(id);
      if (before !== undefined && goesBack(before, seq[0]!)) orders.add(id);
    }
    for (const [id, seq] of view.states) lastSeen.set(id, seq.at(-1)!);
  }
  return orders.size;
}

/** The last state each order was seen in, over all runs so far. */
function lastStates(views: readonly ViewFollower[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const view of views) for (const [id, seq] of view.states) last.set(id, seq.at(-1)!);
  return last;
}

/** Reads each order once over the API; counts those in a state behind the one given. */
async function countReadsBehind(url: string, seen: ReadonlyMap<string, string>): Promise<number> {
  let behind = 0;
  for (const [id, state] of seen) {
    const now = await orderState(url, id);
    if (now !== undefined && goesBack(state, now)) behind++;
  }
  return behind;
}

/** Waits until every acknowledged order is CONFIRMED over the API (or the time is up); their last states. */
async function settle(
  url: string,
  ids: readonly string[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  let open = [...ids];
  while (open.length > 0) {
    for (const id of open) states.set(id, (await orderState(url, id)) ?? 'MISSING');
    open = open.filter((id) => states.get(id) !== 'CONFIRMED');
    if (open.length === 0 || Date.now() > deadline) break;
    log(`${open.length} of ${ids.length} acknowledged orders not CONFIRMED yet`);
    await sleep(1000);
  }
  return states;
}

async function orderState(url: string, id: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/v1/orders/${encodeURIComponent(id)}?timeout=0`);
    if (response.status !== 200) {
      await response.arrayBuffer();
      return undefined;
    }
    return ((await response.json()) as Order).state;
  } catch {
    return undefined;
  }
}

function decodeOrders(records: readonly LogRecord[]): Order[] {
  return records.map((r) => topics.orders.valueSerde.deserialize(r.value!));
}

/** Each order's states in the order written (an order's records share one partition). */
function groupStates(orders: readonly Order[]): Map<string, string[]> {
  const byOrder = new Map<string, string[]>();
  for (const order of orders) {
    const seq = byOrder.get(order.id) ?? [];
    seq.push(order.state);
    byOrder.set(order.id, seq);
  }
  return byOrder;
}

/** Reads every partition of a topic from its start to its end (as the log has it now). */
export async function readTopic(
  port: EventLogPort,
  topic: string,
  readCommitted: boolean,
): Promise<LogRecord[]> {
  const admin = port.admin();
  const ends = await admin.offsets(topic).finally(() => admin.close());
  const byPartition = new Map<number, LogRecord[]>();
  const pending = new Set([...ends].filter(([, range]) => BigInt(range.high) > 0n).map(([p]) => p));
  const reader = port.partitionReader({ readCommitted, topics: [topic], clientId: `crash-test-${topic}` });
  let failure: Error | undefined;
  await reader.start(
    (batch) => {
      const list = byPartition.get(batch.partition) ?? [];
      list.push(...batch.records);
      byPartition.set(batch.partition, list);
      if (BigInt(batch.nextOffset) >= BigInt(ends.get(batch.partition)!.high))
        pending.delete(batch.partition);
    },
    (error) => (failure = error),
  );
  try {
    for (const partition of pending) await reader.assign({ topic, partition, offset: toOffset(0) });
    await until(`the end of ${topic}`, 60_000, async () => {
      if (failure) throw failure;
      return pending.size === 0;
    });
  } finally {
    await reader.stop();
  }
  return [...byPartition].sort(([a], [b]) => a - b).flatMap(([, records]) => records);
}

async function call(url: string, method: string, path: string, body: unknown): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
