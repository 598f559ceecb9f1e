import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import type { ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { eventually } from '../support/eventually.ts';
import { kafkaBrokers, uniqueName, type TypedRecord } from '../support/kafka-kit.ts';
import type { LogLine } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const app = 'test/integration/fixtures/price-table-app.ts';
const string = Serdes.String();
const long = Serdes.Long();
const PARTITIONS = 2;
const CHUNK = 20;

const prices = (from: number, count: number): TypedRecord<string, number>[] =>
  Array.from({ length: count }, (_, i) => ({ key: `product-${(from + i) % 150}`, value: from + i }));

const ofPrices = (lines: readonly LogLine[]) => lines.filter((l) => l.store === 'prices');

describe.skipIf(!kafkaBrokers())(
  'a table read from a topic keeps its restore point with the committed offsets',
  () => {
    const suite = useWorkerProcesses('tributary-source-table');

    it.each<ProcessingGuarantee>(['at-least-once', 'exactly-once'])(
      'restores nothing after a clean stop and only the tail after a crash (%s)',
      async (guarantee) => {
        const [input, output, applicationId] = [
          uniqueName('prices'),
          uniqueName('doubled'),
          uniqueName('prices'),
        ];
        const { kit } = suite;
        await kit.createTopics({ [input]: PARTITIONS, [output]: PARTITIONS });
        const options = {
          topologies: [app],
          stateDir: suite.stateDir(),
          env: { PRICES_TOPIC: input, DOUBLED_TOPIC: output, PRICE_TABLE_APP_ID: applicationId },
          flags: { guarantee },
        };
        /** Waits until the group has committed every record of the topic (a commit covered all of them). */
        const committedToEnd = () =>
          eventually(async () => {
            const [ends, committed] = await Promise.all([
              kit.admin.offsets(input),
              kit.admin.committedOffsets(applicationId, input),
            ]);
            for (const [partition, range] of ends) expect(committed.get(partition)?.offset).toBe(range.high);
            return ends;
          });

        // 1. A worker processes 600 prices and stops cleanly.
        await kit.produce(input, string, long, prices(0, 600));
        const first = suite.start({ ...options, name: 'first' });
        await first.waitForAssignment();
        await kit.readUntil(output, (r) => r.length >= 600);
        await committedToEnd();
        expect(await first.stop()).toBe(0);

        // 2. Restarted: the store is where the topic was committed; nothing is read again.
        const second = suite.start({ ...options, name: 'second' });
        await second.waitForAssignment();
        const upToDate = await eventually(async () => {
          const lines = ofPrices(second.lines('store up to date'));
          expect(lines).toHaveLength(PARTITIONS);
          return lines;
        });
        expect(ofPrices(second.lines('restoring store'))).toEqual([]);
        expect(upToDate.map((l) => Number(l.at)).reduce((a, b) => a + b)).toBe(600);

        // 3. More prices flow while the worker is killed: the restart restores at most the records
        //    processed after its last commit, not everything since the first restore.
        const producing = kit.produceOverTime(input, string, long, prices(600, 600), {
          chunk: CHUNK,
          pauseMs: 20,
        });
        await kit.readUntil(output, (r) => r.length >= 900, { readCommitted: true });
        expect(await second.kill()).toBe('SIGKILL');
        await producing;
        const third = suite.start({ ...options, name: 'third' });
        await third.waitForAssignment();
        await eventually(async () => {
          const settled = [...third.lines('store up to date'), ...third.lines('store restored')];
          expect(ofPrices(settled)).toHaveLength(PARTITIONS);
        });
        for (const restore of ofPrices(third.lines('restoring store'))) {
          const [from, to] = [Number(restore.from), Number(restore.to)];
          expect(from, JSON.stringify(restore)).toBeGreaterThanOrEqual(300);
          expect(to - from, JSON.stringify(restore)).toBeLessThanOrEqual(4 * CHUNK);
        }
        await committedToEnd();
        expect(await third.stop()).toBe(0);
      },
      180_000,
    );
  },
);
