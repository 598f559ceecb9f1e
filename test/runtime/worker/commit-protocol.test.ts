import { toOffset, type Offset } from '../../../src/common/offset.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../../../src/errors.ts';
import { RebalanceInProgressError } from '../../../src/kafka/port.ts';
import { CHANGELOG_DRAIN_INTERVAL_MS } from '../../../src/runtime/worker/commit-protocol.ts';
import { eventually } from '../../support/eventually.ts';
import { APP, runtimeHarness, type Harness, type HarnessOptions } from './runtime-harness.ts';

const harnesses: Harness[] = [];

afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
});

async function start(options: HarnessOptions): Promise<Harness> {
  const harness = await runtimeHarness(options);
  harnesses.push(harness);
  await harness.assign({ active: ['1_0'] });
  return harness;
}

/** The checkpoint of the counting task's store (the changelog offset its data corresponds to). */
function checkpoint(harness: Harness): Offset | undefined {
  return harness.task('1_0').active.stores.get('word-counts')!.checkpoint;
}

describe('CommitProtocol under at-least-once', () => {
  it('sends output and changelog, persists the stores, and only then commits the consumed offsets', async () => {
    const harness = await start({ guarantee: 'at-least-once' });
    harness.feed(0, 'a', 'b', 'a');
    expect(harness.process()).toBe(3);
    let seenAtOffsetCommit:
      { checkpoint: Offset | undefined; changelog: number; output: string[] } | undefined;
    harness.log.script('commit', {
      before: () => {
        seenAtOffsetCommit = {
          checkpoint: checkpoint(harness),
          changelog: harness.log.records(harness.changelog, 0).length,
          output: harness.output(),
        };
      },
    });
    harness.log.journal.length = 0;

    expect(await harness.commits.commitAll()).toBe('committed');

    const operations = harness.log.operations('send', 'commit');
    expect(operations.at(-1)).toBe('commit');
    expect(operations.filter((o) => o === 'commit')).toHaveLength(1);
    expect(operations.indexOf('send')).toBeGreaterThanOrEqual(0);
    // When the offsets are committed, the output and the changelog are in the log and the store's
    // data is on disk with the changelog's end as its checkpoint.
    expect(seenAtOffsetCommit).toEqual({ checkpoint: 2n, changelog: 2, output: ['a=1', 'b=1', 'a=2'] });
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBe(3n);
  });

  it('keeps the offsets pending when a rebalance refuses them, and commits them with the next commit', async () => {
    const harness = await start({ guarantee: 'at-least-once' });
    harness.feed(0, 'a', 'b');
    harness.process();
    harness.log.script('commit', { fail: new RebalanceInProgressError() });

    expect(await harness.commits.commitAll()).toBe('refused');
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBeUndefined();
    expect(harness.failures).toEqual([]);

    expect(await harness.commits.commitAll()).toBe('committed');
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBe(2n);
  });

  it('commits no offsets, and fails the application, when a send fails for good', async () => {
    const harness = await start({ guarantee: 'at-least-once' });
    harness.feed(0, 'a');
    harness.process();
    const refused = new TributaryError('TRIB_RECORD_TOO_LARGE', 'the broker refused the record');
    harness.log.script('send', { fail: refused });

    await expect(harness.commits.commitAll()).rejects.toBe(refused);

    expect(harness.failures).toEqual([refused]);
    expect(harness.log.operations('commit')).toEqual([]);
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBeUndefined();
    expect(checkpoint(harness)).toBeUndefined();
  });

  it('retries a send refused for a while, in place, before committing', async () => {
    const harness = await start({ guarantee: 'at-least-once' });
    harness.feed(0, 'a', 'a');
    harness.process();
    harness.log.script('send', {
      fail: new TributaryError('TRIB_KAFKA', 'leader moving', { retriable: true }),
    });
    harness.log.journal.length = 0;

    expect(await harness.commits.commitAll()).toBe('committed');

    expect(harness.log.operations('send', 'commit')).toEqual(['send', 'send', 'commit']);
    expect(harness.output()).toEqual(['a=1', 'a=2']);
    expect(harness.failures).toEqual([]);
  });

  it('sends the changes of every store ahead of the commit once the changelog drain interval has passed', async () => {
    const harness = await start({ guarantee: 'at-least-once' });
    harness.feed(0, 'a', 'b', 'a');
    harness.process();
    harness.clock.advance(CHANGELOG_DRAIN_INTERVAL_MS - 1);
    harness.commits.flushOutputs();
    await eventually(async () => expect(harness.output()).toEqual(['a=1', 'b=1', 'a=2']), { intervalMs: 10 });
    // Within the interval the changes wait (a key changed twice costs one record)...
    expect(harness.log.records(harness.changelog, 0)).toHaveLength(0);

    harness.feed(0, 'b');
    harness.process();
    harness.clock.advance(1);
    harness.commits.flushOutputs();
    // ...and once it has passed they go out, without a commit: the commit is left with less to send.
    await eventually(async () => expect(harness.log.records(harness.changelog, 0)).toHaveLength(2), {
      intervalMs: 10,
    });
    expect(harness.log.operations('commit')).toEqual([]);
    expect(await harness.commits.commitAll()).toBe('committed');
    expect(checkpoint(harness)).toBe(2n);
  });

  it('is due once the commit interval has passed on the clock, or at once when asked for', async () => {
    const harness = await start({ guarantee: 'at-least-once' });
    const interval = harness.config.commitIntervalMs;
    await harness.commits.commitAll();
    expect(harness.commits.isDue(interval)).toBe(false);
    harness.clock.advance(interval - 1);
    expect(harness.commits.isDue(interval)).toBe(false);
    harness.clock.advance(1);
    expect(harness.commits.isDue(interval)).toBe(true);

    await harness.commits.commitAll();
    expect(harness.commits.isDue(interval)).toBe(false);
    harness.commits.request();
    expect(harness.commits.isDue(interval)).toBe(true);
  });
});

