// Kafka Streams' KTableKTableInnerJoinTest, transcribed: inner joins of two tables, with and without old
// values sent downstream.
import { describe, expect } from 'vitest';
import { tableJoinKinds, tableJoinProcessor } from '../../src/processor/ops/table-table-join.ts';
import type { ProcessorContext } from '../../src/processor/api.ts';
import { change, driverPerTest, javaTest, kvt, pipeEach } from './support/conformance.ts';
import { KEYS, tableJoinCase } from './support/table-join.ts';

describe('KTableKTableInnerJoinTest', () => {
  const start = driverPerTest();

  /** The Java `doTestJoin`: the join written out as a stream. */
  async function doTestJoin(materialized: boolean) {
    const { topology, topic1, topic2, output } = await tableJoinCase(start, 'inner', { materialized });
    expect(topology.copartitionGroups).toEqual([['topic1', 'topic2']]);
    [0, 1].forEach((key) => topic1.pipeInput(key, `X${key}`, 5 + key));
    topic1.pipeInput(null, 'SomeVal', 42);
    output.check();
    [0, 1].forEach((key) => topic2.pipeInput(key, `Y${key}`, 10 * key));
    topic2.pipeInput(null, 'AnotherVal', 73);
    output.check(kvt(0, 'X0+Y0', 5), kvt(1, 'X1+Y1', 10));
    pipeEach(topic1, KEYS, 'XX', 7);
    output.check(kvt(0, 'XX0+Y0', 7), kvt(1, 'XX1+Y1', 10));
    KEYS.forEach((key) => topic2.pipeInput(key, `YY${key}`, key * 5));
    output.check(kvt(0, 'XX0+YY0', 7), kvt(1, 'XX1+YY1', 7), kvt(2, 'XX2+YY2', 10), kvt(3, 'XX3+YY3', 15));
    pipeEach(topic1, KEYS, 'XXX', 6);
    output.check(
      kvt(0, 'XXX0+YY0', 6),
      kvt(1, 'XXX1+YY1', 6),
      kvt(2, 'XXX2+YY2', 10),
      kvt(3, 'XXX3+YY3', 15),
    );
    topic2.pipeInput(0, null, 5);
    topic2.pipeInput(1, null, 7);
    output.check(kvt(0, null, 6), kvt(1, null, 7));
    pipeEach(topic1, KEYS, 'XXXX', 13);
    output.check(kvt(2, 'XXXX2+YY2', 13), kvt(3, 'XXXX3+YY3', 15));
    topic1.pipeInput(0, null, 0);
    topic1.pipeInput(1, null, 42);
    topic1.pipeInput(2, null, 5);
    topic1.pipeInput(3, null, 20);
    output.check(kvt(2, null, 10), kvt(3, null, 20));
  }

  javaTest('testJoin', async () => {
    await doTestJoin(false);
  });

  javaTest('testQueryableJoin', async () => {
    await doTestJoin(true);
  });

  /** The Java `doTestNotSendingOldValues`: the join's changes, old values null throughout. */
  async function doTestNotSendingOldValues(materialized: boolean) {
    const { topic1, topic2, changes } = await tableJoinCase(start, 'inner', {
      materialized,
      capture: 'changes',
    });
    [0, 1].forEach((key) => topic1.pipeInput(key, `X${key}`, 5 + key));
    topic1.pipeInput(null, 'SomeVal', 42);
    changes.check();
    [0, 1].forEach((key) => topic2.pipeInput(key, `Y${key}`, 10 * key));
    topic2.pipeInput(null, 'AnotherVal', 73);
    changes.check(kvt(0, change('X0+Y0', null), 5), kvt(1, change('X1+Y1', null), 10));
    pipeEach(topic1, KEYS, 'XX', 7);
    changes.check(kvt(0, change('XX0+Y0', null), 7), kvt(1, change('XX1+Y1', null), 10));
    KEYS.forEach((key) => topic2.pipeInput(key, `YY${key}`, key * 5));
    changes.check(
      kvt(0, change('XX0+YY0', null), 7),
      kvt(1, change('XX1+YY1', null), 7),
      kvt(2, change('XX2+YY2', null), 10),
      kvt(3, change('XX3+YY3', null), 15),
    );
    pipeEach(topic1, KEYS, 'XXX', 6);
    changes.check(
      kvt(0, change('XXX0+YY0', null), 6),
      kvt(1, change('XXX1+YY1', null), 6),
      kvt(2, change('XXX2+YY2', null), 10),
      kvt(3, change('XXX3+YY3', null), 15),
    );
    topic2.pipeInput(0, null, 5);
    topic2.pipeInput(1, null, 7);
    changes.check(kvt(0, change(null, null), 6), kvt(1, change(null, null), 7));
    pipeEach(topic1, KEYS, 'XXXX', 13);
    changes.check(kvt(2, change('XXXX2+YY2', null), 13), kvt(3, change('XXXX3+YY3', null), 15));
    topic1.pipeInput(0, null, 0);
    topic1.pipeInput(1, null, 42);
    topic1.pipeInput(2, null, 5);
    topic1.pipeInput(3, null, 20);
    changes.check(kvt(2, change(null, null), 10), kvt(3, change(null, null), 20));
  }

  javaTest('testQueryableNotSendingOldValues', async () => {
    await doTestNotSendingOldValues(true);
  });

  javaTest('testNotSendingOldValues', async () => {
    await doTestNotSendingOldValues(false);
  });

  javaTest('testSendingOldValues', async () => {
    const { topic1, topic2, changes } = await tableJoinCase(start, 'inner', {
      capture: 'changes with old values',
    });
    [0, 1].forEach((key) => topic1.pipeInput(key, `X${key}`, 5 + key));
    topic1.pipeInput(null, 'SomeVal', 42);
    changes.check();
    [0, 1].forEach((key) => topic2.pipeInput(key, `Y${key}`, 10 * key));
    topic2.pipeInput(null, 'AnotherVal', 73);
    changes.check(kvt(0, change('X0+Y0', null), 5), kvt(1, change('X1+Y1', null), 10));
    pipeEach(topic1, KEYS, 'XX', 7);
    changes.check(kvt(0, change('XX0+Y0', 'X0+Y0'), 7), kvt(1, change('XX1+Y1', 'X1+Y1'), 10));
    KEYS.forEach((key) => topic2.pipeInput(key, `YY${key}`, key * 5));
    changes.check(
      kvt(0, change('XX0+YY0', 'XX0+Y0'), 7),
      kvt(1, change('XX1+YY1', 'XX1+Y1'), 7),
      kvt(2, change('XX2+YY2', null), 10),
      kvt(3, change('XX3+YY3', null), 15),
    );
    pipeEach(topic1, KEYS, 'XXX', 6);
    changes.check(
      kvt(0, change('XXX0+YY0', 'XX0+YY0'), 6),
      kvt(1, change('XXX1+YY1', 'XX1+YY1'), 6),
      kvt(2, change('XXX2+YY2', 'XX2+YY2'), 10),
      kvt(3, change('XXX3+YY3', 'XX3+YY3'), 15),
    );
    topic2.pipeInput(0, null, 5);
    topic2.pipeInput(1, null, 7);
    changes.check(kvt(0, change(null, 'XXX0+YY0'), 6), kvt(1, change(null, 'XXX1+YY1'), 7));
    pipeEach(topic1, KEYS, 'XXXX', 13);
    changes.check(kvt(2, change('XXXX2+YY2', 'XXX2+YY2'), 13), kvt(3, change('XXXX3+YY3', 'XXX3+YY3'), 15));
    topic1.pipeInput(0, null, 0);
    topic1.pipeInput(1, null, 42);
    topic1.pipeInput(2, null, 5);
    topic1.pipeInput(3, null, 20);
    changes.check(kvt(2, change(null, 'XXXX2+YY2'), 10), kvt(3, change(null, 'XXXX3+YY3'), 20));
  });

  // The Java test drives the join processor directly with a null key (table sources drop such rows
  // before they reach a join).
  javaTest('shouldLogAndMeterSkippedRecordsDueToNullLeftKey', () => {
    const dropped: string[] = [];
    const processor = tableJoinProcessor({
      kind: tableJoinKinds('inner').left,
      otherGetter: { storeNames: [], get: () => ({ init: () => {}, get: () => undefined }) },
      joiner: (a, b) => `${String(a)}+${String(b)}`,
      sendOldValues: false,
    })();
    processor.init?.({
      forward: () => {
        throw new Error('nothing may be forwarded');
      },
      recordDropped: (reason: string) => dropped.push(reason),
    } as unknown as ProcessorContext);
    processor.process({ key: null, value: change('new', 'old'), timestamp: 0, headers: {} });
    expect(dropped).toEqual(['null-key']);
  });
});
