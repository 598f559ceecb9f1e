// Kafka Streams' KTableKTableRightJoinTest, transcribed: the processor on the right input of a table
// left join.
import { describe, expect } from 'vitest';
import { tableJoinKinds, tableJoinProcessor } from '../../src/processor/ops/table-table-join.ts';
import type { ProcessorContext } from '../../src/processor/api.ts';
import { change, javaTest, toStringJoiner } from './support/conformance.ts';

describe('KTableKTableRightJoinTest', () => {
  javaTest('shouldLogAndMeterSkippedRecordsDueToNullLeftKeyWithBuiltInMetricsVersionLatest', () => {
    const dropped: string[] = [];
    const processor = tableJoinProcessor({
      kind: tableJoinKinds('left').right,
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
