import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { javaReadCommitted } from '../support/java-clients.ts';
import { kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { countProblems, expectedCounts, reached, wordCountApp, wordRecords } from '../support/word-count.ts';
import { eventually } from '../support/eventually.ts';
import type { WorkerProcess } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const string = Serdes.String();
const WORDS = 20;
const PARTITIONS = 4;
const TASKS = 2 * PARTITIONS;
/** The rebalance timeout Tributary's kafkajs consumers join with (src/kafka/kafkajs/group-consumer.ts). */
const REBALANCE_TIMEOUT_MS = 60_000;

describe.skipIf(!kafkaBrokers())('workers started at the same moment', () => {
  const suite = useWorkerProcesses('tributary-simultaneous');

  it('three exactly-once workers started at once on existing state leave no task without an owner and count every word once', async () => {
    const { kit } = suite;
    const [words, counts, applicationId] = [uniqueName('words'), uniqueName('counts'), uniqueName('eos')];
    await kit.createTopics({ [words]: PARTITIONS, [counts]: PARTITIONS });
    const env = { WORDS_TOPIC: words, COUNTS_TOPIC: counts, WORD_COUNT_APP_ID: applicationId };
    const stateDirs = [suite.stateDir(), suite.stateDir(), suite.stateDir()];
    const start = (i: number): WorkerProcess =>
      suite.start({
        name: `worker-${i + 1}`,
        topologies: [wordCountApp],
        stateDir: stateDirs[i],
        env,
        flags: { guarantee: 'exactly-once' },
      });

    // 1. Three workers build state (stores, checkpoints, committed transactions) and stop cleanly.
    const first = [0, 1, 2].map(start);
    // Three members joining at once may take one rebalance timeout (60 s) to settle when one of them
    // misses a round on a loaded machine: wait longer than that for the first assignment.
    await Promise.all(
      first.map((w) =>
        w.waitForAssignment((l) => (l.active as string[]).length > 0, {
          timeoutMs: REBALANCE_TIMEOUT_MS * 2,
        }),
      ),
    );
    await kit.produce(words, string, string, wordRecords(0, 1_000, WORDS));
    await kit.readUntil(counts, (r) => reached(r, expectedCounts(1_000, WORDS)), { readCommitted: true });
    for (const code of await Promise.all(first.map((w) => w.stop()))) expect(code).toBe(0);

    // 2. All three start again at the same moment on that state while words keep coming: each joins a
    // group whose generations move on under it, the case where a worker acting on an outdated
    // assignment used to fence a task's real owner and leave the task without one.
    const again = [0, 1, 2].map(start);
    await kit.produceOverTime(words, string, string, wordRecords(1_000, 1_000, WORDS), {
      chunk: 20,
      pauseMs: 30,
    });
    const expected = expectedCounts(2_000, WORDS);
    const output = await kit.readUntil(counts, (r) => reached(r, expected), {
      readCommitted: true,
      timeoutMs: 150_000,
    });
    // Every word counted 1, 2, ... n exactly once across both runs: no task stalled, none ran twice.
    expect(countProblems(output, expected)).toEqual([]);
    // Kafka's own read_committed consumer agrees: one committed count per word record.
    const javaCounts = new Map<string, number>();
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const { records } = await javaReadCommitted(kafkaBrokers()!, counts, partition, 0n);
      for (const r of records) javaCounts.set(r.key, (javaCounts.get(r.key) ?? 0) + 1);
    }
    expect(javaCounts).toEqual(expected);

    // The group settles with each of the eight tasks active on exactly one worker.
    await eventually(async () => {
      const owners = again.flatMap((w) => w.activeTasks());
      expect(owners).toHaveLength(TASKS);
      expect(new Set(owners).size).toBe(TASKS);
    });
    for (const worker of again) {
      expect(worker.running, worker.tail()).toBe(true);
      expect(worker.logs.filter((l) => l.level >= 50)).toEqual([]);
      // A task taken over by another worker makes its old owner rejoin, never just close it.
      const migrated = worker.logs.filter((l) => /task migrated/.test(l.msg)).length;
      if (migrated > 0)
        expect(worker.lines('rejoining the group for a fresh assignment').length).toBeGreaterThan(0);
    }
    for (const code of await Promise.all(again.map((w) => w.stop()))) expect(code).toBe(0);
  }, 420_000);
});
