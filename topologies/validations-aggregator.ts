/**
 * validations-aggregator: turns the three checks into the order's verdict. The validations of each
 * order are aggregated in session windows with a 5-minute inactivity gap: which distinct check types
 * passed, and the first failure. A session that decides the order is joined with the CREATED order
 * (a stream-stream join within 5 minutes either way, so either may arrive first) and the order is
 * written back to `orders`:
 *
 * - as VALIDATED when all three check types have passed within one session;
 * - as FAILED as soon as any check fails (or reports ERROR), with the failure as `failureReason`.
 *
 * Exactly one VALIDATED-or-FAILED per order, under either processing guarantee. The processor
 * `decide-once` writes a verdict only for an order that is still CREATED as far as anything durable
 * tells, and remembers what it decided:
 *
 * - the store `decided-orders` remembers decisions, so duplicated validations, validations arriving
 *   after a failure, and later updates of the session change nothing. (The original counts PASS
 *   records, so a duplicated PASS can validate an order early, and a failure can follow a VALIDATED.)
 *   A decision is remembered for as long as the join can produce another one for the order (see
 *   DECIDED_ORDERS_RETENTION_MS); a window store expires older decisions by itself;
 * - the GlobalKTable `known-orders` (the `orders` topic, loaded to its end before processing starts)
 *   holds what was written for the order before this run: under at-least-once a crash can lose the
 *   last decisions from `decided-orders` while they are on `orders` already (and the order may be
 *   CONFIRMED since), and the validations are then processed again. An order past CREATED there is
 *   decided: writing VALIDATED again would set a confirmed order back.
 */
import {
  JoinWindows,
  Serdes,
  SessionWindows,
  defineApp,
  keyValue,
  type Processor,
  type ProcessorContext,
} from 'tributary';
import {
  topics,
  type Order,
  type OrderState,
  type OrderValidation,
  type OrderValidationType,
} from '../schemas/topics.ts';
import { hasReached } from '../schemas/order-states.ts';
import { FirstSeen, firstSeenStore } from './shared/first-seen.ts';
import { FIVE_MINUTES_MS, GRACE_MS, JOIN_RESULTS_SPAN_MS } from './shared/timing.ts';

export const CHECK_TYPES: readonly OrderValidationType[] = [
  'INVENTORY_CHECK',
  'FRAUD_CHECK',
  'ORDER_DETAILS_CHECK',
];
export const VALIDATION_SESSIONS_STORE = 'validation-sessions';
export const DECIDED_ORDERS_STORE = 'decided-orders';
/** The `orders` topic as a global table: how far each order had got before this run (see decideOnce). */
export const KNOWN_ORDERS_STORE = 'known-orders';
/**
 * How long (in stream time, from the decision's time) `decide-once` remembers a decision: as long as
 * the join of verdicts and CREATED orders can produce another result for the order.
 */
export const DECIDED_ORDERS_RETENTION_MS = JOIN_RESULTS_SPAN_MS;

/** What one session of an order's validations has shown so far. */
export interface ValidationSession {
  /** Check types that passed, each once. */
  readonly passed: readonly OrderValidationType[];
  /** Why the order fails, from the first failed check; null while none failed. */
  readonly failure: string | null;
}

/** What a session decides about its order. */
export interface Verdict {
  readonly state: OrderState;
  readonly failureReason: string | null;
}

function addValidation(session: ValidationSession, validation: OrderValidation): ValidationSession {
  const { checkType, validationResult, reason } = validation;
  if (validationResult === 'PASS')
    return session.passed.includes(checkType)
      ? session
      : { passed: [...session.passed, checkType], failure: session.failure };
  const outcome = validationResult === 'FAIL' ? 'failed' : 'reported an error';
  const why = `${checkType} ${outcome}${reason ? `: ${reason}` : ''}`;
  return { passed: session.passed, failure: session.failure ?? why };
}

