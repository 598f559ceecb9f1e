import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { KAFKA_CLIENTS } from '../../src/kafka/connection.ts';
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
const WORDS = 12;
// Words topic and repartition topic with 4 partitions each: sub-topology 0 reads and repartitions,
// sub-topology 1 counts (the store): 8 tasks, 0_0 ... 1_3.

describe.skipIf(!kafkaBrokers()).each(KAFKA_CLIENTS)(
  'workers in separate processes share an application, through %s',
  (client) => {
    const suite = useWorkerProcesses('tributary-scale', { client });
    const topics = () => wordCountTopics(suite.kit, 4, 'scale');

    it('splits the tasks between two workers, and one takes over all of them when the other stops', async () => {
      const { words, counts, env } = await topics();
      const a = suite.start({ name: 'A', topologies: [wordCountApp], env });
      await a.waitForAssignment(activeCount(8));
      const b = suite.start({ name: 'B', topologies: [wordCountApp], env });
      await b.waitForAssignment(activeCount(4));
      await a.waitForAssignment(activeCount(4));

      // Both got a share of each sub-topology, none twice, none missing.
      expect(a.activeTasks()).toEqual(['0_0', '0_1', '1_0', '1_1']);
      expect(b.activeTasks()).toEqual(['0_2', '0_3', '1_2', '1_3']);

      await suite.kit.produce(words, string, string, wordRecords(0, 600, WORDS));
      await suite.kit.readUntil(counts, (r) => reached(r, expectedCounts(600, WORDS)));

      // A stops cleanly: B gets A's tasks, restores their stores from the changelog, and carries on.
      const bLines = b.logs.length;
      expect(await a.stop()).toBe(0);
      await b.waitForAssignment(activeCount(8), { after: bLines });
      const restores = b.lines('restoring store');
      expect(restores.map((l) => l.task).sort()).toEqual(['1_0', '1_1']);
      for (const restore of restores) {
        expect(restore).toMatchObject({ store: 'word-counts', from: '0' });
        expect(Number(restore.to)).toBeGreaterThan(0);
      }

      await suite.kit.produce(words, string, string, wordRecords(600, 600, WORDS));
      const expected = expectedCounts(1200, WORDS);
      const output = await suite.kit.readUntil(counts, (r) => reached(r, expected));
      // A clean hand-over reprocesses nothing: every count from 1 to n appears once.
      expect(countProblems(output, expected)).toEqual([]);
      expect(output).toHaveLength(1200);
      expect(await b.stop()).toBe(0);
    });

    it('keeps a task that has read nothing since it moved at its committed offset through the next rebalance', async () => {
      const { words, counts, env } = await topics();
      const a = suite.start({ name: 'A', topologies: [wordCountApp], env });
      await a.waitForAssignment(activeCount(8));
      await suite.kit.produce(words, string, string, wordRecords(0, 400, WORDS));
      await suite.kit.readUntil(counts, (r) => reached(r, expectedCounts(400, WORDS)));
      expect(await a.stop()).toBe(0);

      // B takes every task over and reads nothing (no new records); then C joins and B keeps half.
      const b = suite.start({ name: 'B', topologies: [wordCountApp], env });
      await b.waitForAssignment(activeCount(8));
      const c = suite.start({ name: 'C', topologies: [wordCountApp], env });
      await c.waitForAssignment(activeCount(4));
      await b.waitForAssignment(activeCount(4), { after: b.lines('tasks assigned').length });

      await suite.kit.produce(words, string, string, wordRecords(400, 400, WORDS));
      const expected = expectedCounts(800, WORDS);
      const output = await suite.kit.readUntil(counts, (r) => reached(r, expected));
      // B's kept tasks went on from the committed offsets, not from the start of their partitions.
      expect(countProblems(output, expected)).toEqual([]);
      expect(output).toHaveLength(800);
    });

    it.each(['at-least-once', 'exactly-once'])(
      'hands tasks to a worker that joins while records flow, without losing or repeating any (%s)',
      async (guarantee) => {
        const { words, counts, env } = await topics();
        const flags = { guarantee };
        const a = suite.start({ name: 'A', topologies: [wordCountApp], env, flags });
        await a.waitForAssignment(activeCount(8));
        const total = 4000;
        const producing = suite.kit.produceOverTime(words, string, string, wordRecords(0, total, WORDS), {
          chunk: 40,
          pauseMs: 10,
        });
        await suite.kit.readUntil(counts, (r) => r.length >= 300, { readCommitted: true });
        const b = suite.start({ name: 'B', topologies: [wordCountApp], env, flags });
        await b.waitForAssignment(activeCount(4));
        await producing;
        const expected = expectedCounts(total, WORDS);
        const output = await suite.kit.readUntil(counts, (r) => reached(r, expected), {
          readCommitted: true,
        });
        expect(countProblems(output, expected)).toEqual([]);
        expect(output).toHaveLength(total);
        // B joined while records were flowing: the stream was still going when it took its share.
        expect(b.lines('restoring store').length).toBeGreaterThan(0);
      },
    );
  },
);
