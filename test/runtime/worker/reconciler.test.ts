import { afterEach, describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { RELEASE_MARKER } from '../../../src/runtime/worker/handoff.ts';
import { eventually } from '../../support/eventually.ts';
import { APP, runtimeHarness, type Harness, type HarnessOptions } from './runtime-harness.ts';

const harnesses: Harness[] = [];

afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
});

async function harness(options: HarnessOptions): Promise<Harness> {
  const created = await runtimeHarness(options);
  harnesses.push(created);
  return created;
}

/** Lets the event loop turn for a while (the hand-over wait polls every 50 ms). */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Reconciler: a task handed between live workers (at-least-once)', () => {
  it('the new owner waits for the release, then restores and starts where the old owner stopped', async () => {
    const old = await harness({ guarantee: 'at-least-once' });
    const next = await harness({ guarantee: 'at-least-once', log: old.log });
    await old.assign({ active: ['1_0'] });
    old.feed(0, 'a', 'a');
    old.process();

    // The group gives the task to the other worker; that one waits for the old owner's release.
    const taken = next.assign({ active: ['1_0'], handoffs: ['1_0'], rebalance: 'move' });
    await pause(150);
    expect(next.registry.active.size).toBe(0);

    // The old owner commits what it processed, closes the task and releases it.
    await old.assign({ active: [], releases: ['1_0'], rebalance: 'move' });
    expect(old.registry.active.size).toBe(0);
    expect(old.log.committed.get(APP)?.get(`${old.repartition}\u00000`)).toEqual({
      offset: 2n,
      metadata: `${RELEASE_MARKER}move`,
    });
    await taken;

    expect(next.consumer.position(next.inputOf(0))).toBe(2n);
    next.feed(0, 'a');
    expect(next.process()).toBe(1);
    await next.commits.commitAll();
    // The count goes on from the old owner's: restored from the changelog, nothing reprocessed.
    expect(next.output()).toEqual(['a=1', 'a=2', 'a=3']);
    expect(next.failures).toEqual([]);
  });

  it('the new owner starts from the last commit once the hand-over timeout has passed on its clock', async () => {
    const old = await harness({ guarantee: 'at-least-once' });
    const next = await harness({ guarantee: 'at-least-once', log: old.log });
    await old.assign({ active: ['1_0'] });
    old.feed(0, 'a');
    old.process();
    await old.commits.commitAll();

    // The old owner never releases the task (it crashed).
    const taken = next.assign({ active: ['1_0'], handoffs: ['1_0'], rebalance: 'move' });
    await pause(150);
    expect(next.registry.active.size).toBe(0);
    next.clock.advance(10_001);
    await taken;

    expect(next.registry.active.has('1_0')).toBe(true);
    expect(next.consumer.position(next.inputOf(0))).toBe(1n);
  });
});

describe('Reconciler: assignments', () => {
  it('creates nothing for a superseded assignment: no producer that would fence the real owner', async () => {
    const worker = await harness({ guarantee: 'exactly-once' });

    await worker.assign({ active: ['1_0'] }, () => true);

    expect(worker.registry.active.size).toBe(0);
    expect(worker.log.transactionalIds).toEqual([]);
  });

  it('keeps a task that stays across a rebalance at its own fetch position', async () => {
    const worker = await harness({ guarantee: 'at-least-once', partitions: 2 });
    await worker.assign({ active: ['1_0'] });
    worker.feed(0, 'a', 'b', 'c');
    const kept = worker.task('1_0');
    worker.log.journal.length = 0;

    await worker.assign({ active: ['1_0', '1_1'] });

    expect(worker.task('1_0')).toBe(kept);
    // The commit before the rebalance committed nothing processed yet; the task goes on reading
    // after what it fetched, not from the committed offset the client rewound to.
    const seeks = worker.log.journal.filter((e) => e.operation === 'seek').flatMap((e) => e.offsets ?? []);
    expect(seeks).toContainEqual({ ...worker.inputOf(0), offset: 3n });
    expect(seeks).toContainEqual(expect.objectContaining({ ...worker.inputOf(1), offset: 0n }));
    expect(worker.process()).toBe(3);
  });

  it('persists the stores of a task it lets go, so that the next owner restores nothing', async () => {
    const old = await harness({ guarantee: 'at-least-once' });
    await old.assign({ active: ['1_0'] });
    old.feed(0, 'a', 'b');
    old.process();
    await old.assign({ active: [] });
    await old.close({ keepState: true });
    harnesses.splice(harnesses.indexOf(old), 1);

    const again = await harness({ guarantee: 'at-least-once', log: old.log, stateDir: old.stateDir });
    await again.assign({ active: ['1_0'] });
    expect(again.log.operations('fetch')).toEqual([]);
    again.feed(0, 'b');
    again.process();
    await again.commits.commitAll();
    expect(again.output()).toEqual(['a=1', 'b=1', 'b=2']);
  });
});

