import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, SessionWindows, StreamsBuilder, defineTopic, keyValue } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const payments = defineTopic('payments', Serdes.String(), Serdes.Json<number>());
const refunds = defineTopic('refunds', Serdes.String(), Serdes.Json<number>());
const sizes = defineTopic('sizes', Serdes.String(), Serdes.Long());

interface Balance {
  paid: number;
  refunded: number;
}

const addPayment = (_k: string, amount: number, b: Balance): Balance => ({ ...b, paid: b.paid + amount });
const addRefund = (_k: string, amount: number, b: Balance): Balance => ({
  ...b,
  refunded: b.refunded + amount,
});

describe('cogroup: several grouped streams into one aggregate', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  function balances(builder: StreamsBuilder) {
    const paid = builder.stream(payments).groupByKey();
    const refunded = builder.stream(refunds).groupByKey();
    return paid
      .cogroup(addPayment)
      .cogroup(refunded, addRefund)
      .aggregate((): Balance => ({ paid: 0, refunded: 0 }), {
        storeName: 'balances',
        valueSerde: Serdes.Json<Balance>(),
      });
  }

  it('keeps one aggregate per key in one queryable store', async () => {
    const builder = new StreamsBuilder();
    balances(builder);
    driver = await TopologyTestDriver.create(builder.build());
    driver.createInputTopic(payments).pipeInput('c1', 100, 1);
    driver.createInputTopic(refunds).pipeInput('c1', 30, 2);
    driver.createInputTopic(payments).pipeInput('c2', 5, 3);
    const store = driver.getKeyValueStore<string, Balance>('balances');
    expect(store.get('c1')).toEqual({ paid: 100, refunded: 30 });
    expect(store.get('c2')).toEqual({ paid: 5, refunded: 0 });
  });

  // Re-grouping a table subtracts each key's old value from its old group: the cogrouped table must send
  // old values when a downstream aggregation asks for them, as every aggregation's table does.
  it('sends old values to a re-grouping table aggregation', async () => {
    const builder = new StreamsBuilder();
    balances(builder)
      .groupBy((customer, b) => keyValue(b.paid - b.refunded >= 50 ? 'large' : 'small', customer), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.String(),
      })
      .count()
      .toStream()
      .to(sizes);
    driver = await TopologyTestDriver.create(builder.build());
    const output = driver.createOutputTopic(sizes);
    driver.createInputTopic(payments).pipeInput('c1', 100, 1);
    driver.createInputTopic(refunds).pipeInput('c1', 70, 2);
    expect(output.readKeyValuesToMap()).toEqual(
      new Map([
        ['large', 0],
        ['small', 1],
      ]),
    );
  });

  it('leaves a cogroup unchanged when it is extended, and refuses a grouped stream twice', () => {
    const builder = new StreamsBuilder();
    const paid = builder.stream(payments).groupByKey();
    const refunded = builder.stream(refunds).groupByKey();
    const base = paid.cogroup(addPayment);
    const extended = base.cogroup(refunded, addRefund);
    expect(base.inputs).toHaveLength(1);
    expect(extended.inputs).toHaveLength(2);
    expect(() => extended.cogroup(refunded, addRefund)).toThrow(/already cogrouped/);
    const other = new StreamsBuilder().stream(refunds).groupByKey();
    expect(() => base.cogroup(other, addRefund)).toThrow(/different StreamsBuilders/);
  });

  it('needs a merger for session windows', () => {
    const builder = new StreamsBuilder();
    const windowed = builder
      .stream(payments)
      .groupByKey()
      .cogroup((_k: string, amount: number, sum: number) => sum + amount)
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(1000));
    expect(() => windowed.aggregate(() => 0, null as never)).toThrow(/needs a session merger, got null/);
  });
});
