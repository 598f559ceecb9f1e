/** The parts of `atOwner`: one action per key at a time, and waiting until a task has caught up with its input. */
import { describe, expect, it } from 'vitest';
import { HttpError } from 'tributary';
import { awaitCaughtUp, type TaskProgress } from '../../src/query/catch-up.ts';
import { KeyLock } from '../../src/query/key-lock.ts';
import { toOffset } from '../../src/common/offset.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyLock', () => {
  it('runs the actions of one key one after another, in order, and those of other keys meanwhile', async () => {
    const lock = new KeyLock();
    const events: string[] = [];
    const action = (name: string, ms: number) => async () => {
      events.push(`${name} starts`);
      await sleep(ms);
      events.push(`${name} ends`);
      return name;
    };
    const results = await Promise.all([
      lock.run('a', action('a1', 30)),
      lock.run('a', action('a2', 1)),
      lock.run('b', action('b1', 1)),
      lock.run('a', action('a3', 1)),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(events.filter((e) => e.startsWith('a'))).toEqual([
      'a1 starts',
      'a1 ends',
      'a2 starts',
      'a2 ends',
      'a3 starts',
      'a3 ends',
    ]);
    // b did not wait for a1.
    expect(events.indexOf('b1 ends')).toBeLessThan(events.indexOf('a1 ends'));
    expect(lock.size).toBe(0);
  });

  it('goes on with the next action of a key after one fails', async () => {
    const lock = new KeyLock();
    const failed = lock.run('k', async () => {
      await sleep(5);
      throw new Error('no');
    });
    const next = lock.run('k', async () => 'next');
    await expect(failed).rejects.toThrow('no');
    await expect(next).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});

/** A task with one input partition, whose progress the test moves. */
function task(): TaskProgress & { processed?: bigint; fetched: bigint; buffered: number } {
  const input = { topic: 'orders', partition: 1 };
  return {
    inputs: [input],
    processed: undefined,
    fetched: 0n,
    buffered: 0,
    positions() {
      return this.processed === undefined ? [] : [{ ...input, offset: toOffset(this.processed) }];
    },
    fetchPositions() {
      return [{ ...input, offset: toOffset(this.fetched) }];
    },
    get queues() {
      return { size: () => this.buffered };
    },
  };
}

const ends = (end: bigint) => async () =>
  new Map([
    [0, 99n],
    [1, end],
  ]);

describe('awaitCaughtUp', () => {
  it('resolves once the task has processed up to where the log ended when the wait began', async () => {
    const t = task();
    t.fetched = 10n;
    t.buffered = 4;
    let done = false;
    const waiting = awaitCaughtUp({ task: () => t, logEnds: ends(10n), timeoutMs: 2000, what: 'p' }).then(
      () => (done = true),
    );
    await sleep(30);
    // Fetched up to the end, but 4 records wait in the buffer: not yet.
    expect(done).toBe(false);
    t.processed = 9n;
    t.buffered = 1;
    await sleep(30);
    expect(done).toBe(false);
    t.processed = 10n;
    await waiting;
    expect(done).toBe(true);
  });

  it('counts what was fetched when nothing is buffered (transaction markers, a start at the committed offset)', async () => {
    const t = task();
    t.fetched = 12n;
    await awaitCaughtUp({ task: () => t, logEnds: ends(12n), timeoutMs: 100, what: 'p' });
  });

  it('answers 503 naming the partition and how far the task got, when it does not catch up in time', async () => {
    const t = task();
    t.processed = 3n;
    t.buffered = 2;
    const error = await awaitCaughtUp({
      task: () => t,
      logEnds: ends(8n),
      timeoutMs: 50,
      what: 'partition 1 of store "orders-store"',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      status: 503,
      message:
        'partition 1 of store "orders-store" is still catching up with orders-1 (processed up to 3 of 8); ask again shortly',
    });
  });

  it('answers 503 when the task leaves this worker meanwhile (a rebalance)', async () => {
    let current: TaskProgress | undefined = task();
    const waiting = awaitCaughtUp({ task: () => current, logEnds: ends(5n), timeoutMs: 2000, what: 'p' });
    await sleep(20);
    current = undefined;
    await expect(waiting).rejects.toMatchObject({
      status: 503,
      message: 'p is moving to another worker (a rebalance); ask again shortly',
    });
  });
});
