/**
 * Exactly-once with one transactional producer per worker (through each client: both send the group
 * generation with the transaction's offsets, KIP-447): a worker that stalls past its session is a
 * zombie once the group has moved on. Whatever it had in flight when it stalled, and whatever it does
 * when it runs on, the output Kafka's own Java read_committed consumer reads holds every running total
 * exactly once: the zombie's offsets are refused for their stale generation (or its producer fenced
 * by the transaction's timeout), its transaction aborted, and it rejoins the group.
 */
import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { KAFKA_CLIENTS } from '../../src/kafka/connection.ts';
import { readWithJava } from '../../scripts/chaos/committed.ts';
import type { Total } from './fixtures/running-totals-app.ts';
import { javaTransactions } from '../support/java-clients.ts';
import { kafkaBrokers, uniqueName, type TypedRecord } from '../support/kafka-kit.ts';
import { activeCount } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

const app = 'test/integration/fixtures/running-totals-app.ts';
const string = Serdes.String();
const long = Serdes.Long();
const json = Serdes.Json<Total>();
const ACCOUNTS = 16;
const PER_ACCOUNT = 200;
const PARTITIONS = 4;

/** Payment j goes to account j % 16 and pays floor(j / 16) + 1: account a's totals are 1, 3, 6, 10, ... */
function payments(): TypedRecord<string, number>[] {
  return Array.from({ length: ACCOUNTS * PER_ACCOUNT }, (_, j) => ({
    key: `account-${j % ACCOUNTS}`,
    value: Math.floor(j / ACCOUNTS) + 1,
  }));
}

describe.skipIf(!kafkaBrokers()).each(KAFKA_CLIENTS)(
  'exactly-once with one transaction per worker, through %s',
  (client) => {
    const suite = useWorkerProcesses('tributary-zombie', { client });

    it('a worker stalled past its session cannot commit once the group moved on: every total is committed once', async () => {
      const [input, output, applicationId] = [
        uniqueName('payments'),
        uniqueName('totals'),
        uniqueName('zombie'),
      ];
      const { kit } = suite;
      await kit.createTopics({ [input]: PARTITIONS, [output]: PARTITIONS });
      const options = {
        topologies: [app],
        stateDir: suite.stateDir(),
        env: { PAYMENTS_TOPIC: input, TOTALS_TOPIC: output, RUNNING_TOTALS_APP_ID: applicationId },
        // Workers run with the broker's shortest session (6 s): the group gives up on a stalled one soon.
        flags: { guarantee: 'exactly-once' },
      };
      const zombie = suite.start({ ...options, stateDir: suite.stateDir(), name: 'zombie' });
      await zombie.waitForAssignment(activeCount(2 * PARTITIONS));
      const survivor = suite.start({ ...options, stateDir: suite.stateDir(), name: 'survivor' });
      await survivor.waitForAssignment((line) => (line.active as string[]).length > 0);
      await zombie.waitForAssignment((line) => (line.active as string[]).length < 2 * PARTITIONS);
      const producing = kit.produceOverTime(input, string, long, payments(), { chunk: 40, pauseMs: 15 });

      // Mid-stream, with a transaction of its tasks' work open, the worker stalls: the group gives all
      // tasks to the survivor, which starts them from the last commit.
      await kit.readUntil(output, (r) => r.length >= 600, { readCommitted: true });
      const stalledAt = zombie.logs.length;
      zombie.freeze();
      try {
        await survivor.waitForAssignment(activeCount(2 * PARTITIONS), { timeoutMs: 90_000 });
      } finally {
        zombie.thaw();
      }
      // Running on, the zombie's transaction fails (its offsets' generation is over, or its producer was
      // fenced when the transaction timed out): its tasks are closed, and it rejoins.
      const failed = await zombie.waitForLog(
        (line) => /^the (group refused this member|transaction of this member)/.test(String(line.msg)),
        {
          after: stalledAt,
          timeoutMs: 60_000,
          what: 'the failure of its transaction',
        },
      );
      console.info(`the zombie: ${String(failed.msg).split(';')[0]} (${JSON.stringify(failed.err)})`);
      await zombie.waitForAssignment((line) => (line.active as string[]).length > 0, {
        after: stalledAt,
        timeoutMs: 90_000,
      });
      await producing;

      const complete = (records: readonly { value: Uint8Array | null }[]) =>
        records.filter((r) => json.deserialize(r.value!).count === PER_ACCOUNT).length === ACCOUNTS;
      await kit.readUntil(output, complete, { readCommitted: true, timeoutMs: 120_000 });

      // Kafka's own read_committed consumer is the judge of what was committed.
      const committed = await readWithJava(kafkaBrokers(), [output]);
      const byAccount = new Map<string, Total[]>();
      for (const r of [...committed].sort(
        (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
      )) {
        const account = string.deserialize(r.key!);
        let list = byAccount.get(account);
        if (!list) byAccount.set(account, (list = []));
        list.push(json.deserialize(r.value!));
      }
      for (let a = 0; a < ACCOUNTS; a++) {
        const expected = Array.from({ length: PER_ACCOUNT }, (_, i) => ({
          count: i + 1,
          sum: ((i + 1) * (i + 2)) / 2,
        }));
        expect(byAccount.get(`account-${a}`), `account-${a}`).toEqual(expected);
      }
      expect(committed).toHaveLength(ACCOUNTS * PER_ACCOUNT);

      // One transactional producer per worker process, named <application id>-<process id>-1: none per
      // task; each with Kafka Streams' exactly-once transaction timeout, 10 s.
      const transactions = (await javaTransactions(kafkaBrokers())).filter((t) =>
        t.transactionalId.startsWith(`${applicationId}-`),
      );
      expect(transactions.length).toBeGreaterThanOrEqual(2);
      for (const { transactionalId, timeoutMs } of transactions) {
        expect(transactionalId).toMatch(new RegExp(`^${applicationId}-[0-9a-f-]{36}-1$`));
        expect(timeoutMs, transactionalId).toBe(10_000);
      }

      expect(await zombie.stop()).toBe(0);
      expect(await survivor.stop()).toBe(0);
    });
  },
);