describe('Restore', () => {
  const long = Serdes.Long();
  const string = Serdes.String();

  it('restores a store from its checkpoint to the changelog end, not from the beginning', async () => {
    const first = await harness({ guarantee: 'at-least-once' });
    await first.assign({ active: ['1_0'] });
    first.feed(0, 'a', 'b');
    first.process();
    await first.commits.commitAll();
    await first.close({ keepState: true });
    harnesses.splice(harnesses.indexOf(first), 1);
    // Meanwhile another owner counted on and wrote to the changelog past this store's checkpoint.
    first.log.append(first.changelog, 0, [{ key: string.serialize('b'), value: long.serialize(5) }]);

    const again = await harness({ guarantee: 'at-least-once', log: first.log, stateDir: first.stateDir });
    await again.assign({ active: ['1_0'] });

    const fetches = again.log.journal.filter((e) => e.operation === 'fetch').flatMap((e) => e.offsets ?? []);
    expect(fetches).toEqual([{ topic: again.changelog, partition: 0, offset: 2n }]);
    expect(again.task('1_0').active.stores.get('word-counts')!.checkpoint).toBe(3n);
    again.feed(0, 'a', 'b');
    again.process();
    await again.commits.commitAll();
    expect(again.output().slice(2)).toEqual(['a=2', 'b=6']);
  });

  it('under exactly-once a new owner fences the old one and restores what committed transactions wrote, never an aborted one', async () => {
    const first = await harness({ guarantee: 'exactly-once' });
    await first.assign({ active: ['1_0'] });
    first.feed(0, 'a');
    first.process();
    await first.commits.commitAll();
    first.feed(0, 'a', 'a');
    first.process();
    first.commits.flushOutputs();
    await eventually(
      async () => expect(first.log.operations('transactional-send').length).toBeGreaterThan(1),
      {
        timeoutMs: 5_000,
        intervalMs: 10,
      },
    );

    // A second worker with no local state takes the task over: its producer fences the first, whose
    // open transaction (a=2, a=3 in output and changelog) is aborted.
    const next = await harness({ guarantee: 'exactly-once', log: first.log });
    await next.assign({ active: ['1_0'] });
    next.consumer.deliver(next.inputOf(0));
    expect(next.process()).toBe(2);
    await next.commits.commitAll();

    expect(next.output()).toEqual(['a=1', 'a=2', 'a=3']);
    // The old owner learns at its next commit that the task has moved: it closes it and rejoins.
    await first.commits.commitAll();
    expect(first.closed).toEqual([{ id: '1_0', migrated: true }]);
    expect(first.registry.active.size).toBe(0);
    expect(next.output()).toEqual(['a=1', 'a=2', 'a=3']);
  });

  it('starts a task only once its restore is done, however slowly the changelog is fetched', async () => {
    const first = await harness({ guarantee: 'at-least-once' });
    await first.assign({ active: ['1_0'] });
    first.feed(0, 'a');
    first.process();
    await first.commits.commitAll();

    const next = await harness({ guarantee: 'at-least-once', log: first.log });
    const fetch = next.log.hold('fetch');
    const assigned = next.assign({ active: ['1_0'] });
    await fetch.reached;
    await pause(50);
    expect(next.registry.active.size).toBe(0);
    fetch.release();
    await assigned;

    expect(next.registry.active.has('1_0')).toBe(true);
    next.feed(0, 'a');
    next.process();
    await next.commits.commitAll();
    expect(next.output()).toEqual(['a=1', 'a=2']);
  });
});
