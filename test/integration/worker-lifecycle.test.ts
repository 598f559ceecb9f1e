import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { countProblems, expectedCounts, reached, wordCountApp, wordRecords } from '../support/word-count.ts';
import { WorkerProcesses } from '../support/worker-process.ts';

const brokers = kafkaBrokers();
const string = Serdes.String();
const WORDS = 10;

describe.skipIf(!brokers)('a worker process from start to stop', () => {
  let kit: KafkaKit;
  const workers = new WorkerProcesses();
  const dirs: string[] = [];
  const stateDir = () => {
    const dir = join(tmpdir(), uniqueName('tributary-lifecycle'));
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

  it('stops on SIGTERM with exit code 0 having committed everything: a restart reprocesses nothing', async () => {
    const [words, counts, app] = [uniqueName('words'), uniqueName('counts'), uniqueName('stop')];
    await kit.createTopics({ [words]: 2, [counts]: 2 });
    const options = {
      topologies: [wordCountApp],
      brokers,
      stateDir: stateDir(),
      env: { WORDS_TOPIC: words, COUNTS_TOPIC: counts, APPLICATION_ID: app },
      // No commit falls due while the test runs: only the one on stopping can save the offsets.
      flags: { 'commit-interval-ms': '600000' },
    };
    const first = workers.start({ ...options, name: 'first' });
    await first.waitForAssignment();
    await kit.produce(words, string, string, wordRecords(0, 500, WORDS));
    await kit.readUntil(counts, (r) => reached(r, expectedCounts(500, WORDS)));
    expect(await first.stop()).toBe(0);
    expect(first.lines('application stopped').at(-1)).toMatchObject({ processed: 1000 });

    const second = workers.start({ ...options, name: 'second' });
    await second.waitForAssignment();
    // The stores were closed with the changelog's end: nothing to restore.
    expect(second.lines('restoring store')).toEqual([]);
    expect(second.lines('store up to date').length).toBeGreaterThan(0);
    await kit.produce(words, string, string, wordRecords(500, 500, WORDS));
    const expected = expectedCounts(1000, WORDS);
    const output = await kit.readUntil(counts, (r) => reached(r, expected));
    expect(countProblems(output, expected)).toEqual([]);
    expect(output).toHaveLength(1000);
    expect(await second.stop()).toBe(0);
    // The second worker saw only the new records (500 words, then 500 repartitioned ones).
    expect(second.lines('application stopped').at(-1)).toMatchObject({ processed: 1000 });
  });

  it('refuses to start, with exit code 2, when a source topic does not exist, naming it', async () => {
    const [words, counts, app] = [uniqueName('no-such-words'), uniqueName('counts'), uniqueName('missing')];
    await kit.createTopics({ [counts]: 1 });
    const worker = workers.start({
      name: 'missing-topic',
      topologies: [wordCountApp],
      brokers,
      stateDir: stateDir(),
      env: { WORDS_TOPIC: words, COUNTS_TOPIC: counts, APPLICATION_ID: app },
    });
    expect(await worker.exited).toBe(2);
    const failure = worker.logs.find((l) => l.level >= 50);
    expect(failure?.msg).toContain(words);
    expect(failure?.msg).toMatch(/do(es)? not exist/);
    // Nothing was created in its place.
    expect(await kit.admin.listTopics()).not.toContain(words);
  });
});
