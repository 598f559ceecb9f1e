import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import {
  countProblems,
  expectedCounts,
  reached,
  wordCountApp,
  wordCountTopics,
  wordRecords,
} from '../support/word-count.ts';
import type { LogLine } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const string = Serdes.String();
const WORDS = 10;
const PARTITIONS = 4;

/** The last assignment each stream thread of a worker logged: its active tasks by thread name. */
function tasksByThread(lines: readonly LogLine[]): Map<string, string[]> {
  const byThread = new Map<string, string[]>();
  for (const line of lines) byThread.set(line.thread as string, [...(line.active as string[])].sort());
  return byThread;
}

/** `tributary run --threads N`: stream threads in one process, each a group member with its own tasks. */
describe.skipIf(!kafkaBrokers())('stream threads', () => {
  const suite = useWorkerProcesses('tributary-threads');

  it('splits an application between two threads of one process, counts exactly once, answers queries for either thread at one endpoint, and stops both gracefully', async () => {
    const { words, counts, env } = await wordCountTopics(suite.kit, PARTITIONS, 'threads-wc');
    const stateDir = suite.stateDir();
    const worker = await suite.startServing({
      name: 'two-threads',
      topologies: [wordCountApp],
      env,
      stateDir,
      flags: { threads: '2', guarantee: 'exactly-once' },
    });
    // Eight tasks (two sub-topologies, four partitions): four on each thread, none on both.
    let assigned = new Map<string, string[]>();
    await worker.waitForLog((l) => {
      if (l.msg !== 'tasks assigned') return false;
      assigned = tasksByThread(worker.lines('tasks assigned'));
      return [...assigned.values()].filter((tasks) => tasks.length === PARTITIONS).length === 2;
    });
    expect([...assigned.keys()].sort()).toEqual(['StreamThread-1', 'StreamThread-2']);
    const [first, second] = [...assigned.values()];
    expect(first!.filter((task) => second!.includes(task))).toEqual([]);

    await suite.kit.produce(words, string, string, wordRecords(0, 400, WORDS));
    const expected = expectedCounts(400, WORDS);
    const output = await suite.kit.readUntil(counts, (r) => reached(r, expected), { readCommitted: true });
    expect(countProblems(output, expected)).toEqual([]);

    // Interactive queries at the process's one endpoint: each word's count, whichever thread counts it.
    const ownerOf = (word: string) =>
      [...assigned].find(([, tasks]) =>
        tasks.includes(`1_${partitionForKey(string.serialize(word), PARTITIONS)}`),
      )![0];
    const owners = new Set([...expected.keys()].map(ownerOf));
    expect(owners).toEqual(new Set(['StreamThread-1', 'StreamThread-2']));
    for (const [word, count] of expected) {
      const response = await fetch(`${worker.url}/stores/word-counts/keys/${word}`);
      expect(response.status, `${word} (on ${ownerOf(word)})`).toBe(200);
      expect(((await response.json()) as { value: number }).value).toBe(count);
    }
    // A range over every partition, gathered from both threads.
    const range = (await (await fetch(`${worker.url}/stores/word-counts`)).json()) as {
      entries: { key: string; value: number }[];
    };
    expect(new Map(range.entries.map((e) => [e.key, e.value]))).toEqual(expected);
    // Health and metrics cover both threads.
    expect((await fetch(`${worker.url}/health/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    for (const thread of ['StreamThread-1', 'StreamThread-2'])
      expect(metrics).toMatch(
        new RegExp(`tributary_tasks\\{thread="${thread}",application="[^"]+",kind="active"\\} ${PARTITIONS}`),
      );
    expect(metrics.match(/^# TYPE tributary_tasks /gm)).toHaveLength(1);
    // The console's task view reports every thread's tasks.
    const cluster = (await (await fetch(`${worker.url}/console/api/status`)).json()) as {
      workers: { ok: boolean; status: { thread?: string; applications: { tasks: { id: string }[] }[] } }[];
    };
    expect(
      new Map(
        cluster.workers.map((w) => [
          w.status.thread,
          w.status.applications[0]!.tasks.map((t) => t.id).sort(),
        ]),
      ),
    ).toEqual(assigned);

    expect(await worker.stop()).toBe(0);
    // Each thread stopped its worker (final commits made, groups left), and each had its own state directory.
    expect(
      worker
        .lines('worker stopped')
        .map((l) => l.thread)
        .sort(),
    ).toEqual(['StreamThread-1', 'StreamThread-2']);
    expect(existsSync(join(stateDir, env.WORD_COUNT_APP_ID!))).toBe(true);
    expect(existsSync(join(stateDir, 'stream-thread-2', env.WORD_COUNT_APP_ID!))).toBe(true);
  });

  it('shuts the whole process down when one thread fails (Kafka Streams: SHUTDOWN_CLIENT), stopping the other gracefully', async () => {
    const [payments, totals, app] = [
      uniqueName('payments'),
      uniqueName('totals'),
      uniqueName('threads-fail'),
    ];
    await suite.kit.createTopics({ [payments]: 2, [totals]: 2 });
    const worker = suite.start({
      name: 'failing-thread',
      topologies: ['test/integration/fixtures/running-totals-app.ts'],
      env: { PAYMENTS_TOPIC: payments, TOTALS_TOPIC: totals, RUNNING_TOTALS_APP_ID: app },
      flags: { threads: '2' },
    });
    await worker.waitForLog((l) => l.msg === 'worker started');
    await worker.waitForLog(
      () =>
        new Set(
          worker
            .lines('tasks assigned')
            .filter((l) => (l.active as string[]).length > 0)
            .map((l) => l.thread),
        ).size === 2,
    );
    // A payment whose amount is not a 64-bit integer: the default deserialization handler fails the application.
    await suite.kit.produceRaw([
      {
        topic: payments,
        partition: 0,
        key: string.serialize('a'),
        value: new Uint8Array([1, 2, 3]),
        timestamp: Date.now(),
        headers: {},
      },
    ]);
    expect(await worker.exited).toBe(2);
    const failed = worker.logs.find((l) => l.msg.startsWith('stream thread failed'));
    expect(failed?.thread).toMatch(/^StreamThread-[12]$/);
    expect(failed?.msg).toContain(payments);
    // The other thread was stopped, not abandoned: its worker stopped and the process said why it exited.
    const other = failed!.thread === 'StreamThread-1' ? 'StreamThread-2' : 'StreamThread-1';
    expect(worker.lines('worker stopped').map((l) => l.thread)).toContain(other);
    expect(worker.logs.at(-1)?.msg).toMatch(/^worker failed: StreamThread-[12] failed: /);
  });
});
