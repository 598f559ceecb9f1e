// What the orders system decided, as a consumer of its output topics sees it: the orders decided
// (VALIDATED or FAILED by the validations aggregator) with when each decision arrived, the final state
// of every order, and the emails sent. Two engines' outcomes on the same recording are compared
// order by order: they must agree, or the two implementations do not follow the same rules.
import type { Consumer, Kafka } from 'kafkajs';
import { unique } from './kafka-kit.ts';

/** An order's final state as a string: `STATE` or `STATE: failure reason`. */
export type FinalState = string;

export interface OrdersOutcome {
  readonly states: ReadonlyMap<string, FinalState>;
  /** Per order, the emails sent (the Email record as JSON), in the order written. */
  readonly emails: ReadonlyMap<string, readonly string[]>;
}

/**
 * Follows `orders` and `emails` from the beginning (read_committed, as kafkajs reads by default)
 * while an engine runs.
 */
export class OutcomeWatcher {
  /** When the first VALIDATED or FAILED of each order arrived here. */
  readonly decidedAt = new Map<string, number>();
  lastDecisionAt = 0;
  /** When anything last arrived on either topic. */
  lastOutputAt = 0;
  private readonly states = new Map<string, FinalState>();
  private readonly emails = new Map<string, string[]>();
  private readonly consumer: Consumer;

  private constructor(consumer: Consumer) {
    this.consumer = consumer;
  }

  static async start(kafka: Kafka): Promise<OutcomeWatcher> {
    const { topics } = await import('../../schemas/topics.ts');
    const consumer = kafka.consumer({ groupId: unique('bench-outcome'), maxWaitTimeInMs: 20 });
    const watcher = new OutcomeWatcher(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.orders.name, topics.emails.name], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const arrived = Date.now();
        watcher.lastOutputAt = arrived;
        for (const message of batch.messages) {
          const key = message.key!.toString();
          if (batch.topic === topics.emails.name) {
            const email = topics.emails.valueSerde.deserialize(message.value!);
            const list = watcher.emails.get(key) ?? [];
            list.push(JSON.stringify(email));
            watcher.emails.set(key, list);
            continue;
          }
          const order = topics.orders.valueSerde.deserialize(message.value!);
          watcher.states.set(
            key,
            order.failureReason ? `${order.state}: ${order.failureReason}` : order.state,
          );
          if ((order.state === 'VALIDATED' || order.state === 'FAILED') && !watcher.decidedAt.has(key)) {
            watcher.decidedAt.set(key, arrived);
            watcher.lastDecisionAt = arrived;
          }
        }
      },
    });
    return watcher;
  }

  outcome(): OrdersOutcome {
    return { states: new Map(this.states), emails: new Map(this.emails) };
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export interface OutcomeComparison {
  readonly orders: number;
  readonly agreeing: number;
  /**
   * Orders that end differently where one side failed the order on its FRAUD_CHECK or INVENTORY_CHECK.
   * Those two checks depend on which orders came first (a customer's session total, the stock left),
   * and no rule fixes the order in which a catch-up's records meet after a repartition: each engine
   * interleaves its tasks in its own way, and two runs of one engine differ too.
   */
  readonly orderDependent: number;
  /** Every other difference: a state, reason or email that no delivery order explains. */
  readonly unexplained: number;
  /** Kinds of difference (`A → B`, numbers in reasons left out) with how many orders each. */
  readonly kinds: readonly {
    readonly kind: string;
    readonly orders: number;
    readonly orderDependent: boolean;
    readonly example: string;
  }[];
}

/** Reasons with their numbers and ids left out, so that differences of one kind count together. */
function kindOf(state: FinalState | undefined): string {
  if (state === undefined) return 'absent';
  return state.replace(/-?\d+(\.\d+)?/g, 'N');
}

const ORDER_DEPENDENT_FAILURE = /^FAILED: (FRAUD_CHECK|INVENTORY_CHECK) failed/;

export function compareOutcomes(a: OrdersOutcome, b: OrdersOutcome): OutcomeComparison {
  const ids = new Set([...a.states.keys(), ...b.states.keys()]);
  const kinds = new Map<string, { orders: number; orderDependent: boolean; example: string }>();
  let agreeing = 0;
  let orderDependent = 0;
  let unexplained = 0;
  for (const id of ids) {
    const [left, right] = [a.states.get(id), b.states.get(id)];
    const [leftEmails, rightEmails] = [a.emails.get(id) ?? [], b.emails.get(id) ?? []];
    let kind: string;
    let example: string;
    if (left !== right) {
      kind = `${kindOf(left)} → ${kindOf(right)}`;
      example = `${id}: ${left ?? 'absent'} → ${right ?? 'absent'}`;
    } else if (leftEmails.join('\n') !== rightEmails.join('\n')) {
      kind = `${kindOf(left)}, emails: ${leftEmails.length} → ${rightEmails.length}`;
      example = `${id}: ${leftEmails.at(0) ?? 'none'} → ${rightEmails.at(0) ?? 'none'}`;
    } else {
      agreeing++;
      continue;
    }
    // An email follows its order's state: with the states apart, the emails are explained with them.
    const dependent =
      left !== right &&
      [left, right].some((state) => state !== undefined && ORDER_DEPENDENT_FAILURE.test(state));
    if (dependent) orderDependent++;
    else unexplained++;
    const entry = kinds.get(kind) ?? { orders: 0, orderDependent: dependent, example };
    entry.orders++;
    kinds.set(kind, entry);
  }
  return {
    orders: ids.size,
    agreeing,
    orderDependent,
    unexplained,
    kinds: [...kinds]
      .map(([kind, entry]) => ({ kind, ...entry }))
      .sort((x, y) => Number(x.orderDependent) - Number(y.orderDependent) || y.orders - x.orders),
  };
}