describe('CommitProtocol under exactly-once with a producer per task', () => {
  it('puts output, changelog and offsets in one transaction, and persists the stores after it commits', async () => {
    const harness = await start({ guarantee: 'exactly-once' });
    harness.feed(0, 'a', 'b', 'a');
    harness.process();
    let checkpointAtTransactionCommit: Offset | undefined = toOffset(-1);
    harness.log.script('commit-transaction', {
      before: () => {
        checkpointAtTransactionCommit = checkpoint(harness);
      },
    });
    harness.log.journal.length = 0;

    await harness.commits.commitAll();

    const transactional = harness.log.journal.filter((e) => e.transactionalId !== undefined);
    expect(transactional.map((e) => e.operation)).toEqual([
      'begin',
      'transactional-send',
      'send-offsets',
      'commit-transaction',
    ]);
    expect(new Set(transactional.map((e) => e.transactionalId))).toEqual(new Set([`${APP}-1_0`]));
    expect(transactional[1]!.topics).toEqual(expect.arrayContaining([harness.changelog, 'word-counts']));
    // Nothing outside the transaction: no plain sends, no offsets committed through the group.
    expect(harness.log.operations('send', 'commit')).toEqual([]);
    expect(checkpointAtTransactionCommit).toBeUndefined();
    expect(checkpoint(harness)).toBe(2n);
    expect(harness.output()).toEqual(['a=1', 'b=1', 'a=2']);
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBe(3n);
  });

  it('closes a fenced task without committing and asks for a rejoin, rather than closing silently', async () => {
    const harness = await start({ guarantee: 'exactly-once' });
    harness.feed(0, 'a', 'b');
    harness.process();
    harness.commits.flushOutputs();
    // Another worker, acting on a newer assignment, creates the task's producer: this one is fenced.
    await harness.log.transactionalProducer({ transactionalId: `${APP}-1_0` });
    const stores = harness.task('1_0').active.stores;

    await harness.commits.commitAll();

    expect(harness.closed).toEqual([{ id: '1_0', migrated: true }]);
    expect(harness.registry.active.has('1_0')).toBe(false);
    expect(harness.failures).toEqual([]);
    // Neither the output nor the offsets of the fenced transaction are visible, and the store kept
    // its last committed state (no checkpoint was written past it).
    expect(harness.output()).toEqual([]);
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBeUndefined();
    expect(stores.get('word-counts')!.checkpoint).toBeUndefined();
  });

  it('starts a task whose transaction broke off again from its last commit, without duplicates', async () => {
    const harness = await start({ guarantee: 'exactly-once' });
    harness.feed(0, 'a');
    harness.process();
    await harness.commits.commitAll();
    harness.feed(0, 'a', 'b');
    harness.process();
    harness.log.script('commit-transaction', {
      fail: new TributaryError('TRIB_TRANSACTION', 'coordinator moved', { kind: 'abortable' }),
    });

    await harness.commits.commitAll();
    expect(harness.closed).toEqual([{ id: '1_0', migrated: false }]);
    expect(harness.registry.active.has('1_0')).toBe(false);

    // As the runtime does on `taskClosed` without migration: the task is created again here.
    harness.reconciler.restart('1_0');
    await harness.reconciler.settled();
    harness.consumer.deliver(harness.inputOf(0));
    expect(harness.process()).toBe(2);
    await harness.commits.commitAll();

    expect(harness.output()).toEqual(['a=1', 'a=2', 'b=1']);
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBe(3n);
    expect(harness.failures).toEqual([]);
  });
  it('fails the application once a task has kept failing for longer than the task timeout on the clock', async () => {
    const harness = await start({ guarantee: 'exactly-once' });
    const brokenOff = () =>
      new TributaryError('TRIB_TRANSACTION', 'coordinator moved', { kind: 'abortable' });
    const failOnce = async () => {
      harness.feed(0, 'a');
      harness.process();
      harness.log.script('commit-transaction', { fail: brokenOff() });
      return harness.commits.commitAll();
    };

    await failOnce();
    harness.reconciler.restart('1_0');
    await harness.reconciler.settled();
    harness.clock.advance(2_000); // the harness's task timeout: still within it
    await failOnce();
    expect(harness.closed).toEqual([
      { id: '1_0', migrated: false },
      { id: '1_0', migrated: false },
    ]);
    harness.reconciler.restart('1_0');
    await harness.reconciler.settled();
    harness.clock.advance(1);

    await expect(failOnce()).rejects.toMatchObject({ code: 'TRIB_RETRIES_EXHAUSTED' });
  });
});

