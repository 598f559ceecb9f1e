import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder } from 'tributary';
import {
  decodeAssignmentInfo,
  encodeJson,
  TaskAssignor,
} from '../../../src/runtime/assignment/group-protocol.ts';

function wordCount() {
  const builder = new StreamsBuilder();
  builder
    .stream('words', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupBy((_key, word) => word, { keySerde: Serdes.String() })
    .count({ storeName: 'counts' })
    .toStream()
    .to('counts', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
  return builder.build();
}

const assignor = new TaskAssignor({
  topology: wordCount(),
  applicationId: 'app',
  numStandbyReplicas: 0,
  subscription: () => ({
    processId: 'p',
    endpoint: undefined,
    previousActive: [],
    previousStandby: [],
    tasksWithState: [],
  }),
});
const counts = new Map([
  ['words', 2],
  ['app-counts-repartition', 2],
]);

function member(memberId: string, previousActive: string[]) {
  return {
    memberId,
    userData: encodeJson({
      processId: `process-${memberId}`,
      previousActive,
      previousStandby: [],
      tasksWithState: [],
    }),
  };
}

describe('TaskAssignor', () => {
  it('tells the new owner of a moved task to wait for its previous owner, and the previous owner to let go', () => {
    const result = assignor.assign([member('a', ['0_0', '0_1', '1_0', '1_1']), member('b', [])], counts);
    const a = decodeAssignmentInfo(result.get('a')!.userData);
    const b = decodeAssignmentInfo(result.get('b')!.userData);
    expect(a.active).toEqual(['0_0', '1_0']);
    expect(b.active).toEqual(['0_1', '1_1']);
    expect(b.handoffs).toEqual(['0_1', '1_1']);
    expect(a.releases).toEqual(['0_1', '1_1']);
    expect(a.handoffs).toEqual([]);
    expect(b.releases).toEqual([]);
    // One rebalance, one name: the marker the previous owner commits is the one the new owner waits for.
    expect(a.rebalance).toBe(b.rebalance);
    expect(a.rebalance).not.toBe('');
    expect(result.get('b')!.partitions).toEqual([
      { topic: 'words', partition: 1 },
      { topic: 'app-counts-repartition', partition: 1 },
    ]);
  });

  it('asks for no hand-over when the previous owner has left the group', () => {
    const result = assignor.assign([member('b', [])], counts);
    const b = decodeAssignmentInfo(result.get('b')!.userData);
    expect(b.active).toEqual(['0_0', '0_1', '1_0', '1_1']);
    expect(b.handoffs).toEqual([]);
  });
});
