import { afterEach, describe, expect, it } from 'vitest';
import type { TopologyTestDriver } from 'tributary/testing';
import validationsAggregator, {
  DECIDED_ORDERS_RETENTION_MS,
  DECIDED_ORDERS_STORE,
  VALIDATION_SESSIONS_STORE,
  type ValidationSession,
} from '../../topologies/validations-aggregator.ts';
import { topics, type Order, type OrderValidation } from '../../schemas/topics.ts';
import { MINUTE, SECOND, T0, driverFor, order, validation } from './support.ts';

const ALL_PASS = ['ORDER_DETAILS_CHECK', 'FRAUD_CHECK', 'INVENTORY_CHECK'] as const;

describe('validations-aggregator', () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver.close());

  async function setup(partitions = 1) {
    driver = await driverFor(validationsAggregator, { partitions });
    const orders = driver.createInputTopic(topics.orders);
    const validations = driver.createInputTopic(topics.orderValidations);
    const written = driver.createOutputTopic(topics.orders);
    return {
      created: (id: string, at = T0) => orders.pipeInput(id, order(id), at),
      /** A state another run of the system (or payments) wrote to `orders` for the order. */
      written: (id: string, state: Order['state'], at: number) =>
        orders.pipeInput(id, order(id, { state }), at),
      check: (
        id: string,
        type: OrderValidation['checkType'],
        result: OrderValidation['validationResult'] = 'PASS',
        at = T0,
        reason: string | null = null,
      ) => validations.pipeInput(id, validation(id, type, result, reason), at),
      /** What the application wrote back to `orders` since the last call (the CREATED input is skipped). */
      verdicts: () =>
        written
          .readRecordsToList()
          .filter((r) => r.value!.state !== 'CREATED')
          .map(
            (r) =>
              `${r.key}:${r.value!.state}${r.value!.failureReason ? ` (${r.value!.failureReason})` : ''}`,
          ),
      decided: (id: string) => {
        const [decision] = driver
          .getWindowStore<string, string>(DECIDED_ORDERS_STORE)
          .fetchWindows(id, 0, Infinity);
        return decision?.value;
      },
    };
  }

  it('writes the order back as VALIDATED once all three check types have passed', async () => {
    const t = await setup();
    t.created('o1');
    t.check('o1', 'ORDER_DETAILS_CHECK');
    t.check('o1', 'FRAUD_CHECK');
    expect(t.verdicts()).toEqual([]);
    t.check('o1', 'INVENTORY_CHECK', 'PASS', T0 + 30 * SECOND);
    const [written] = driver.createOutputTopic(topics.orders).readRecordsToList().slice(-1);
    expect(written!.value).toEqual({ ...order('o1'), state: 'VALIDATED', failureReason: null });
    expect(written!.timestamp).toBe(T0 + 30 * SECOND);
    expect(t.decided('o1')).toBe('VALIDATED');
  });

  it('writes FAILED as soon as one check fails, with the reason, and only once', async () => {
    const t = await setup();
    t.created('o1');
    t.check('o1', 'FRAUD_CHECK', 'FAIL', T0, 'too much');
    expect(t.verdicts()).toEqual(['o1:FAILED (FRAUD_CHECK failed: too much)']);
    t.check('o1', 'INVENTORY_CHECK', 'FAIL', T0, 'none left');
    t.check('o1', 'ORDER_DETAILS_CHECK');
    t.check('o1', 'FRAUD_CHECK');
    t.check('o1', 'INVENTORY_CHECK');
    expect(t.verdicts()).toEqual([]);
    expect(t.decided('o1')).toBe('FAILED');
  });

  it('treats ERROR as a failure', async () => {
    const t = await setup();
    t.created('o1');
    t.check('o1', 'INVENTORY_CHECK', 'ERROR');
    expect(t.verdicts()).toEqual(['o1:FAILED (INVENTORY_CHECK reported an error)']);
  });

  it('counts distinct check types: copies of one pass do not validate an order', async () => {
    const t = await setup();
    t.created('o1');
    for (let i = 0; i < 3; i++) t.check('o1', 'FRAUD_CHECK');
    t.check('o1', 'ORDER_DETAILS_CHECK');
    expect(t.verdicts()).toEqual([]);
    expect(
      driver.getSessionStore<string, ValidationSession>(VALIDATION_SESSIONS_STORE).fetchSession('o1', T0, T0),
    ).toEqual({ passed: ['FRAUD_CHECK', 'ORDER_DETAILS_CHECK'], failure: null });
    t.check('o1', 'INVENTORY_CHECK');
    expect(t.verdicts()).toEqual(['o1:VALIDATED']);
  });

  it('ignores validations after the decision: a late failure does not follow VALIDATED', async () => {
    const t = await setup();
    t.created('o1');
    for (const type of ALL_PASS) t.check('o1', type);
    t.check('o1', 'INVENTORY_CHECK', 'FAIL', T0 + MINUTE, 'recounted');
    for (const type of ALL_PASS) t.check('o1', type, 'PASS', T0 + 2 * MINUTE);
    expect(t.verdicts()).toEqual(['o1:VALIDATED']);
  });

  it('decides nothing for an order that `orders` shows decided: checks read again after a crash', async () => {
    // Under at-least-once a crash can lose the last decisions from decided-orders (its changelog is
    // written at commits) while they are on `orders` already, where payments may have settled the order
    // since; the checks are then read again. This driver's decided-orders is empty, as after such a crash.
    const t = await setup(3);
    t.created('o1');
    t.written('o1', 'VALIDATED', T0 + SECOND);
    t.written('o1', 'CONFIRMED', T0 + 2 * SECOND);
    t.created('o2');
    t.written('o2', 'FAILED', T0 + SECOND);
    t.created('o3');
    t.written('o3', 'VALIDATED', T0 + SECOND);
    t.created('o4');
    expect(t.verdicts()).toEqual(['o1:VALIDATED', 'o1:CONFIRMED', 'o2:FAILED', 'o3:VALIDATED']);
    for (const id of ['o1', 'o2', 'o3', 'o4'])
      for (const type of ALL_PASS) t.check(id, type, id === 'o2' && type === 'FRAUD_CHECK' ? 'FAIL' : 'PASS');
    // Only o4, still CREATED on `orders`, is decided.
    expect(t.verdicts()).toEqual(['o4:VALIDATED']);
  });

  it('joins validations that arrive before their order, within 5 minutes', async () => {
    const t = await setup();
    for (const type of ALL_PASS) t.check('o1', type, 'PASS', T0);
    for (const type of ALL_PASS) t.check('o2', type, 'PASS', T0);
    expect(t.verdicts()).toEqual([]);
    t.created('o1', T0 + 5 * MINUTE);
    t.created('o2', T0 + 5 * MINUTE + 1);
    expect(t.verdicts()).toEqual(['o1:VALIDATED']);
  });

  it('needs the three passes within one session: validations more than 5 minutes apart do not add up', async () => {
    const t = await setup();
    t.created('o1', T0);
    t.check('o1', 'ORDER_DETAILS_CHECK', 'PASS', T0 - 4 * MINUTE);
    t.check('o1', 'FRAUD_CHECK', 'PASS', T0 + 1 * MINUTE + 1); // 5 minutes and 1 ms later: a new session
    t.check('o1', 'INVENTORY_CHECK', 'PASS', T0 + 2 * MINUTE);
    expect(t.verdicts()).toEqual([]);
    t.check('o1', 'ORDER_DETAILS_CHECK', 'PASS', T0 + 3 * MINUTE);
    expect(t.verdicts()).toEqual(['o1:VALIDATED']);
  });

  it('decides orders on several partitions independently', async () => {
    const t = await setup(3);
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const id of ids) t.created(id);
    for (const type of ALL_PASS)
      for (const id of ids) t.check(id, type, id === 'c' && type === 'FRAUD_CHECK' ? 'FAIL' : 'PASS');
    expect(t.verdicts().sort()).toEqual([
      'a:VALIDATED',
      'b:VALIDATED',
      'c:FAILED (FRAUD_CHECK failed)',
      'd:VALIDATED',
      'e:VALIDATED',
      'f:VALIDATED',
    ]);
  });

  it('remembers a decision while the join can still pair the order, then forgets it', async () => {
    const t = await setup();
    const decidedOrders = () =>
      [...driver.getWindowStore<string, string>(DECIDED_ORDERS_STORE).all()].map(({ key }) => key.key);
    const validate = (id: string, at: number) => {
      t.created(id, at);
      for (const type of ALL_PASS) t.check(id, type, 'PASS', at);
    };
    validate('o1', T0);
    // Stream time moves on 65 minutes: the latest at which o1's session still takes a check and the
    // join still holds o1.
    validate('o2', T0 + 65 * MINUTE);
    expect(t.verdicts()).toEqual(['o1:VALIDATED', 'o2:VALIDATED']);
    t.check('o1', 'FRAUD_CHECK', 'FAIL', T0, 'late');
    expect(t.verdicts()).toEqual([]);
    expect(t.decided('o1')).toBe('VALIDATED');

    validate('o3', T0 + DECIDED_ORDERS_RETENTION_MS); // o1 was decided a whole retention ago
    expect(t.verdicts()).toEqual(['o3:VALIDATED']);
    expect(t.decided('o1')).toBeUndefined();
    expect(decidedOrders()).toEqual(['o2', 'o3']);
  });
});
