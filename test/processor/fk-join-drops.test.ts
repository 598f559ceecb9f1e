// The foreign-key join's internal processors on records the DSL never sends them (a null key or value
// on its internal topics): each is dropped and counted, not forwarded. The null foreign key the DSL
// can produce is tested through the driver in test/dsl/joins/fk-join.test.ts.
import { describe, expect, it } from 'vitest';
import type { ProcessorContext, ProcessorSupplier } from '../../src/processor/api.ts';
import type { DropReason } from '../../src/processor/internal-context.ts';
import { streamRecord } from '../../src/processor/record.ts';
import { foreignTableJoinProcessor } from '../../src/processor/ops/fk-join/foreign-table-join.ts';
import { responseJoinProcessor } from '../../src/processor/ops/fk-join/response-join.ts';
import { subscriptionReceiveProcessor } from '../../src/processor/ops/fk-join/subscription-receive.ts';
import type { TableValueGetterSupplier } from '../../src/processor/ops/value-getter.ts';
import { Serdes } from 'tributary';

/** Runs one record through a fresh processor; returns what it forwarded and what it dropped. */
function run(supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>, key: unknown, value: unknown) {
  const forwarded: unknown[] = [];
  const dropped: DropReason[] = [];
  const context = {
    taskId: { subtopology: 0, partition: 0 },
    getStateStore: () => ({
      get: () => undefined,
      put: () => {},
      delete: () => undefined,
      prefixScan: () => [],
    }),
    forward: (record: unknown) => forwarded.push(record),
    recordDropped: (reason: DropReason) => dropped.push(reason),
  } as unknown as ProcessorContext<unknown, unknown>;
  const processor = supplier();
  processor.init?.(context);
  processor.process(streamRecord(key, value, 10));
  return { forwarded, dropped };
}

const noRows: TableValueGetterSupplier<unknown, unknown> = {
  storeNames: [],
  get: () => ({ init: () => {}, get: () => undefined }),
};

describe('foreign-key join processors count what they drop', () => {
  it('the right side drops a change of a row without a key', () => {
    const join = foreignTableJoinProcessor({ storeName: 's', prefixSerde: Serdes.String() });
    expect(run(join, null, { newValue: 'apple', oldValue: null })).toEqual({
      forwarded: [],
      dropped: ['null-key'],
    });
  });

  it('the subscription receiver drops a subscription without a foreign key or without a value', () => {
    const receive = subscriptionReceiveProcessor({ storeName: 's', foreignGetter: noRows });
    const subscription = { hash: null, instruction: 'respond-always', primaryKey: 'o1', primaryPartition: 0 };
    expect(run(receive, null, subscription)).toEqual({ forwarded: [], dropped: ['null-join-key-or-value'] });
    expect(run(receive, 'p1', null)).toEqual({ forwarded: [], dropped: ['null-join-key-or-value'] });
  });

  it('the response joiner drops a response without a key or value', () => {
    const respond = responseJoinProcessor({
      leftJoin: true,
      leftGetter: noRows,
      valueSerde: Serdes.String() as never,
      valueContext: { topic: 't', part: 'value' },
      joiner: (a, b) => [a, b],
    });
    expect(run(respond, null, { hash: null, foreignValue: null, primaryPartition: 0 })).toEqual({
      forwarded: [],
      dropped: ['null-join-key-or-value'],
    });
    expect(run(respond, 'o1', null)).toEqual({ forwarded: [], dropped: ['null-join-key-or-value'] });
  });
});
