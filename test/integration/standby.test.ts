import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { countProblems, expectedCounts, reached, wordCountApp, wordRecords } from '../support/word-count.ts';
import { WorkerProcesses, type LogLine } from '../support/worker-process.ts';

const brokers = kafkaBrokers();
const string = Serdes.String();
const WORDS = 200;
const activeCount = (n: number) => (l: LogLine) => (l.active as string[]).length === n;

describe.skipIf(!brokers)('standby replicas', () => {
  let kit: KafkaKit;
  const workers = new WorkerProcesses();
  const dirs: string[] = [];
  const stateDir = () => {
    const dir = join(tmpdir(), uniqueName('tributary-standby'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(() => {
    kit = new KafkaKit(brokers);
  });
  afterEach(() => workers.killAll());
  afterAll(async () => {
    await kit.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('let a worker take over a crashed one restoring only what its standby had not applied yet', async () => {
    const [words, counts, app] = [uniqueName('words'), uniqueName('counts'), uniqueName('standby')];
    await kit.createTopics({ [words]: 4, [counts]: 4 });
    const options = {
      topologies: [wordCountApp],
      brokers,
      env: { WORDS_TOPIC: words, COUNTS_TOPIC: counts, WORD_COUNT_APP_ID: app },
      // Exactly-once, so that the crash leaves nothing half-done to count twice and the counts can be exact.
      flags: { 'standby-replicas': '1', guarantee: 'exactly-once' },
    };
    const a = workers.start({ ...options, name: 'A', stateDir: stateDir() });
    await a.waitForAssignment(activeCount(8));
    const b = workers.start({ ...options, name: 'B', stateDir: stateDir() });
    await b.waitForAssignment(activeCount(4));
    await a.waitForAssignment(activeCount(4), { after: a.lines('tasks assigned').length });
    // Each worker keeps a standby of the other's tasks that have a changelogged store (the counting
    // sub-topology 1): the repartitioning tasks 0_x have no state to keep warm.
    const withStores = (tasks: string[]) => tasks.filter((t) => t.startsWith('1_'));
    expect(b.standbyTasks()).toEqual(withStores(a.activeTasks()));
    expect(a.standbyTasks()).toEqual(withStores(b.activeTasks()));
    const movingStores = withStores(a.activeTasks());
    expect(movingStores).toHaveLength(2);

    await kit.produce(words, string, string, wordRecords(0, 3000, WORDS));
    await kit.readUntil(counts, (r) => reached(r, expectedCounts(3000, WORDS)), { readCommitted: true });
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

    await kit.produce(words, string, string, wordRecords(3000, 1000, WORDS));
    const expected = expectedCounts(4000, WORDS);
    const output = await kit.readUntil(counts, (r) => reached(r, expected), { readCommitted: true });
    expect(countProblems(output, expected)).toEqual([]);
    expect(await b.stop()).toBe(0);
  });
});
