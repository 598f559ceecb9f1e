import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/kafka/port.ts';
import { FETCH_WAIT_LIMIT_MS, PartitionGroup } from '../../../src/runtime/worker/partition-group.ts';
import { toOffset } from '../../../src/common/offset.ts';

const record = (topic: string, offset: number, timestamp: number): LogRecord => ({
  topic,
  partition: 0,
  offset: toOffset(offset),
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

  it('drops records fetched again after a rebalance and steps over transaction markers', () => {
    const group = new PartitionGroup([{ ...left, nextOffset: 0n }], -1);
    group.add(left, [record('left', 0, 1), record('left', 1, 2)], 3n, 3n); // offset 2 is a commit marker
    group.add(left, [record('left', 1, 2), record('left', 3, 4)], 4n, 4n); // 1 is a refetch
    expect([group.next(0), group.next(0), group.next(0)].map((r) => r!.offset)).toEqual([0n, 1n, 3n]);
    expect(group.fetchPositions()).toEqual([{ topic: 'left', partition: 0, offset: 4n }]);
  });
});

/**
 * Kafka Streams' PartitionGroup.readyToProcess (KIP-695): a partition with nothing buffered holds its
 * task back while its fetched lag is unknown or above 0; one known to be caught up (lag 0) holds it
 * back for max.task.idle.ms; -1 never holds it back.
 */
describe('partition group: when a task with a dry input partition goes on', () => {
  type LagState = 'never fetched' | 'lag above 0' | 'caught up';
  const group = (state: LagState, maxTaskIdleMs: number) => {
    const g = new PartitionGroup(
      [
        { ...left, nextOffset: 0n },
        { ...right, nextOffset: 0n },
      ],
      maxTaskIdleMs,
    );
    g.add(left, [record('left', 0, 10)], 1n, 1n);
    if (state === 'lag above 0') g.add(right, [], 0n, 3n);
    if (state === 'caught up') g.add(right, [], 0n, 0n);
    return g;
  };

  const guard = 'until records come (at most FETCH_WAIT_LIMIT_MS)';
  it.each<[LagState, number, string]>([
    ['never fetched', -1, 'not at all'],
    ['never fetched', 0, guard],
    ['never fetched', 100, guard],
    ['lag above 0', -1, 'not at all'],
    ['lag above 0', 0, guard],
    ['lag above 0', 100, guard],
    ['caught up', -1, 'not at all'],
    ['caught up', 0, 'not at all'],
    ['caught up', 100, '100 ms'],
  ])('%s, max.task.idle.ms %i: waits %s', (state, maxTaskIdleMs, waits) => {
    const g = group(state, maxTaskIdleMs);
    const waitMs = waits === guard ? FETCH_WAIT_LIMIT_MS : waits === '100 ms' ? 100 : 0;
    if (waitMs > 0) {
      expect(g.next(1_000)).toBeUndefined();
      expect(g.next(1_000 + waitMs - 1)).toBeUndefined();
    }
    expect(g.next(1_000 + waitMs)?.topic).toBe('left');
  });

  it('processes the record of the partition fetched later first when it is older', () => {
    const g = group('never fetched', 0);
    expect(g.next(0)).toBeUndefined();
    g.add(right, [record('right', 0, 5)], 1n, 1n);
    expect([g.next(1), g.next(1)].map((r) => r?.topic)).toEqual(['right', 'left']);
  });

  it('gives up on a never-fetched partition once, not again for each record', () => {
    const g = group('never fetched', 0);
    expect(g.next(0)).toBeUndefined();
    expect(g.next(FETCH_WAIT_LIMIT_MS)?.offset).toBe(0n);
    g.add(left, [record('left', 1, 11)], 2n, 2n);
    expect(g.next(FETCH_WAIT_LIMIT_MS + 1)?.offset).toBe(1n);
  });

  it('idles again for a caught-up partition once it has had records and run dry', () => {
    const g = group('caught up', 100);
    expect(g.next(0)).toBeUndefined();
    expect(g.next(100)?.topic).toBe('left');
    g.add(right, [record('right', 0, 20)], 1n, 1n);
    g.add(left, [record('left', 1, 30)], 2n, 2n);
    expect(g.next(200)?.topic).toBe('right');
    expect(g.next(200)).toBeUndefined();
    expect(g.next(300)?.topic).toBe('left');
  });

  it('starts waiting when it has a record to process, not while it has none', () => {
    const g = new PartitionGroup(
      [
        { ...left, nextOffset: 0n },
        { ...right, nextOffset: 0n },
      ],
      0,
    );
    expect(g.next(0)).toBeUndefined();
    g.add(left, [record('left', 0, 10)], 1n, 1n);
    expect(g.next(FETCH_WAIT_LIMIT_MS)).toBeUndefined();
    expect(g.next(2 * FETCH_WAIT_LIMIT_MS)?.topic).toBe('left');
  });
});

describe('partition group: a task started where each partition ended', () => {
  const started = (rightEnd: bigint) => {
    const g = new PartitionGroup(
      [
        { ...left, nextOffset: 0n },
        { ...right, nextOffset: 0n },
      ],
      0,
    );
    g.startAt(left, 4n, 5n);
    g.startAt(right, 7n, rightEnd);
    g.add(left, [record('left', 4, 10)], 5n, 5n);
    return g;
  };

  it('goes on without a partition listed as read to its end, though nothing was fetched from it', () => {
    expect(started(7n).next(0)?.topic).toBe('left');
  });

  it('waits for a partition listed with records past its start', () => {
    const g = started(9n);
    expect(g.next(0)).toBeUndefined();
    g.add(right, [record('right', 7, 5)], 8n, 9n);
    expect(g.next(1)?.topic).toBe('right');
  });
});
