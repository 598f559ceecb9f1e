import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/common/logger.ts';
import { RebalanceInProgressError } from '../../../src/kafka/port.ts';
import { commitBeforeLeaving } from '../../../src/runtime/worker/final-commit.ts';
import { APP, runtimeHarness, type Harness } from './runtime-harness.ts';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function leave(worker: Harness, timeoutMs: number): Promise<void> {
  return commitBeforeLeaving({
    commits: worker.commits,
    reconciler: worker.reconciler,
    timeoutMs,
    logger: silentLogger,
    clock: worker.clock,
  });
}

describe('The last commit before leaving the group', () => {
  it('when a rebalance refuses it, waits for the next assignment and commits again', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once' });
    await harness.assign({ active: ['1_0'] });
    harness.feed(0, 'a', 'b');
    harness.process();
    harness.log.script('commit', { fail: new RebalanceInProgressError() });

    const leaving = leave(harness, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBeUndefined();
    // The member rejoins; the assignment's reconcile commits first.
    await harness.assign({ active: ['1_0'] });
    await leaving;

    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBe(2n);
  });

  it('leaves without the commit when the group does not take the member back in time', async () => {
    harness = await runtimeHarness({ guarantee: 'at-least-once' });
    await harness.assign({ active: ['1_0'] });
    harness.feed(0, 'a');
    harness.process();
    harness.log.script('commit', { fail: new RebalanceInProgressError() });

    await leave(harness, 100);

    expect(harness.log.operations('commit')).toEqual(['commit']);
    expect(harness.log.committedOffset(APP, harness.inputOf(0))).toBeUndefined();
  });
});
