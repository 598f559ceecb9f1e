import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../scripts/chaos/experiment.ts';
import { SHORT } from '../../scripts/chaos/faults.ts';
import { describe as describeResult } from '../../scripts/chaos/report.ts';

// The chaos suite's short version (`npm run chaos -- --short`): one broker of its own, started by the
// experiment on CHAOS_KAFKA_PORT (default: TEST_KAFKA_PORT + 30, inside the tests' port block).
if (!process.env.CHAOS_KAFKA_PORT && process.env.TEST_KAFKA_PORT)
  process.env.CHAOS_KAFKA_PORT = String(Number(process.env.TEST_KAFKA_PORT) + 30);

describe('the orders system under faults, judged against replay of its input', () => {
  it(`commits exactly what replay writes under exactly-once through ${SHORT.faults.join(', ')}`, async () => {
    const result = await runExperiment({
      ...SHORT,
      log: process.env.TEST_LOG ? (line) => console.error(line) : undefined,
    });
    const report = describeResult(result);
    expect(result.readFailures, report).toEqual([]);
    // Every order the oracle decides is decided; nothing lost, duplicated or wrong, no order state set
    // back, read by Kafka's Java read_committed consumer and by Tributary's, which read the very same
    // records.
    expect({ decided: result.java.decided, lost: result.java.lost }, report).toEqual({
      decided: result.expectedDecided,
      lost: 0,
    });
    expect(result.java, report).toMatchObject({ duplicated: 0, wrong: 0, setBack: 0 });
    expect(result.tributary, report).toMatchObject({
      decided: result.expectedDecided,
      lost: 0,
      duplicated: 0,
      wrong: 0,
      setBack: 0,
    });
    expect(result.readersAgree, report).toBe(true);
    expect(result.ordersIn).toBe(SHORT.orders);
    // Processing resumed after every fault, by itself.
    expect(
      result.faults.map((f) => f.recoveryMs === null),
      report,
    ).not.toContain(true);
    expect(result.unplannedExits, report).toEqual([]);
    // The wiped worker restored its stores from the changelogs' start; the killed ones only their tails.
    expect(result.restores.full, report).toBeGreaterThan(0);
    expect(result.restores.tail, report).toBeGreaterThan(0);
    // Each application that reads `orders` wrote each poison record to its dead-letter topic once.
    const letters = Object.values(result.deadLetters);
    expect(letters.length, report).toBeGreaterThan(0);
    expect(new Set(letters), report).toEqual(new Set([result.poisonFed]));
  });
});
