import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { kafkaBrokers } from '../support/kafka-kit.ts';
import {
  countProblems,
  expectedCounts,
  reachedOrPassed,
  wordCountApp,
  wordCountTopics,
  wordRecords,
} from '../support/word-count.ts';
import { activeCount, type WorkerProcess } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const string = Serdes.String();
const WORDS = 12;
const TOTAL = 4000;
const SESSION_TIMEOUT_MS = 6000;

describe.skipIf(!kafkaBrokers())('two workers of an application stopped one shortly after the other', () => {
  const suite = useWorkerProcesses('tributary-stops');

  /**
   * Two at-least-once workers share a word count while records flow. `stop` stops both; then one of
   * them starts again on its own state directory and counts the rest. No commit falls due while the
   * test runs (a 10-minute interval): only the commits of the stops and rebalances save the positions.
   */
  async function stopBothThenRestart(stop: (a: WorkerProcess, b: WorkerProcess) => Promise<void>) {
    const { words, counts, env } = await wordCountTopics(suite.kit, 4, 'stops');
    // Debug logs: the test sees the Kafka client start rejoining the group.
    const flags = { 'commit-interval-ms': '600000', 'log-level': 'debug' };
    const stateA = suite.stateDir();
    const a = suite.start({ name: 'A', topologies: [wordCountApp], env, flags, stateDir: stateA });
    await a.waitForAssignment(activeCount(8));
    const b = suite.start({ name: 'B', topologies: [wordCountApp], env, flags });
    await b.waitForAssignment(activeCount(4));
    const producing = suite.kit.produceOverTime(words, string, string, wordRecords(0, TOTAL, WORDS), {
      chunk: 40,
      pauseMs: 10,
    });
    await suite.kit.readUntil(counts, (r) => r.length >= 1000);
    await stop(a, b);
    expect(a.lines('application stopped'), a.tail()).toHaveLength(1);
    expect(b.lines('application stopped'), b.tail()).toHaveLength(1);

    const again = suite.start({ name: 'A again', topologies: [wordCountApp], env, flags, stateDir: stateA });
    await again.waitForAssignment(activeCount(8));
    await producing;
    const expected = expectedCounts(TOTAL, WORDS);
    const output = await suite.kit.readUntil(counts, (r) => reachedOrPassed(r, expected));
    // Clean stops commit everything: no word is counted twice (each count from 1 to n appears once).
    expect(countProblems(output, expected), `${a.tail()}\n${b.tail()}`).toEqual([]);
    expect(output).toHaveLength(TOTAL);
    expect(await again.stop()).toBe(0);
  }

  it('counts nothing twice when the second stops as it rejoins the group the first one left', async () => {
    await stopBothThenRestart(async (a, b) => {
      const from = b.logs.length;
      const stoppingA = a.stop();
      // The moment B learns that A left: B's final commit meets the rebalance A started.
      await b.waitForLog((l) => /rebalancing, re-joining/.test(l.msg), { after: from });
      const stoppingB = b.stop();
      expect(await stoppingA, a.tail(60)).toBe(0);
      expect(await stoppingB, b.tail(60)).toBe(0);
    });
  });

  it('counts nothing twice when the second was stalled past its session timeout when asked to stop', async () => {
    await stopBothThenRestart(async (a, b) => {
      // B stalls (a long pause of its machine); A stops meanwhile, and the group drops B as well.
      b.freeze();
      expect(await a.stop(), a.tail(60)).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS + 1000));
      // B runs on and is asked to stop at once: nothing has committed what it processed since its last commit.
      const stoppingB = b.stop();
      b.thaw();
      expect(await stoppingB, b.tail(60)).toBe(0);
    });
  });
});
