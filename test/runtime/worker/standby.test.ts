import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { runtimeHarness, type Harness } from './runtime-harness.ts';

const harnesses: Harness[] = [];

afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
});

const quickly = { timeoutMs: 5_000, intervalMs: 10 };

describe('Standby replicas', () => {
  it('follow the changelog, save their position at every commit, and a takeover restores only the rest', async () => {
    const active = await runtimeHarness({ guarantee: 'at-least-once' });
    harnesses.push(active);
    const standby = await runtimeHarness({ guarantee: 'at-least-once', log: active.log });
    harnesses.push(standby);
    await active.assign({ active: ['1_0'] });
    await standby.assign({ active: [], standby: ['1_0'] });
    const changelog = { topic: active.changelog, partition: 0 };

    active.feed(0, 'a', 'b');
    active.process();
    await active.commits.commitAll();
    await eventually(async () => expect(standby.restorer.position(changelog)).toBe(2n), quickly);
    await standby.commits.commitAll();
    const replica = standby.registry.standbys.get('1_0')!.stores.get('word-counts')!;
    expect(replica.checkpoint).toBe(2n);

    active.feed(0, 'a');
    active.process();
    await active.commits.commitAll();
    await eventually(async () => expect(standby.restorer.position(changelog)).toBe(3n), quickly);

    // The active worker is gone; the standby's worker takes the task over.
    standby.log.journal.length = 0;
    await standby.assign({ active: ['1_0'] });

    expect(standby.registry.standbys.size).toBe(0);
    // Closing the standby saved its position: nothing is left to restore.
    expect(standby.log.operations('fetch')).toEqual([]);
    expect(standby.consumer.position(standby.inputOf(0))).toBe(3n);
    standby.feed(0, 'b');
    standby.process();
    await standby.commits.commitAll();
    expect(standby.output()).toEqual(['a=1', 'b=1', 'a=2', 'b=2']);
  });
});
