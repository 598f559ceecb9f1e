/**
 * The console's sampler: differences of an application's counters per interval, as rates; per input
 * partition and per restoring changelog partition; counters that restart (a task moved) count as no
 * activity; five minutes kept.
 */
import { describe, expect, it } from 'vitest';
import { ConsoleSampler, SAMPLE_INTERVAL_MS, SAMPLES_KEPT } from '../../src/console/sampler.ts';
import type { AppRunner } from '../../src/runtime/worker/app-runner.ts';

/** The parts of an AppRunner the sampler reads, with counters the test moves. */
function fakeRunner() {
  const state = {
    processed: 0,
    commits: 0,
    commitSeconds: 0,
    latencyCount: 0,
    latencySeconds: 0,
    dropped: 0,
    offset: 0n,
    restored: 0,
    lag: 0,
  };
  const runner = {
    applicationId: 'app',
    get metrics() {
      return {
        processed: state.processed,
        commits: state.commits,
        commitSeconds: { sum: state.commitSeconds },
        recordLatencySeconds: { count: state.latencyCount, sum: state.latencySeconds },
      };
    },
    activeTasks: new Map([
      ['0_1', { positions: () => [{ topic: 'in', partition: 1, offset: String(state.offset) }] }],
    ]),
    restoreProgress: () => [
      { topic: 'app-store-changelog', partition: 1, restored: state.restored, remaining: 10n },
    ],
    droppedRecords: () => new Map([['error-handler', state.dropped]]),
    consumerLag: () => [{ topic: 'in', partition: 1, lag: state.lag }],
  };
  return { state, runner: runner as unknown as AppRunner };
}

describe('ConsoleSampler', () => {
  it('turns counter differences into rates per interval, per partition and per restore', () => {
    const { state, runner } = fakeRunner();
    let now = 10 * SAMPLE_INTERVAL_MS;
    const sampler = new ConsoleSampler([runner], () => now);
    sampler.sample();
    expect(sampler.samples('app')).toEqual([]);

    now += SAMPLE_INTERVAL_MS;
    Object.assign(state, {
      processed: 100,
      commits: 4,
      commitSeconds: 0.2,
      latencyCount: 100,
      latencySeconds: 5,
      dropped: 6,
      offset: 80n,
      restored: 500,
      lag: 7,
    });
    sampler.sample();
    expect(sampler.samples('app')).toEqual([
      {
        time: 11 * SAMPLE_INTERVAL_MS,
        recordsPerSecond: 50,
        commitsPerSecond: 2,
        commitMs: 50,
        latencyMs: 50,
        lag: 7,
        droppedPerSecond: 3,
      },
    ]);
    expect(sampler.partitionRate('app', '0_1', 'in', 1)).toBe(40);
    expect(sampler.restoreRate('app', 'app-store-changelog', 1)).toBe(250);
    expect(sampler.partitionRate('app', '0_2', 'in', 2)).toBe(0);
  });

  it('counts counters that went back (a task moved and started again) as no activity', () => {
    const { state, runner } = fakeRunner();
    let now = 0;
    const sampler = new ConsoleSampler([runner], () => now);
    state.processed = 50;
    state.offset = 500n;
    sampler.sample();
    now += SAMPLE_INTERVAL_MS;
    state.processed = 10;
    state.offset = 20n;
    sampler.sample();
    expect(sampler.samples('app')[0]).toMatchObject({ recordsPerSecond: 0, commitMs: null, latencyMs: null });
    expect(sampler.partitionRate('app', '0_1', 'in', 1)).toBe(0);
  });

  it('keeps the last five minutes', () => {
    const { runner } = fakeRunner();
    let now = 0;
    const sampler = new ConsoleSampler([runner], () => now);
    for (let i = 0; i <= SAMPLES_KEPT + 10; i++) {
      sampler.sample();
      now += SAMPLE_INTERVAL_MS;
    }
    const samples = sampler.samples('app');
    expect(samples).toHaveLength(SAMPLES_KEPT);
    expect(samples.at(-1)!.time - samples[0]!.time).toBe((SAMPLES_KEPT - 1) * SAMPLE_INTERVAL_MS);
    expect(SAMPLES_KEPT * SAMPLE_INTERVAL_MS).toBe(5 * 60_000);
  });
});
