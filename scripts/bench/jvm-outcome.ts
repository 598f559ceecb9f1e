// What the orders system decided, as a consumer of its output topics sees it: the orders decided
// (VALIDATED or FAILED by the validations aggregator) with when each decision arrived, the final state
// of every order, and the emails sent. Two engines' outcomes on the same recording are compared
// order by order: they must agree, or the two implementations do not follow the same rules.
import type { Consumer, Kafka } from 'kafkajs';
import type { Order, OrderValidation } from '../../schemas/topics.ts';
import { unique } from './kafka-kit.ts';

/** An order's final state as a string: `STATE` or `STATE: failure reason`. */
export type FinalState = string;

export interface OrdersOutcome {
  readonly states: ReadonlyMap<string, FinalState>;
  /** Per order, the emails sent (the Email record as JSON), in the order written. */
  readonly emails: ReadonlyMap<string, readonly string[]>;
  /** Per order, the checks written for it (`TYPE RESULT reason`, sorted), where `order-validations` was read. */
  readonly checks?: ReadonlyMap<string, readonly string[]>;
}

/** An order's state, with its failure reason when it has one. */
export function finalState(order: Order): FinalState {
  return order.failureReason ? `${order.state}: ${order.failureReason}` : order.state;
}

/** The outcome of the records written to `orders` and `emails`, in write order (others are left out). */
export function outcomeOf(
  records: Iterable<{ readonly topic: string; readonly key: unknown; readonly value: unknown }>,
): OrdersOutcome {
  const states = new Map<string, FinalState>();
  const emails = new Map<string, string[]>();
  const checks = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: unknown, item: string) =>
    map.set(String(key), [...(map.get(String(key)) ?? []), item]);
  for (const { topic, key, value } of records) {
    if (topic === 'orders') states.set(String(key), finalState(value as Order));
    else if (topic === 'emails') add(emails, key, JSON.stringify(value));
    else if (topic === 'order-validations') {
      const { checkType, validationResult, reason } = value as OrderValidation;
      add(checks, key, `${checkType} ${validationResult}${reason ? ` ${reason}` : ''}`);
    }
  }
  for (const list of checks.values()) list.sort();
  return { states, emails, checks };
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
  private readonly written: { topic: string; key: string; value: unknown }[] = [];
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
        const serde =
          batch.topic === topics.emails.name ? topics.emails.valueSerde : topics.orders.valueSerde;
        for (const message of batch.messages) {
          const key = message.key!.toString();
          const value = serde.deserialize(message.value!);
          watcher.written.push({ topic: batch.topic, key, value });
          const state = batch.topic === topics.orders.name ? (value as Order).state : undefined;
          if ((state === 'VALIDATED' || state === 'FAILED') && !watcher.decidedAt.has(key)) {
            watcher.decidedAt.set(key, arrived);
            watcher.lastDecisionAt = arrived;
          }
        }
      },
    });
    return watcher;
  }

  outcome(): OrdersOutcome {
    return outcomeOf(this.written);
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
  /**
   * Orders both sides FAILED on the same failed checks (where the checks are known), each naming
   * another one as the first failure: which failed check reached the aggregator first.
   */
  readonly firstFailureOrder: number;
  /** Every other difference: a state, reason, check or email that no delivery order explains. */
  readonly unexplained: number;
  /** Kinds of difference (`A → B`, numbers in reasons left out) with how many orders each. */
  readonly kinds: readonly {
    readonly kind: string;
    readonly orders: number;
    readonly explained: boolean;
    readonly example: string;
  }[];
}

/** Reasons with their numbers and ids left out, so that differences of one kind count together. */
function kindOf(state: FinalState | undefined): string {
  if (state === undefined) return 'absent';
  return state.replace(/-?\d+(\.\d+)?/g, 'N');
}

const ORDER_DEPENDENT_FAILURE = /^FAILED: (FRAUD_CHECK|INVENTORY_CHECK) failed/;
const FAILED_CHECK = /^FAILED: ([A-Z_]+) (failed|reported an error)/;

type Difference = 'orderDependent' | 'firstFailureOrder' | 'unexplained';

function classify(
  left: FinalState | undefined,
  right: FinalState | undefined,
  leftChecks: readonly string[] | undefined,
  rightChecks: readonly string[] | undefined,
): Difference {
  if (leftChecks && rightChecks) {
    if (leftChecks.join('\n') !== rightChecks.join('\n')) return 'unexplained';
    const [a, b] = [FAILED_CHECK.exec(left ?? ''), FAILED_CHECK.exec(right ?? '')];
    const failed = (type: string) =>
      leftChecks.some((c) => c.startsWith(`${type} FAIL`) || c.startsWith(`${type} ERROR`));
    return a && b && failed(a[1]!) && failed(b[1]!) ? 'firstFailureOrder' : 'unexplained';
  }
  return [left, right].some((state) => state !== undefined && ORDER_DEPENDENT_FAILURE.test(state))
    ? 'orderDependent'
    : 'unexplained';
}

export function compareOutcomes(a: OrdersOutcome, b: OrdersOutcome): OutcomeComparison {
  const ids = new Set([...a.states.keys(), ...b.states.keys()]);
  const kinds = new Map<string, { orders: number; explained: boolean; example: string }>();
  const counts: Record<Difference, number> = { orderDependent: 0, firstFailureOrder: 0, unexplained: 0 };
  let agreeing = 0;
  for (const id of ids) {
    const [left, right] = [a.states.get(id), b.states.get(id)];
    const [leftEmails, rightEmails] = [a.emails.get(id) ?? [], b.emails.get(id) ?? []];
    const [leftChecks, rightChecks] = [
      a.checks && (a.checks.get(id) ?? []),
      b.checks && (b.checks.get(id) ?? []),
    ];
    const checksDiffer = leftChecks && rightChecks && leftChecks.join('\n') !== rightChecks.join('\n');
    let kind: string;
    let example: string;
    let difference: Difference;
    if (left !== right) {
      kind = `${kindOf(left)} → ${kindOf(right)}`;
      example = `${id}: ${left ?? 'absent'} → ${right ?? 'absent'}`;
      // An email follows its order's state: with the states apart, the emails are explained with them.
      difference = classify(left, right, leftChecks, rightChecks);
    } else if (checksDiffer) {
      kind = `${kindOf(left)}, checks: ${kindOf(leftChecks.join('; '))} → ${kindOf(rightChecks.join('; '))}`;
      example = `${id}: ${leftChecks.join('; ')} → ${rightChecks.join('; ')}`;
      difference = 'unexplained';
    } else if (leftEmails.join('\n') !== rightEmails.join('\n')) {
      kind = `${kindOf(left)}, emails: ${leftEmails.length} → ${rightEmails.length}`;
      example = `${id}: ${leftEmails.at(0) ?? 'none'} → ${rightEmails.at(0) ?? 'none'}`;
      difference = 'unexplained';
    } else {
      agreeing++;
      continue;
    }
    counts[difference]++;
    const entry = kinds.get(kind) ?? { orders: 0, explained: difference !== 'unexplained', example };
    entry.orders++;
    kinds.set(kind, entry);
  }
  return {
    orders: ids.size,
    agreeing,
    ...counts,
    kinds: [...kinds]
      .map(([kind, entry]) => ({ kind, ...entry }))
      .sort((x, y) => Number(x.explained) - Number(y.explained) || y.orders - x.orders),
  };
}