describe('CommitProtocol under exactly-once with one producer for the member', () => {
  it('commits every task in the one transaction with the generation the tasks were assigned in', async () => {
    const harness = await runtimeHarness({
      guarantee: 'exactly-once',
      groupFencedOffsets: true,
      partitions: 2,
    });
    harnesses.push(harness);
    await harness.assign({ active: ['1_0', '1_1'] });
    harness.feed(0, 'a');
    harness.feed(1, 'b');
    harness.process();
    harness.log.journal.length = 0;

    await harness.commits.commitAll();

    const transactional = harness.log.journal.filter((e) => e.transactionalId !== undefined);
    expect(new Set(transactional.map((e) => e.transactionalId))).toEqual(new Set([`${APP}-process-1`]));
    expect(transactional.filter((e) => e.operation === 'commit-transaction')).toHaveLength(1);
    const offsets = transactional.find((e) => e.operation === 'send-offsets')!.offsets;
    expect(offsets).toEqual(
      expect.arrayContaining([
        { ...harness.inputOf(0), offset: 1n },
        { ...harness.inputOf(1), offset: 1n },
      ]),
    );
    expect([...harness.output(0), ...harness.output(1)].sort()).toEqual(['a=1', 'b=1']);
  });

  it('closes every task and asks for a rejoin when the group refuses the generation', async () => {
    const harness = await runtimeHarness({ guarantee: 'exactly-once', groupFencedOffsets: true });
    harnesses.push(harness);
    await harness.assign({ active: ['1_0'] });
    harness.feed(0, 'a');
    harness.process();
    // The group moved on without this member knowing (it was dropped after a stall).
    harness.log.groupGenerationId++;

    await harness.commits.commitAll();

    expect(harness.closed).toEqual([{ id: '1_0', migrated: true }]);
    expect(harness.registry.active.size).toBe(0);
    expect(harness.output()).toEqual([]);
    expect(harness.failures).toEqual([]);
  });
});
