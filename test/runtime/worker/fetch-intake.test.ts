import { afterEach, describe, expect, it } from 'vitest';
import { runtimeHarness, type Harness } from './runtime-harness.ts';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('FetchIntake', () => {
  it('pauses a partition whose queue reaches the limit, and resumes it once drained below half', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once', flags: { 'max-buffered-records': '4' } });
    await harness.assign({ active: ['1_0'] });
    const input = harness.inputOf(0);
    const key = `${input.topic}\u0000${input.partition}`;

    harness.feed(0, 'a', 'b', 'c');
    expect(harness.consumer.paused.has(key)).toBe(false);
    harness.feed(0, 'd');
    expect(harness.consumer.paused.has(key)).toBe(true);

    const task = harness.task('1_0').active;
    expect(task.process(2, harness.clock.now())).toBe(2);
    harness.intake.resumeDrained(task);
    expect(harness.consumer.paused.has(key)).toBe(true);
    expect(task.process(1, harness.clock.now())).toBe(1);
    harness.intake.resumeDrained(task);
    expect(harness.consumer.paused.has(key)).toBe(false);
  });

  it('drops a batch of a partition no task owns: its new owner reads it from the committed offset', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once', partitions: 2 });
    await harness.assign({ active: ['1_0'] });

    harness.feed(1, 'a', 'b');
    harness.feed(0, 'c');

    expect(harness.process()).toBe(1);
    await harness.commits.commitAll();
    expect(harness.output(0)).toEqual(['c=1']);
    expect(harness.output(1)).toEqual([]);
  });

  it('queues the records of a task in fetch order, across batches', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once' });
    await harness.assign({ active: ['1_0'] });

    harness.feed(0, 'a');
    harness.feed(0, 'a', 'b');
    harness.feed(0, 'a');

    expect(harness.process()).toBe(4);
    await harness.commits.commitAll();
    expect(harness.output()).toEqual(['a=1', 'a=2', 'b=1', 'a=3']);
  });
});
