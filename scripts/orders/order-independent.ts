/**
 * A generated recording whose outcome does not depend on the order in which different partitions are
 * processed — on a real cluster that order is not defined, for us as for Kafka Streams: stock is ample
 * and there from the start (no two orders compete for the last units, and no order races the first
 * stock row of its product through the inventory's repartition topic), and every order has a customer
 * of its own (no two orders share a fraud session). Everything else is the generator's: bad details,
 * payments in full, short, before validation, too late, twice, and none. `tributary replay` of
 * it is therefore the oracle of what a live system must commit, whatever happens to it on the way.
 */
import type { RecordedRecord } from 'tributary/testing';
import type { Order } from '../../schemas/topics.ts';
import { generateRecording, type GenerateOptions } from './recording.ts';

export function orderIndependentRecording(
  options: Pick<GenerateOptions, 'orders' | 'seed' | 'startMs' | 'meanOrderGapMs'>,
): RecordedRecord[] {
  const { records } = generateRecording({ ...options, customers: options.orders });
  const ownCustomer = new Map<string, number>();
  let nextCustomer = 0;
  // Every stock row (the latest per product wins) goes first, at the time of the first record.
  const stock = records
    .filter((record) => record.topic === 'warehouse-inventory')
    .map((record) => ({
      ...record,
      value: (record.value as number) * 1000,
      timestamp: records[0]!.timestamp,
    }));
  return [...stock, ...records.filter((record) => record.topic !== 'warehouse-inventory')].map((record) => {
    if (record.topic === 'warehouse-inventory') return record;
    if (record.topic === 'orders') {
      const order = record.value as Order;
      // Retried orders (same id) keep the customer they were first given.
      const customerId = ownCustomer.get(order.id) ?? ++nextCustomer;
      ownCustomer.set(order.id, customerId);
      // One order alone over the fraud limit (2000), so the fraud check fails somewhere too.
      const big = order.id === 'o-0000010' ? { quantity: 5, price: 450 } : {};
      return { ...record, value: { ...order, customerId, ...big } };
    }
    return record;
  });
}
