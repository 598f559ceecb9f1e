import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/kafka/port.ts';
import { FETCH_WAIT_LIMIT_MS, PartitionGroup } from '../../../src/runtime/worker/partition-group.ts';
import { toOffset, type Offset } from '../../../src/common/offset.ts';

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
        { ...left, nextOffset: toOffset(0) },
        { ...right, nextOffset: toOffset(0) },
      ],
      0,
    );
    group.add(left, [record('left', 0, 10), record('left', 1, 30)], toOffset(2), toOffset(2));
    group.add(right, [record('right', 0, 20)], toOffset(1), toOffset(1));
    const order = [group.next(0), group.next(0), group.next(0)].map((r) => `${r!.topic}@${r!.timestamp}`);
    expect(order).toEqual(['left@10', 'right@20', 'left@30']);
    expect(group.next(0)).toBeUndefined();
  });

  it('waits for a dry partition while the log is known to hold more for it (max.task.idle.ms 0)', () => {
    const group = new PartitionGroup(
      [
        { ...left, nextOffset: toOffset(0) },
        { ...right, nextOffset: toOffset(0) },
      ],
      0,
    );
    group.add(left, [record('left', 0, 10)], toOffset(1), toOffset(1));
    group.add(right, [], toOffset(0), toOffset(5)); // the right partition has 5 records not fetched yet
    expect(group.next(1_000)).toBeUndefined();
    group.add(right, [record('right', 0, 5)], toOffset(1), toOffset(5));
    expect(group.next(1_001)!.topic).toBe('right');
  });

  it('drops records fetched again after a rebalance and steps over transaction markers', () => {
    const group = new PartitionGroup([{ ...left, nextOffset: toOffset(0) }], -1);
    group.add(left, [record('left', 0, 1), record('left', 1, 2)], toOffset(3), toOffset(3)); // offset 2 is a commit marker
    group.add(left, [record('left', 1, 2), record('left', 3, 4)], toOffset(4), toOffset(4)); // 1 is a refetch
    expect([group.next(0), group.next(0), group.next(0)].map((r) => r!.offset)).toEqual([
      toOffset(0),
      toOffset(1),
      toOffset(3),
    ]);
    expect(group.fetchPositions()).toEqual([{ topic: 'left', partition: 0, offset: toOffset(4) }]);
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
        { ...left, nextOffset: toOffset(0) },
        { ...right, nextOffset: toOffset(0) },
      ],
      maxTaskIdleMs,
    );
    g.add(left, [record('left', 0, 10)], toOffset(1), toOffset(1));
    if (state === 'lag above 0') g.add(right, [], toOffset(0), toOffset(3));
    if (state === 'caught up') g.add(right, [], toOffset(0), toOffset(0));
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
    g.add(right, [record('right', 0, 5)], toOffset(1), toOffset(1));
    expect([g.next(1), g.next(1)].map((r) => r?.topic)).toEqual(['right', 'left']);
  });

  it('gives up on a never-fetched partition once, not again for each record', () => {
    const g = group('never fetched', 0);
    expect(g.next(0)).toBeUndefined();
    expect(g.next(FETCH_WAIT_LIMIT_MS)?.offset).toBe(toOffset(0));
    g.add(left, [record('left', 1, 11)], toOffset(2), toOffset(2));
    expect(g.next(FETCH_WAIT_LIMIT_MS + 1)?.offset).toBe(toOffset(1));
  });

  it('idles again for a caught-up partition once it has had records and run dry', () => {
    const g = group('caught up', 100);
    expect(g.next(0)).toBeUndefined();
    expect(g.next(100)?.topic).toBe('left');
    g.add(right, [record('right', 0, 20)], toOffset(1), toOffset(1));
    g.add(left, [record('left', 1, 30)], toOffset(2), toOffset(2));
    expect(g.next(200)?.topic).toBe('right');
    expect(g.next(200)).toBeUndefined();
    expect(g.next(300)?.topic).toBe('left');
  });

  it('starts waiting when it has a record to process, not while it has none', () => {
    const g = new PartitionGroup(
      [
        { ...left, nextOffset: toOffset(0) },
        { ...right, nextOffset: toOffset(0) },
      ],
      0,
    );
    expect(g.next(0)).toBeUndefined();
    g.add(left, [record('left', 0, 10)], toOffset(1), toOffset(1));
    expect(g.next(FETCH_WAIT_LIMIT_MS)).toBeUndefined();
    expect(g.next(2 * FETCH_WAIT_LIMIT_MS)?.topic).toBe('left');
  });
});

describe('partition group: a task started where each partition ended', () => {
  const started = (rightEnd: Offset) => {
    const g = new PartitionGroup(
      [
        { ...left, nextOffset: toOffset(0) },
        { ...right, nextOffset: toOffset(0) },
      ],
      0,
    );
    g.startAt(left, toOffset(4), toOffset(5));
    g.startAt(right, toOffset(7), rightEnd);
    g.add(left, [record('left', 4, 10)], toOffset(5), toOffset(5));
    return g;
  };

  it('goes on without a partition listed as read to its end, though nothing was fetched from it', () => {
    expect(started(toOffset(7)).next(0)?.topic).toBe('left');
  });

  it('waits for a partition listed with records past its start', () => {
    const g = started(toOffset(9));
    expect(g.next(0)).toBeUndefined();
    g.add(right, [record('right', 7, 5)], toOffset(8), toOffset(9));
    expect(g.next(1)?.topic).toBe('right');
  });
});
