import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { eventually } from '../support/eventually.ts';
import { kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import {
  countProblems,
  expectedCounts,
  reached,
  wordCountApp,
  wordCountTopics,
  wordRecords,
} from '../support/word-count.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const string = Serdes.String();
const WORDS = 10;

describe.skipIf(!kafkaBrokers())('a worker process from start to stop', () => {
  const suite = useWorkerProcesses('tributary-lifecycle');

  it('stops on SIGTERM with exit code 0 having committed everything: a restart reprocesses nothing', async () => {
    const { words, counts, env } = await wordCountTopics(suite.kit, 2, 'stop');
    const options = {
      topologies: [wordCountApp],
      stateDir: suite.stateDir(),
      env,
      // No commit falls due while the test runs: only the one on stopping can save the offsets.
      flags: { 'commit-interval-ms': '600000' },
    };
    const first = suite.start({ ...options, name: 'first' });
    await first.waitForAssignment();
    await suite.kit.produce(words, string, string, wordRecords(0, 500, WORDS));
    await suite.kit.readUntil(counts, (r) => reached(r, expectedCounts(500, WORDS)));
    expect(await first.stop()).toBe(0);
    expect(first.lines('application stopped').at(-1)).toMatchObject({ processed: 1000 });

    const second = suite.start({ ...options, name: 'second' });
    await second.waitForAssignment();
    // The stores were closed with the changelog's end: nothing to restore.
    expect(second.lines('restoring store')).toEqual([]);
    expect(second.lines('store up to date').length).toBeGreaterThan(0);
    await suite.kit.produce(words, string, string, wordRecords(500, 500, WORDS));
    const expected = expectedCounts(1000, WORDS);
    const output = await suite.kit.readUntil(counts, (r) => reached(r, expected));
    expect(countProblems(output, expected)).toEqual([]);
    expect(output).toHaveLength(1000);
    expect(await second.stop()).toBe(0);
    // The second worker saw only the new records (500 words, then 500 repartitioned ones).
    expect(second.lines('application stopped').at(-1)).toMatchObject({ processed: 1000 });
  });

  it('runs two applications in one process, each a group of its own', async () => {
    const { words, counts, env: wordCountEnv } = await wordCountTopics(suite.kit, 2, 'both-wc');
    const [payments, totals] = [uniqueName('payments'), uniqueName('totals')];
    const [wordCountId, totalsId] = [wordCountEnv.WORD_COUNT_APP_ID!, uniqueName('both-totals')];
    await suite.kit.createTopics({ [payments]: 2, [totals]: 2 });
    const worker = suite.start({
      name: 'both',
      topologies: [wordCountApp, 'test/integration/fixtures/running-totals-app.ts'],
      env: {
        ...wordCountEnv,
        PAYMENTS_TOPIC: payments,
        TOTALS_TOPIC: totals,
        RUNNING_TOTALS_APP_ID: totalsId,
      },
    });
    await worker.waitForLog((l) => l.msg === 'worker started');
    expect(worker.lines('worker started')[0]!.applications).toEqual([wordCountId, totalsId]);
    await eventually(async () => {
      if (new Set(worker.lines('tasks assigned').map((l) => l.app)).size !== 2)
        throw new Error('not every application has its tasks yet');
    });
    await suite.kit.produce(words, string, string, wordRecords(0, 100, WORDS));
    await suite.kit.produce(
      payments,
      string,
      Serdes.Long(),
      [5, 7, 11].map((amount) => ({ key: 'account', value: amount })),
    );
    await suite.kit.readUntil(counts, (r) => reached(r, expectedCounts(100, WORDS)));
    const [last] = (await suite.kit.readUntil(totals, (r) => r.length === 3)).slice(-1);
    expect(Serdes.Json().deserialize(last!.value!)).toEqual({ count: 3, sum: 23 });
    expect(await worker.stop()).toBe(0);
    expect(
      worker
        .lines('application stopped')
        .map((l) => l.app)
        .sort(),
    ).toEqual([wordCountId, totalsId].sort());
  });

  it('refuses to start, with exit code 2, when a source topic does not exist, naming it', async () => {
    const [words, counts, app] = [uniqueName('no-such-words'), uniqueName('counts'), uniqueName('missing')];
    await suite.kit.createTopics({ [counts]: 1 });
    const worker = suite.start({
      name: 'missing-topic',
      topologies: [wordCountApp],
      env: { WORDS_TOPIC: words, COUNTS_TOPIC: counts, WORD_COUNT_APP_ID: app },
    });
    expect(await worker.exited).toBe(2);
    const failure = worker.logs.find((l) => l.level >= 50);
    expect(failure?.msg).toContain(words);
    expect(failure?.msg).toMatch(/do(es)? not exist/);
    // Nothing was created in its place.
    expect(await suite.kit.admin.listTopics()).not.toContain(words);
  });
});
