import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/kafka/port.ts';
import { PartitionGroup } from '../../../src/runtime/worker/partition-group.ts';

const record = (topic: string, offset: number, timestamp: number): LogRecord => ({
  topic,
  partition: 0,
  offset: String(offset),
  key: null,
  value: null,
  timestamp,
  headers: {},
});

const left = { topic: 'left', partition: 0 };
const right = { topic: 'right', partition: 0 };

describe('partition group', () => {
  it('hands out the buffered record with the smallest timestamp across partitions', () => {
    const group = new PartitionGroup(
      [
        { ...left, nextOffset: 0n },
        { ...right, nextOffset: 0n },
      ],
      0,
    );
    group.add(left, [record('left', 0, 10), record('left', 1, 30)], 2n, 2n);
    group.add(right, [record('right', 0, 20)], 1n, 1n);
    const order = [group.next(0), group.next(0), group.next(0)].map((r) => `${r!.topic}@${r!.timestamp}`);
    expect(order).toEqual(['left@10', 'right@20', 'left@30']);
    expect(group.next(0)).toBeUndefined();
  });

  it('waits for a dry partition while the log is known to hold more for it (max.task.idle.ms 0)', () => {
    const group = new PartitionGroup(
      [
        { ...left, nextOffset: 0n },
        { ...right, nextOffset: 0n },
      ],
      0,
    );
    group.add(left, [record('left', 0, 10)], 1n, 1n);
    group.add(right, [], 0n, 5n); // the right partition has 5 records not fetched yet
    expect(group.next(1_000)).toBeUndefined();
    group.add(right, [record('right', 0, 5)], 1n, 5n);
    expect(group.next(1_001)!.topic).toBe('right');
  });

  it('goes on without a dry partition that has nothing more, unless told to idle', () => {
    const eager = new PartitionGroup(
      [
        { ...left, nextOffset: 0n },
        { ...right, nextOffset: 0n },
      ],
      0,
    );
    eager.add(left, [record('left', 0, 10)], 1n, 1n);
    expect(eager.next(0)!.topic).toBe('left');

    const patient = new PartitionGroup(
      [
        { ...left, nextOffset: 0n },
        { ...right, nextOffset: 0n },
      ],
      100,
    );
    patient.add(left, [record('left', 0, 10)], 1n, 1n);
    expect(patient.next(0)).toBeUndefined();
    expect(patient.next(99)).toBeUndefined();
    expect(patient.next(100)!.topic).toBe('left');
  });

  it('drops records fetched again after a rebalance and steps over transaction markers', () => {
    const group = new PartitionGroup([{ ...left, nextOffset: 0n }], -1);
    group.add(left, [record('left', 0, 1), record('left', 1, 2)], 3n, 3n); // offset 2 is a commit marker
    group.add(left, [record('left', 1, 2), record('left', 3, 4)], 4n, 4n); // 1 is a refetch
    expect([group.next(0), group.next(0), group.next(0)].map((r) => r!.offset)).toEqual(['0', '1', '3']);
    expect(group.fetchPositions()).toEqual([{ topic: 'left', partition: 0, offset: 4n }]);
  });
});
