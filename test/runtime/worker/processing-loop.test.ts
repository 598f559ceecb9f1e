import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { runtimeHarness, type Harness } from './runtime-harness.ts';

let harness: Harness | undefined;
let stopLoop: (() => Promise<void>) | undefined;

afterEach(async () => {
  await stopLoop?.();
  stopLoop = undefined;
  await harness?.close();
  harness = undefined;
});

const quickly = { timeoutMs: 5_000, intervalMs: 10 };

describe('ProcessingLoop', () => {
  it('processes records as they arrive, and commits when the commit interval has passed on the clock', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once' });
    await harness.assign({ active: ['1_0'] });
    const running = harness.runLoop();
    stopLoop = running.stop;
    harness.log.journal.length = 0;

    harness.feed(0, 'a', 'b');
    await eventually(async () => expect(harness!.metrics.processed).toBe(2), quickly);
    // Output goes out after every slice, without waiting for the commit.
    await eventually(async () => expect(harness!.output()).toEqual(['a=1', 'b=1']), quickly);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(harness.log.operations('commit')).toEqual([]);

    harness.clock.advance(harness.config.commitIntervalMs);
    running.loop.wake();
    await eventually(async () => expect(harness!.log.operations('commit')).toEqual(['commit']), quickly);
    expect(harness.metrics.commits).toBe(1);
  });

  it('commits at its next turn when a commit is asked for, whatever the clock says', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once' });
    await harness.assign({ active: ['1_0'] });
    const running = harness.runLoop();
    stopLoop = running.stop;
    harness.feed(0, 'a');
    await eventually(async () => expect(harness!.metrics.processed).toBe(1), quickly);

    harness.commits.request();
    running.loop.wake();

    await eventually(
      async () => expect(harness!.log.committedOffset('wc', harness!.inputOf(0))).toBe(1n),
      quickly,
    );
  });

  it('processes nothing while an assignment is being applied', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once', partitions: 2 });
    await harness.assign({ active: ['1_0'] });
    const running = harness.runLoop();
    stopLoop = running.stop;
    // The next assignment holds in its restore of the new task's changelog.
    harness.log.append(harness.changelog, 1, [{ key: new Uint8Array([120]), value: new Uint8Array(8) }]);
    const fetch = harness.log.hold('fetch');
    const assigned = harness.assign({ active: ['1_0', '1_1'] });
    await fetch.reached;

    harness.feed(0, 'a');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(harness.metrics.processed).toBe(0);

    fetch.release();
    await assigned;
    await eventually(async () => expect(harness!.metrics.processed).toBe(1), quickly);
  });
});
