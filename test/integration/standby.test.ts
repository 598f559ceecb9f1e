import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { kafkaBrokers } from '../support/kafka-kit.ts';
import {
  countProblems,
  expectedCounts,
  reached,
  wordCountApp,
  wordCountTopics,
  wordRecords,
} from '../support/word-count.ts';
import { activeCount } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const string = Serdes.String();
const WORDS = 200;

describe.skipIf(!kafkaBrokers())('standby replicas', () => {
  const suite = useWorkerProcesses('tributary-standby');

  it('let a worker take over a crashed one restoring only what its standby had not applied yet', async () => {
    const { words, counts, env } = await wordCountTopics(suite.kit, 4, 'standby');
    const options = {
      topologies: [wordCountApp],
      env,
      // Exactly-once, so that the crash leaves nothing half-done to count twice and the counts can be exact.
      flags: { 'standby-replicas': '1', guarantee: 'exactly-once' },
    };
    const a = suite.start({ ...options, name: 'A' });
    await a.waitForAssignment(activeCount(8));
    const b = suite.start({ ...options, name: 'B' });
    await b.waitForAssignment(activeCount(4));
    await a.waitForAssignment(activeCount(4), { after: a.lines('tasks assigned').length });
    // Each worker keeps a standby of the other's tasks that have a changelogged store (the counting
    // sub-topology 1): the repartitioning tasks 0_x have no state to keep warm.
    const withStores = (tasks: string[]) => tasks.filter((t) => t.startsWith('1_'));
    expect(b.standbyTasks()).toEqual(withStores(a.activeTasks()));
    expect(a.standbyTasks()).toEqual(withStores(b.activeTasks()));
    const movingStores = withStores(a.activeTasks());
    expect(movingStores).toHaveLength(2);

    await suite.kit.produce(words, string, string, wordRecords(0, 3000, WORDS));
    await suite.kit.readUntil(counts, (r) => reached(r, expectedCounts(3000, WORDS)), {
      readCommitted: true,
    });
    // Standbys save how far they got at every commit interval (200 ms here).
    await new Promise((resolve) => setTimeout(resolve, 600));

    const bLines = b.logs.length;
    expect(await a.kill()).toBe('SIGKILL');
    // After the session timeout (6 s in these tests) the group drops A and B runs everything.
    await b.waitForAssignment(activeCount(8), { after: bLines, timeoutMs: 30_000 });
    const takeover = b.logs.slice(bLines);
    for (const task of movingStores) {
      const restore = takeover.find((l) => l.msg === 'restoring store' && l.task === task);
      const upToDate = takeover.find((l) => l.msg === 'store up to date' && l.task === task);
      // The standby had followed the changelog: nothing, or only a short tail, was left to read.
      expect(restore ?? upToDate, `task ${task}`).toBeDefined();
      if (restore) {
        expect(Number(restore.from), JSON.stringify(restore)).toBeGreaterThan(0);
        expect(Number(restore.to) - Number(restore.from), JSON.stringify(restore)).toBeLessThan(10);
      } else {
        expect(Number(upToDate!.at)).toBeGreaterThan(0);
      }
    }

    await suite.kit.produce(words, string, string, wordRecords(3000, 1000, WORDS));
    const expected = expectedCounts(4000, WORDS);
    const output = await suite.kit.readUntil(counts, (r) => reached(r, expected), { readCommitted: true });
    expect(countProblems(output, expected)).toEqual([]);
    expect(await b.stop()).toBe(0);
  });
});
