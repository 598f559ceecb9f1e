import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { KAFKA_CLIENTS } from '../../src/kafka/connection.ts';
import type { LogRecord } from '../../src/kafka/port.ts';
import type { Total } from './fixtures/running-totals-app.ts';
import { kafkaBrokers, uniqueName, type TypedRecord } from '../support/kafka-kit.ts';
import { activeCount } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';
const app = 'test/integration/fixtures/running-totals-app.ts';
const string = Serdes.String();
const long = Serdes.Long();
const json = Serdes.Json<Total>();
const ACCOUNTS = 16;
const PER_ACCOUNT = 250;

/** Payment j goes to account j % 16 and pays floor(j / 16) + 1: account a's totals are 1, 3, 6, 10, ... */
function payments(): TypedRecord<string, number>[] {
  return Array.from({ length: ACCOUNTS * PER_ACCOUNT }, (_, j) => ({
    key: `account-${j % ACCOUNTS}`,
    value: Math.floor(j / ACCOUNTS) + 1,
  }));
}

/** Each account's totals in the order they were written (an account's totals share one partition). */
function totalsByAccount(records: readonly LogRecord[]): Map<string, Total[]> {
  const byAccount = new Map<string, Total[]>();
  const ordered = [...records].sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
  for (const r of ordered) {
    const account = string.deserialize(r.key!);
    let list = byAccount.get(account);
    if (!list) byAccount.set(account, (list = []));
    list.push(json.deserialize(r.value!));
  }
  return byAccount;
}

const complete = (records: readonly LogRecord[]) =>
  [...totalsByAccount(records).values()].filter((t) => t.at(-1)?.count === PER_ACCOUNT).length === ACCOUNTS;

describe.skipIf(!kafkaBrokers()).each(KAFKA_CLIENTS)('exactly-once through a crash, through %s', (client) => {
  const suite = useWorkerProcesses('tributary-eos', { client });

  it('a worker killed mid-stream and restarted writes every running total exactly once, restoring only the changelog tail', async () => {
    const [input, output, applicationId] = [uniqueName('payments'), uniqueName('totals'), uniqueName('eos')];
    const { kit } = suite;
    await kit.createTopics({ [input]: 4, [output]: 4 });
    const options = {
      topologies: [app],
      stateDir: suite.stateDir(),
      env: { PAYMENTS_TOPIC: input, TOTALS_TOPIC: output, RUNNING_TOTALS_APP_ID: applicationId },
      flags: { guarantee: 'exactly-once' },
    };
    const first = suite.start({ ...options, name: 'first' });
    await first.waitForAssignment(activeCount(8));
    const producing = kit.produceOverTime(input, string, long, payments(), { chunk: 40, pauseMs: 15 });

    // Mid-stream: results are flowing and transactions are open when the worker dies.
    await kit.readUntil(output, (r) => r.length >= 1000, { readCommitted: true });
    expect(await first.kill()).toBe('SIGKILL');
    const restarted = suite.start({ ...options, name: 'restarted' });
    await restarted.waitForAssignment();
    await producing;

    const records = await kit.readUntil(output, complete, { readCommitted: true, timeoutMs: 90_000 });
    const totals = totalsByAccount(records);
    for (let a = 0; a < ACCOUNTS; a++) {
      const expected = Array.from({ length: PER_ACCOUNT }, (_, i) => ({
        count: i + 1,
        sum: ((i + 1) * (i + 2)) / 2,
      }));
      expect(totals.get(`account-${a}`), `account-${a}`).toEqual(expected);
    }
    expect(records).toHaveLength(ACCOUNTS * PER_ACCOUNT);

    // The stores kept their data with the changelog offset of the last committed transaction: the
    // restart read only what followed (the aborted transaction and its marker, at most a commit or two).
    const restores = restarted.lines('restoring store');
    expect(restores.length).toBeGreaterThan(0);
    for (const restore of restores) {
      expect(restore.store).toBe('totals');
      const [from, to] = [Number(restore.from), Number(restore.to)];
      expect(from, JSON.stringify(restore)).toBeGreaterThan(0);
      expect(to - from, JSON.stringify(restore)).toBeLessThanOrEqual(3 * (ACCOUNTS + 1));
    }
    expect(await restarted.stop()).toBe(0);
  });
});
