/**
 * validations-aggregator: turns the three checks into the order's verdict. Each validation is joined
 * with its CREATED order (a stream-stream join within 5 minutes either way, so either may arrive
 * first), then the validations of an order are aggregated in session windows with a 5-minute gap:
 * the distinct check types that passed, and the first failure.
 *
 * - When all three check types have passed within one session, the order is written back to `orders`
 *   as VALIDATED.
 * - As soon as any check fails (or reports ERROR), the order is written back as FAILED, with the
 *   failure as its `failureReason`.
 *
 * Exactly one VALIDATED-or-FAILED per order: the processor `decide-once` remembers decided orders in
 * the store `decided-orders`, so duplicated validations, validations arriving after a failure and
 * session updates after the decision change nothing. (The original counts PASS records, so a
 * duplicated PASS could validate an order early, and a late FAIL could follow a VALIDATED.)
 */
import {
  JoinWindows,
  Serdes,
  SessionWindows,
  Stores,
  defineApp,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
  type Windowed,
} from 'tributary';
import {
  topics,
  type Order,
  type OrderState,
  type OrderValidation,
  type OrderValidationType,
} from '../schemas/topics.ts';

export const FIVE_MINUTES_MS = 5 * 60_000;
/** How late (in stream time) a validation or an order may arrive and still be joined and aggregated. */
export const GRACE_MS = 60 * 60_000;
export const CHECK_TYPES: readonly OrderValidationType[] = [
  'INVENTORY_CHECK',
  'FRAUD_CHECK',
  'ORDER_DETAILS_CHECK',
];
export const VALIDATION_SESSIONS_STORE = 'validation-sessions';
export const DECIDED_ORDERS_STORE = 'decided-orders';

/** A validation with the order it is about. */
interface CheckedOrder {
  readonly validation: OrderValidation;
  readonly order: Order;
}

/** What one session of an order's validations has shown so far. */
export interface ValidationSession {
  readonly order: Order | null;
  /** Check types that passed, each once. */
  readonly passed: readonly OrderValidationType[];
  /** Why the order fails, from the first failed check; null while none failed. */
  readonly failure: string | null;
}

function addValidation(session: ValidationSession, { validation, order }: CheckedOrder): ValidationSession {
  const { checkType, validationResult, reason } = validation;
  if (validationResult === 'PASS')
    return {
      order,
      passed: session.passed.includes(checkType) ? session.passed : [...session.passed, checkType],
      failure: session.failure,
    };
  const why = `${checkType} ${validationResult === 'FAIL' ? 'failed' : 'reported an error'}${reason ? `: ${reason}` : ''}`;
  return { order, passed: session.passed, failure: session.failure ?? why };
}

function mergeSessions(a: ValidationSession, b: ValidationSession): ValidationSession {
  return {
    order: a.order ?? b.order,
    passed: [...a.passed, ...b.passed.filter((type) => !a.passed.includes(type))],
    failure: a.failure ?? b.failure,
  };
}

/** The verdict a session allows, if any. */
function verdict(
  session: ValidationSession,
): { state: OrderState; failureReason: string | null } | undefined {
  if (session.failure !== null) return { state: 'FAILED', failureReason: session.failure };
  if (CHECK_TYPES.every((type) => session.passed.includes(type)))
    return { state: 'VALIDATED', failureReason: null };
  return undefined;
}

function decideOnce(): Processor<Windowed<string>, ValidationSession | null, string, Order> {
  let context: ProcessorContext<string, Order>;
  let decided: KeyValueStore<string, OrderState>;
  return {
    init: (c) => {
      context = c;
      decided = c.getStateStore(DECIDED_ORDERS_STORE);
    },
    process: ({ key: { key: orderId }, value: session, timestamp }) => {
      // Null: a session merged into a longer one; its update follows.
      if (session === null || session.order === null) return;
      if (decided.get(orderId) !== undefined) return;
      const outcome = verdict(session);
      if (outcome === undefined) return;
      decided.put(orderId, outcome.state);
      context.forward({
        key: orderId,
        value: { ...session.order, state: outcome.state, failureReason: outcome.failureReason },
        timestamp,
        headers: {},
      });
    },
  };
}

export default defineApp({
  applicationId: 'validations-aggregator',
  description:
    'Writes each order back as VALIDATED (all three checks passed) or FAILED (any check failed), once.',
  topics: [topics.orders, topics.orderValidations],
  topology: (builder) => {
    builder.addStateStore(
      Stores.keyValue({ name: DECIDED_ORDERS_STORE, keySerde: Serdes.String(), valueSerde: Serdes.String() }),
    );
    const createdOrders = builder
      .stream(topics.orders)
      .filter((_id, order) => order.state === 'CREATED', { name: 'created-orders' });
    builder
      .stream(topics.orderValidations)
      .join(
        createdOrders,
        (validation, order): CheckedOrder => ({ validation, order }),
        JoinWindows.ofTimeDifferenceAndGrace(FIVE_MINUTES_MS, GRACE_MS),
        { name: 'with-order', storeName: 'validations-with-orders' },
      )
      .groupByKey({ valueSerde: Serdes.Json<CheckedOrder>() })
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(FIVE_MINUTES_MS, GRACE_MS))
      .aggregate<ValidationSession>(
        () => ({ order: null, passed: [], failure: null }),
        (_orderId, checked, session) => addValidation(session, checked),
        (_orderId, a, b) => mergeSessions(a, b),
        { storeName: VALIDATION_SESSIONS_STORE, valueSerde: Serdes.Json<ValidationSession>() },
      )
      .toStream({ name: 'session-updates' })
      .process(decideOnce, { name: 'decide-once', stores: [DECIDED_ORDERS_STORE] })
      .to(topics.orders);
  },
});
