import { describe, expect, it } from 'vitest';
import { assignTasks, type MemberSubscription } from '../../../src/runtime/assignment/assignor.ts';

const tasks = ['0_0', '0_1', '0_2', '0_3', '1_0', '1_1', '1_2', '1_3'];

function member(memberId: string, fields: Partial<MemberSubscription> = {}): MemberSubscription {
  return {
    memberId,
    processId: `process-${memberId}`,
    endpoint: undefined,
    previousActive: [],
    previousStandby: [],
    tasksWithState: [],
    ...fields,
  };
}

function assign(members: MemberSubscription[], numStandbyReplicas = 0) {
  const result = assignTasks({ members, tasks, numStandbyReplicas });
  return Object.fromEntries([...result].map(([id, a]) => [id, a]));
}

describe('assignTasks', () => {
  it('gives a lone member every task', () => {
    expect(assign([member('a')]).a!.active).toEqual(tasks);
  });

  it('gives a joining member a share of every sub-topology, the others keeping what they can', () => {
    const result = assign([member('a', { previousActive: tasks }), member('b')]);
    expect(result.a!.active).toEqual(['0_0', '0_1', '1_0', '1_1']);
    expect(result.b!.active).toEqual(['0_2', '0_3', '1_2', '1_3']);
  });

  it('keeps tasks where they ran and moves only those of a member that left', () => {
    const result = assign([
      member('b', { previousActive: ['0_1', '0_3', '1_1', '1_3'] }),
      member('c', { previousActive: ['0_0', '1_0'] }),
    ]);
    expect(result.b!.active).toEqual(['0_1', '0_3', '1_1', '1_3']);
    expect(result.c!.active).toEqual(['0_0', '0_2', '1_0', '1_2']);
  });

  it('moves a task to a member that has its state (a standby) rather than to the least loaded', () => {
    const result = assign([
      member('a', { previousActive: ['0_0', '0_1', '1_0'] }),
      member('b', { previousActive: ['0_2', '0_3', '1_2'], previousStandby: ['1_1'] }),
      member('c', { tasksWithState: ['1_3'] }),
    ]);
    expect(result.b!.active).toContain('1_1');
    expect(result.c!.active).toContain('1_3');
    expect(
      Object.values(result)
        .flatMap((a) => a.active)
        .sort(),
    ).toEqual(tasks);
  });

  it('places standbys on other worker processes, preferring those that have the state', () => {
    const result = assign(
      [
        member('a', { previousActive: ['0_0', '0_1', '1_0', '1_1'], previousStandby: ['1_2', '1_3'] }),
        member('b', { previousActive: ['0_2', '0_3', '1_2', '1_3'], previousStandby: ['1_0', '1_1'] }),
      ],
      1,
    );
    expect(result.a!.standby).toEqual(['0_2', '0_3', '1_2', '1_3']);
    expect(result.b!.standby).toEqual(['0_0', '0_1', '1_0', '1_1']);
  });

  it('answers the same for the same input in any member order', () => {
    const members = [member('b', { previousActive: ['1_0'] }), member('a'), member('c')];
    expect(assign(members, 1)).toEqual(assign([...members].reverse(), 1));
  });
});
