import { afterEach, describe, expect, it } from 'vitest';
import type { TopologyTestDriver } from 'tributary/testing';
import emails, { confirmationEmail } from '../../topologies/emails.ts';
import { topics } from '../../schemas/topics.ts';
import { T0, customer, driverFor, order } from './support.ts';

describe('emails', () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver.close());

  async function setup() {
    driver = await driverFor(emails, { partitions: 2 });
    return {
      customers: driver.createInputTopic(topics.customers),
      orders: driver.createInputTopic(topics.orders),
      emails: driver.createOutputTopic(topics.emails),
    };
  }

  it('writes one email per CONFIRMED order to its customer, keyed by order id', async () => {
    const t = await setup();
    t.customers.pipeInput(7, customer(7, 'Ada', { level: 'gold', address: '1 Analytical Way' }), T0);
    t.orders.pipeInput(
      'o1',
      order('o1', { customerId: 7, state: 'CONFIRMED', quantity: 2, price: 25.5 }),
      T0 + 5,
    );
    const [email, ...rest] = t.emails.readRecordsToList();
    expect(rest).toEqual([]);
    expect(email!.key).toBe('o1');
    expect(email!.timestamp).toBe(T0 + 5);
    expect(email!.value).toEqual({
      orderId: 'o1',
      customerId: 7,
      to: 'ada@example.com',
      customerLevel: 'gold',
      subject: 'Your order o1 is confirmed',
      body: 'Dear Ada Tester, your order of 2 JUMPERS for 51.00 is paid. We will send it to 1 Analytical Way.',
    });
  });

  it('writes no second email for an order that has one: confirmed orders read again after a crash', async () => {
    // Under at-least-once a crash can leave emails on `emails` whose CONFIRMED orders are read again.
    const t = await setup();
    const sent = driver.createInputTopic(topics.emails);
    t.customers.pipeInput(7, customer(7, 'Ada'), T0);
    const confirmed = (id: string) => order(id, { customerId: 7, state: 'CONFIRMED' });
    sent.pipeInput('o1', confirmationEmail(confirmed('o1'), customer(7, 'Ada')), T0 + 1);
    expect(t.emails.readRecordsToList()).toHaveLength(1);
    t.orders.pipeInput('o1', confirmed('o1'), T0 + 1);
    t.orders.pipeInput('o2', confirmed('o2'), T0 + 2);
    expect(t.emails.readValuesToList().map((e) => e!.orderId)).toEqual(['o2']);
  });

  it('uses the latest customer record, and writes nothing for other states or unknown customers', async () => {
    const t = await setup();
    t.customers.pipeInput(7, customer(7, 'Ada'), T0);
    t.customers.pipeInput(7, customer(7, 'Ada', { email: 'ada@new.example.com' }), T0 + 1);
    for (const state of ['CREATED', 'VALIDATED', 'FAILED', 'SHIPPED'] as const)
      t.orders.pipeInput(`o-${state}`, order(`o-${state}`, { customerId: 7, state }), T0 + 2);
    t.orders.pipeInput('o-unknown', order('o-unknown', { customerId: 8, state: 'CONFIRMED' }), T0 + 3);
    t.orders.pipeInput('o-ok', order('o-ok', { customerId: 7, state: 'CONFIRMED' }), T0 + 4);
    expect(t.emails.readValuesToList().map((e) => [e!.orderId, e!.to])).toEqual([
      ['o-ok', 'ada@new.example.com'],
    ]);
  });
});
