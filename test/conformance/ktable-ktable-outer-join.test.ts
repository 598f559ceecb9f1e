// Kafka Streams' KTableKTableOuterJoinTest, transcribed: outer joins of two tables, with and without old
// values sent downstream.
import { describe, expect } from 'vitest';
import { tableJoinKinds, tableJoinProcessor } from '../../src/processor/ops/table-table-join.ts';
import type { ProcessorContext } from '../../src/processor/api.ts';
import { change, driverPerTest, javaTest, toStringJoiner } from './support/conformance.ts';
import { pipeUpdates, records, tableJoinCase } from './support/table-join.ts';

describe('KTableKTableOuterJoinTest', () => {
  const start = driverPerTest();

  javaTest('testJoin', async () => {
    const t = await tableJoinCase(start, 'outer');
    expect(t.topology.copartitionGroups).toEqual([['topic1', 'topic2']]);
    pipeUpdates(t, 'outer', (flat) => t.output.check(...records(flat, 0, 'no changes')));
  });

  javaTest('testNotSendingOldValue', async () => {
    const t = await tableJoinCase(start, 'outer', { capture: 'changes' });
    pipeUpdates(t, 'outer', (flat) => t.changes.check(...records(flat, 0, false)));
  });

  javaTest('testSendingOldValue', async () => {
    const t = await tableJoinCase(start, 'outer', { capture: 'changes with old values' });
    pipeUpdates(t, 'outer', (flat) => t.changes.check(...records(flat, 0, true)));
  });

  javaTest('shouldLogAndMeterSkippedRecordsDueToNullLeftKey', () => {
    const dropped: string[] = [];
    const processor = tableJoinProcessor({
      kind: tableJoinKinds('outer').left,
      otherGetter: { storeNames: [], get: () => ({ init: () => {}, get: () => undefined }) },
      joiner: toStringJoiner,
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
