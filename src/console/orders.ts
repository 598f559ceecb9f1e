/**
 * The orders view of the reference system: recent orders with their timeline, put together from what
 * the system writes — every state on `orders` (CREATED, VALIDATED or FAILED, CONFIRMED), each check on
 * `order-validations`, the email on `emails` — followed from the end of those topics. Shown when the
 * worker serves the orders API (a `POST /v1/orders` route beside the store `orders-store`).
 */
import type { EventLogPort } from '../kafka/port.ts';
import { isJsonObject } from '../common/json.ts';
import type { Logger } from '../common/logger.ts';
import type { AppRunner } from '../runtime/worker/app-runner.ts';
import type { OrderEvent, OrdersReport, OrdersSystem, OrderTimeline } from './api-types.ts';
import { TopicTail, topicSerdes, type TailedRecord, type TopicSerdes } from './topic-tail.ts';

/** Orders remembered: the most recently active ones. */
export const ORDERS_KEPT = 500;
/** Records read from the end of each partition when following starts. */
const RECENT_PER_PARTITION = 500;

export const ORDERS_STORE = 'orders-store';

/** Where the orders system lives, given the renaming of its topics (tests run it under other names). */
export function ordersSystem(rename: (name: string) => string): OrdersSystem {
  return {
    store: ORDERS_STORE,
    topics: { orders: rename('orders'), validations: rename('order-validations'), emails: rename('emails') },
  };
}

interface Entry {
  id: string;
  order: Record<string, unknown> | undefined;
  events: OrderEvent[];
  lastActivity: number;
}

export class OrdersTimelines {
  /** Where the orders system lives, as this view follows it. */
  readonly system: OrdersSystem;
  private readonly tail: TopicTail | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly missing: string[];

  constructor(options: {
    system: OrdersSystem;
    runners: readonly AppRunner[];
    port: EventLogPort;
    clientId: string;
    logger: Logger;
  }) {
    this.system = options.system;
    const topics = new Map<string, TopicSerdes>();
    this.missing = [];
    for (const topic of Object.values(options.system.topics)) {
      const serdes = topicSerdes(options.runners, topic);
      if (serdes) topics.set(topic, serdes);
      else this.missing.push(topic);
    }
    this.tail = topics.has(options.system.topics.orders)
      ? new TopicTail({
          port: options.port,
          topics,
          recentPerPartition: RECENT_PER_PARTITION,
          clientId: options.clientId,
          logger: options.logger,
          onRecord: (record) => this.add(record),
        })
      : undefined;
  }

  /** The recent orders, most recently active first; following starts with the first call. */
  report(limit: number): OrdersReport {
    void this.tail?.start();
    const orders: OrderTimeline[] = [];
    for (const entry of [...this.entries.values()].sort((a, b) => b.lastActivity - a.lastActivity)) {
      if (orders.length >= limit) break;
      if (!entry.order) continue;
      orders.push({
        id: entry.id,
        state: String(entry.order.state),
        order: entry.order,
        failureReason: typeof entry.order.failureReason === 'string' ? entry.order.failureReason : null,
        events: [...entry.events].sort((a, b) => a.time - b.time),
      });
    }
    const error = this.tail
      ? this.tail.error
      : `no application on this worker reads or writes the topic "${this.system.topics.orders}"`;
    return {
      caughtUp: this.tail?.caughtUp ?? false,
      error:
        error ??
        (this.missing.length > 0
          ? `not shown: the topics ${this.missing.join(', ')} (no application on this worker uses them)`
          : null),
      orders,
    };
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }

  private add(record: TailedRecord): void {
    const { value } = record;
    if (typeof record.key !== 'string' || !isJsonObject(value)) return;
    const entry = this.entry(record.key);
    const time = record.timestamp;
    const { topics } = this.system;
    if (record.topic === topics.orders) {
      entry.order = value;
      entry.events.push({
        kind: 'state',
        time,
        state: String(value.state),
        reason: text(value.failureReason),
      });
    } else if (record.topic === topics.validations) {
      entry.events.push({
        kind: 'check',
        time,
        check: String(value.checkType),
        result: String(value.validationResult),
        reason: text(value.reason),
      });
    } else if (record.topic === topics.emails) {
      entry.events.push({ kind: 'email', time, to: String(value.to), subject: String(value.subject) });
    }
    entry.lastActivity = Math.max(entry.lastActivity, time);
  }

  private entry(id: string): Entry {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { id, order: undefined, events: [], lastActivity: 0 };
      this.entries.set(id, entry);
      if (this.entries.size > ORDERS_KEPT * 2) this.forgetOldest();
    }
    return entry;
  }

  private forgetOldest(): void {
    const oldest = [...this.entries.values()]
      .sort((a, b) => a.lastActivity - b.lastActivity)
      .slice(0, this.entries.size - ORDERS_KEPT);
    for (const entry of oldest) this.entries.delete(entry.id);
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