function mergeSessions(a: ValidationSession, b: ValidationSession): ValidationSession {
  return {
    passed: [...a.passed, ...b.passed.filter((type) => !a.passed.includes(type))],
    failure: a.failure ?? b.failure,
  };
}

/** The verdict a session allows, if any: a failure decides at once, passes need all three types. */
export function verdictOf(session: ValidationSession): Verdict | undefined {
  if (session.failure !== null) return { state: 'FAILED', failureReason: session.failure };
  if (CHECK_TYPES.every((type) => session.passed.includes(type)))
    return { state: 'VALIDATED', failureReason: null };
  return undefined;
}

/** A verdict applied to its order, with the order as the `orders` topic had it when the verdict met it. */
interface DecidedOrder {
  readonly order: Order;
  readonly known: Order | null;
}

/**
 * Writes the first verdict that meets its order, unless the order is decided already: in the store
 * (the state written, under the time of the decision), or on the `orders` topic.
 */
function decideOnce(): Processor<string, DecidedOrder, string, Order> {
  let context: ProcessorContext<string, Order>;
  let decided: FirstSeen<OrderState>;
  return {
    init: (c) => {
      context = c;
      decided = new FirstSeen(c.getStateStore(DECIDED_ORDERS_STORE), DECIDED_ORDERS_RETENTION_MS);
    },
    process: (record) => {
      const { order, known } = record.value;
      if (known !== null && hasReached(known.state, 'VALIDATED')) return;
      if (!decided.first(record.key, order.state, record.timestamp)) return;
      context.forward({ ...record, value: order });
    },
  };
}

export default defineApp({
  applicationId: 'validations-aggregator',
  description:
    'Writes each order back as VALIDATED (all three checks passed) or FAILED (any check failed), once.',
  topics: [topics.orders, topics.orderValidations],
  topology: (builder) => {
    builder.addStateStore(firstSeenStore(DECIDED_ORDERS_STORE, Serdes.String(), DECIDED_ORDERS_RETENTION_MS));
    const createdOrders = builder
      .stream(topics.orders)
      .filter((_id, order) => order.state === 'CREATED', { name: 'created-orders' });
    const verdictsWithOrders = builder
      .stream(topics.orderValidations)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(FIVE_MINUTES_MS, GRACE_MS))
      .aggregate<ValidationSession>(
        () => ({ passed: [], failure: null }),
        (_orderId, validation, session) => addValidation(session, validation),
        (_orderId, a, b) => mergeSessions(a, b),
        {
          name: 'collect-checks',
          storeName: VALIDATION_SESSIONS_STORE,
          valueSerde: Serdes.Json<ValidationSession>(),
          // "As soon as any check fails": a verdict goes out when its session decides it, not at the
          // next flush of the record cache (30 s apart under at-least-once), merged with later checks.
          caching: false,
        },
      )
      .toStream({ name: 'session-updates' })
      // Null: a session merged into a longer one, whose update follows. Undecided sessions wait for more checks.
      .filter((_session, session) => session !== null && verdictOf(session) !== undefined, {
        name: 'deciding-sessions',
      })
      .map((session, value) => keyValue(session.key, verdictOf(value)!), { name: 'verdicts' })
      .repartition({
        name: 'verdicts-by-order',
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<Verdict>(),
      })
      .join(
        createdOrders,
        (verdict, order): Order => ({ ...order, ...verdict }),
        JoinWindows.ofTimeDifferenceAndGrace(FIVE_MINUTES_MS, GRACE_MS),
        { name: 'with-order', storeName: 'verdicts-with-orders' },
      );
    const knownOrders = builder.globalTable(topics.orders, { storeName: KNOWN_ORDERS_STORE });
    verdictsWithOrders
      .leftJoin(
        knownOrders,
        (orderId) => orderId,
        (order, known): DecidedOrder => ({ order, known }),
        { name: 'with-known-order' },
      )
      .process(decideOnce, { name: 'decide-once', stores: [DECIDED_ORDERS_STORE] })
      .to(topics.orders);
  },
});
