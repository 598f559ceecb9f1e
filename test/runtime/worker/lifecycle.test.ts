import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/common/logger.ts';
import { encodeJson, type AssignmentInfo } from '../../../src/runtime/assignment/group-protocol.ts';
import { AppRunner } from '../../../src/runtime/worker/app-runner.ts';
import { loadWorkerConfig } from '../../../src/runtime/worker/config.ts';
import { Lifecycle, TRANSITIONS, type AppRunnerState } from '../../../src/runtime/worker/lifecycle.ts';
import { wordCount } from '../../integration/fixtures/word-count-app.ts';
import { FakeEventLog } from '../../support/fake-event-log.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const STATES = Object.keys(TRANSITIONS) as AppRunnerState[];

/** A lifecycle brought to `state` along allowed transitions. */
function lifecycleIn(state: AppRunnerState): Lifecycle {
  const paths: Record<AppRunnerState, AppRunnerState[]> = {
    created: [],
    starting: ['starting'],
    rebalancing: ['starting', 'rebalancing'],
    running: ['starting', 'rebalancing', 'running'],
    stopping: ['stopping'],
    stopped: ['stopping', 'stopped'],
    failed: ['starting', 'failed'],
  };
  const lifecycle = new Lifecycle('app');
  for (const next of paths[state]) lifecycle.to(next);
  expect(lifecycle.state).toBe(state);
  return lifecycle;
}

describe('Lifecycle', () => {
  it('allows exactly the transitions of the table; every other one throws, naming both states', () => {
    for (const from of STATES) {
      for (const to of STATES) {
        const lifecycle = lifecycleIn(from);
        if (TRANSITIONS[from].includes(to)) {
          lifecycle.to(to);
          expect(lifecycle.state).toBe(to);
        } else {
          expect(() => lifecycle.to(to)).toThrow(
            expect.objectContaining({
              code: 'TRIB_ILLEGAL_STATE',
              message: `application "app" cannot go from ${from} to ${to}`,
            }),
          );
          expect(lifecycle.state).toBe(from);
        }
      }
    }
  });

  it('has no way out of stopped, and a way to stopped from every other state', () => {
    expect(TRANSITIONS.stopped).toEqual([]);
    const reachesStopped = (state: AppRunnerState, seen = new Set<AppRunnerState>()): boolean =>
      state === 'stopped' ||
      (!seen.has(state) &&
        TRANSITIONS[state].some((next) => reachesStopped(next, new Set([...seen, state]))));
    for (const state of STATES) expect(reachesStopped(state), state).toBe(true);
  });

  it('changes state on an event only in the states the event applies to', () => {
    const lifecycle = lifecycleIn('stopping');
    expect(lifecycle.toIf(['running'], 'rebalancing')).toBe(false);
    expect(lifecycle.state).toBe('stopping');
    const running = lifecycleIn('running');
    expect(running.toIf(['running'], 'rebalancing')).toBe(true);
    expect(running.state).toBe('rebalancing');
  });
});

describe('AppRunner lifecycle on the in-memory event log', () => {
  const cleanups: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function runner(): { runner: AppRunner; log: FakeEventLog } {
    const stateDir = mkdtempSync(join(tmpdir(), 'tributary-lifecycle-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const log = new FakeEventLog();
    log.createTopic('words', 1);
    log.createTopic('word-counts', 1);
    const runner = new AppRunner({
      applicationId: 'wc',
      topology: wordCount({ WORD_COUNT_APP_ID: 'wc' }).buildTopology(),
      port: log,
      config: loadWorkerConfig({ env: {}, flags: { 'state-dir': stateDir } }),
      logger: silentLogger,
      processId: 'process-1',
      clock: new ManualClock(),
    });
    cleanups.push(() => runner.stop());
    return { runner, log };
  }

  function assignment(log: FakeEventLog, active: string[]) {
    const info: AssignmentInfo = {
      active,
      standby: [],
      rebalance: 'r1',
      handoffs: [],
      releases: [],
      endpoints: {},
    };
    return log.consumer.assign({
      generationId: 1,
      memberId: 'member-1',
      // Every source topic has one partition: both tasks' inputs.
      partitions: log.consumer.options.topics.map((topic) => ({ topic, partition: 0 })),
      userData: encodeJson(info),
      members: [],
      superseded: () => false,
    });
  }

  it('goes created, starting, rebalancing, running, rebalancing again, stopping, stopped', async () => {
    const { runner: app, log } = runner();
    expect(app.state).toBe('created');
    const starting = app.start();
    expect(app.state).toBe('starting');
    await starting;
    expect(app.state).toBe('rebalancing');
    await assignment(log, ['0_0', '1_0']);
    expect(app.state).toBe('running');
    log.consumer.revoking();
    expect(app.state).toBe('rebalancing');
    await assignment(log, ['0_0', '1_0']);
    expect(app.state).toBe('running');
    const stopping = app.stop();
    expect(app.state).toBe('stopping');
    await stopping;
    expect(app.state).toBe('stopped');
    expect(log.consumer.stopped).toBe(true);
    await expect(app.start()).rejects.toMatchObject({ code: 'TRIB_ILLEGAL_STATE' });
  });

  it('fails for good when its consumer crashes, and can then be stopped', async () => {
    const { runner: app, log } = runner();
    await app.start();
    await assignment(log, ['0_0', '1_0']);

    log.consumer.crash(new Error('the group coordinator went away'));

    expect(app.state).toBe('failed');
    await expect(app.failure$).rejects.toMatchObject({ code: 'TRIB_CONSUMER' });
    // An assignment arriving late does not bring a failed application back to running.
    await assignment(log, ['0_0', '1_0']);
    expect(app.state).toBe('failed');
    await app.stop();
    expect(app.state).toBe('stopped');
  });
});
