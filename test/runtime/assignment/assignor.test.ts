import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import { assignTasks, type MemberSubscription } from '../../../src/runtime/assignment/assignor.ts';
import {
  TaskAssignor,
  decodeAssignmentInfo,
  encodeJson,
} from '../../../src/runtime/assignment/group-protocol.ts';

function member(memberId: string, options: Partial<MemberSubscription> = {}): MemberSubscription {
  return {
    memberId,
    processId: memberId,
    endpoint: undefined,
    previousActive: [],
    previousStandby: [],
    tasksWithState: [],
    ...options,
  };
}

/** The group leader's assignment of `topology` to two fresh members, m1 and m2 (endpoints m1:80, m2:80). */
function assignToTwoMembers(
  topology: Topology,
  numStandbyReplicas: number,
  partitionCounts: Record<string, number>,
) {
  const assignor = new TaskAssignor({
    topology,
    applicationId: 'app',
    numStandbyReplicas,
    subscription: () => ({
      processId: 'p',
      endpoint: undefined,
      previousActive: [],
      previousStandby: [],
      tasksWithState: [],
    }),
  });
  const members = ['m1', 'm2'].map((memberId) => ({
    memberId,
    userData: encodeJson(member(memberId, { endpoint: `${memberId}:80` })),
  }));
  return assignor.assign(members, new Map(Object.entries(partitionCounts)));
}

const tasks = (n: number, subtopology = 0) => Array.from({ length: n }, (_, p) => `${subtopology}_${p}`);

describe('task assignor', () => {
  it('spreads tasks evenly and deterministically', () => {
    const input = {
      members: [member('b'), member('a'), member('c')],
      tasks: tasks(7),
      numStandbyReplicas: 0,
    };
    const result = assignTasks(input);
    const sizes = [...result.values()].map((a) => a.active.length).sort();
    expect(sizes).toEqual([2, 2, 3]);
    expect(new Set([...result.values()].flatMap((a) => a.active))).toEqual(new Set(tasks(7)));
    expect(assignTasks({ ...input, members: [...input.members].reverse() })).toEqual(result);
  });

  it('keeps tasks with the member that ran them when a member joins (sticky)', () => {
    const before = assignTasks({ members: [member('a')], tasks: tasks(4), numStandbyReplicas: 0 });
    expect(before.get('a')!.active).toHaveLength(4);
    const after = assignTasks({
      members: [member('a', { previousActive: before.get('a')!.active }), member('b')],
      tasks: tasks(4),
      numStandbyReplicas: 0,
    });
    expect(after.get('a')!.active).toHaveLength(2);
    expect(after.get('b')!.active).toHaveLength(2);
    // a keeps two of its own, and b takes the other two: nothing else moves.
    expect(after.get('a')!.active.every((t) => before.get('a')!.active.includes(t))).toBe(true);
  });

  it('gives a departed member’s tasks to the member that has their state (a former standby)', () => {
    const result = assignTasks({
      members: [
        member('a', { previousActive: ['0_0'] }),
        member('b', { previousActive: ['0_1'] }),
        member('c', { previousStandby: ['0_2'] }),
      ],
      tasks: tasks(3),
      numStandbyReplicas: 0,
    });
    expect(result.get('c')!.active).toEqual(['0_2']);
  });

  it('places standbys on other members, preferring other processes', () => {
    const result = assignTasks({
      members: [
        member('a1', { processId: 'p1' }),
        member('a2', { processId: 'p1' }),
        member('b1', { processId: 'p2' }),
      ],
      tasks: tasks(3),
      numStandbyReplicas: 1,
    });
    for (const [memberId, assignment] of result) {
      for (const task of assignment.standby) {
        const owner = [...result].find(([, a]) => a.active.includes(task))![0];
        expect(owner).not.toBe(memberId);
        const process = (id: string) => (id.startsWith('a') ? 'p1' : 'p2');
        expect(process(owner)).not.toBe(process(memberId));
      }
    }
    expect([...result.values()].flatMap((a) => a.standby).sort()).toEqual(tasks(3));
  });

  it('assigns whole tasks: every partition a task reads goes to the same member', () => {
    const builder = new StreamsBuilder();
    const left = builder.stream('left', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    const right = builder.table('right', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    left.join(right, (l, r) => `${l}${r}`).to('joined');
    const result = assignToTwoMembers(builder.build(), 0, { left: 4, right: 4 });
    for (const assignment of result.values()) {
      const info = decodeAssignmentInfo(assignment.userData);
      for (const task of info.active) {
        const partition = Number(task.split('_')[1]);
        expect(assignment.partitions).toEqual(
          expect.arrayContaining([
            { topic: 'left', partition },
            { topic: 'right', partition },
          ]),
        );
      }
      expect(Object.keys(info.endpoints).sort()).toEqual(['m1:80', 'm2:80']);
    }
  });
});

describe('standby replicas', () => {
  it('go only to tasks whose stores have a changelog to follow', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('words', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .groupBy((_key, word) => word, { keySerde: Serdes.String() })
      .count()
      .toStream()
      .to('counts', { valueSerde: Serdes.Long() });
    const result = assignToTwoMembers(builder.build(), 1, {
      words: 2,
      'app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition': 2,
    });
    const standbys = [...result.values()].flatMap((a) => decodeAssignmentInfo(a.userData).standby).sort();
    // Sub-topology 0 only reads and repartitions; sub-topology 1 counts into a logged store.
    expect(standbys).toEqual(['1_0', '1_1']);
  });
});
