import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { APP, runtimeHarness, type Harness } from './runtime-harness.ts';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('TaskRegistry', () => {
  it('routes each input partition to the task that reads it, and forgets it when the task closes', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once', partitions: 2 });
    await harness.assign({ active: ['1_0', '1_1'] });
    const { registry } = harness;

    expect(registry.ownerOf(harness.inputOf(0))).toBe(harness.task('1_0'));
    expect(registry.ownerOf(harness.inputOf(1))).toBe(harness.task('1_1'));

    await registry.closeActive('1_1', harness.task('1_1'), { commitStores: false });
    expect(registry.ownerOf(harness.inputOf(1))).toBeUndefined();
    expect(registry.ownerOf(harness.inputOf(0))).toBe(harness.task('1_0'));
  });

  it('aborts the open transaction of a task closed without committing, and keeps its stores at the last commit', async () => {
    harness = await runtimeHarness({ guarantee: 'exactly-once' });
    await harness.assign({ active: ['1_0'] });
    harness.feed(0, 'a');
    harness.process();
    await harness.commits.commitAll();
    harness.feed(0, 'a');
    harness.process();
    harness.commits.flushOutputs();
    const task = harness.task('1_0');
    await eventually(async () => expect(task.transactionOpen).toBe(true), {
      timeoutMs: 5_000,
      intervalMs: 10,
    });
    const store = task.active.stores.get('word-counts')!;
    expect(store.checkpoint).toBe(1n);

    await harness.registry.closeActive('1_0', task, { commitStores: false });

    const transactional = harness.log.journal.filter((e) => e.transactionalId === `${APP}-1_0`);
    expect(transactional.at(-1)!.operation).toBe('abort');
    expect(store.checkpoint).toBe(1n);
    expect(harness.output()).toEqual(['a=1']);
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBe(1n);
  });
});
