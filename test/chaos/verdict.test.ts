import { describe, expect, it } from 'vitest';
import type { ReplayRecord } from 'tributary/testing';
import type { CommittedRecord } from '../../scripts/chaos/committed.ts';
import { comparison, expectedOutputs, judge } from '../../scripts/chaos/verdict.ts';
import {
  topics,
  type Email,
  type Order,
  type OrderState,
  type OrderValidation,
} from '../../schemas/topics.ts';
import { toJsonForm, type Serde } from '../../src/serde/serde.ts';

// How a chaos run is judged, on records made by hand: no broker.

const order = (state: OrderState): Order => ({
  id: 'o-1',
  customerId: 1,
  state,
  product: 'JUMPERS',
  quantity: 1,
  price: 10,
  failureReason: null,
});
const check: OrderValidation = {
  orderId: 'o-1',
  checkType: 'FRAUD_CHECK',
  validationResult: 'PASS',
  reason: null,
};
const email: Email = {
  orderId: 'o-1',
  customerId: 1,
  to: 'ada@example.com',
  customerLevel: 'gold',
  subject: 'Order o-1',
  body: 'Confirmed',
};

type Output = { topic: string; value: unknown };
const ofOrders = (state: OrderState): Output => ({ topic: topics.orders.name, value: order(state) });
const ofChecks: Output = { topic: topics.orderValidations.name, value: check };
const ofEmails: Output = { topic: topics.emails.name, value: email };

const serdeOf = (topic: string) =>
  Object.values(topics).find((t) => t.name === topic) as unknown as {
    keySerde: Serde<unknown>;
    valueSerde: Serde<unknown>;
  };

/** What `replay` returns for these outputs: keys and values in their JSON form. */
function oracle(outputs: readonly Output[]): ReplayRecord[] {
  return outputs.map(({ topic, value }) => {
    const { valueSerde } = serdeOf(topic);
    return {
      topic,
      partition: 0,
      key: 'o-1',
      value: toJsonForm(valueSerde, valueSerde.deserialize(valueSerde.serialize(value))),
      timestamp: 0,
    };
  });
}

/** The outputs as committed on partition 0 of their topics, at the given offsets. */
function committed(outputs: readonly (Output & { offset: number })[]): CommittedRecord[] {
  return outputs.map(({ topic, value, offset }) => {
    const { keySerde, valueSerde } = serdeOf(topic);
    return {
      topic,
      partition: 0,
      offset: String(offset),
      key: keySerde.serialize('o-1'),
      value: valueSerde.serialize(value),
    };
  });
}

function verdictOf(expected: readonly Output[], live: readonly (Output & { offset: number })[]) {
  const records = oracle(expected);
  const entry = comparison(records);
  return judge(expectedOutputs(records, entry), committed(live), 'poison-', entry);
}

const lifecycle = [ofChecks, ofOrders('VALIDATED'), ofOrders('CONFIRMED'), ofEmails];

describe('the chaos verdict', () => {
  it('finds nothing to say about a run that committed what the oracle writes', () => {
    const verdict = verdictOf(lifecycle, [
      { ...ofEmails, offset: 0 },
      // Listed out of order: offset 10 comes after offset 9 on the partition.
      { ...ofOrders('CONFIRMED'), offset: 10 },
      { ...ofOrders('VALIDATED'), offset: 9 },
      { ...ofChecks, offset: 3 },
    ]);
    expect(verdict).toMatchObject({
      decided: 1,
      lost: 0,
      duplicated: 0,
      duplicatedChecks: 0,
      wrong: 0,
      setBack: 0,
    });
  });

  it('counts an order state committed after a further one as set back', () => {
    const verdict = verdictOf(lifecycle, [
      { ...ofChecks, offset: 0 },
      { ...ofOrders('VALIDATED'), offset: 9 },
      { ...ofOrders('CONFIRMED'), offset: 10 },
      { ...ofOrders('VALIDATED'), offset: 11 },
      { ...ofEmails, offset: 0 },
    ]);
    expect(verdict).toMatchObject({ lost: 0, duplicated: 1, duplicatedChecks: 0, wrong: 0, setBack: 1 });
    expect(verdict.examples).toContain('set back: o-1 VALIDATED after CONFIRMED at 0@11');
  });

  it('counts anything but a repeat after FAILED as set back', () => {
    const failed = [ofChecks, ofOrders('VALIDATED'), ofOrders('FAILED')];
    const verdict = verdictOf(failed, [
      { ...ofChecks, offset: 0 },
      { ...ofOrders('VALIDATED'), offset: 1 },
      { ...ofOrders('FAILED'), offset: 2 },
      { ...ofOrders('FAILED'), offset: 3 },
      { ...ofOrders('CONFIRMED'), offset: 4 },
    ]);
    expect(verdict).toMatchObject({ duplicated: 1, wrong: 1, setBack: 1 });
  });

  it('tells repeated checks, which at-least-once allows, from repeated states and emails', () => {
    const verdict = verdictOf(lifecycle, [
      { ...ofChecks, offset: 0 },
      { ...ofChecks, offset: 1 },
      { ...ofOrders('VALIDATED'), offset: 1 },
      { ...ofOrders('CONFIRMED'), offset: 2 },
      { ...ofEmails, offset: 0 },
      { ...ofEmails, offset: 1 },
    ]);
    expect(verdict).toMatchObject({ lost: 0, duplicated: 2, duplicatedChecks: 1, wrong: 0, setBack: 0 });
  });
});
