import { beforeAll, describe, expect, it } from 'vitest';
import { buildKafkaStreamsReference } from '../../scripts/bench/jvm-engines.ts';
import { checkReplay, generatedRecording } from '../../scripts/bench/jvm-replay.ts';
import { describeReplay, replayAgrees } from '../../scripts/bench/jvm-report.ts';
import { pinnedKafkaVersion } from '../support/kafka-version.ts';

/** Enough for every rule to come up: bad details, stock running out, duplicates, short and late payments. */
const ORDERS = 500;

// `npm run bench:jvm` compares Tributary with the orders system written on Kafka Streams
// (scripts/bench/jvm); the comparison means something only while both follow docs/orders.md's rules.
// This keeps the Java side in step when a topology changes: a generated recording replayed through
// both (Kafka Streams' TopologyTestDriver, Tributary's replay; no broker) must end every order alike.
describe('the orders system on Kafka Streams, against the rules of topologies/*.ts', () => {
  let java: { bin: string; classpath: string };
  beforeAll(async () => {
    // Maven builds it at the broker's Kafka version, as the benchmark does (the first time, with its
    // dependencies to download).
    java = { bin: 'java', classpath: await buildKafkaStreamsReference(pinnedKafkaVersion()) };
  }, 600_000);

  it('decides, checks and emails every order of a generated recording as Tributary does', async () => {
    const check = await checkReplay(generatedRecording(ORDERS), java);
    expect(replayAgrees(check), describeReplay(check)).toBe(true);
    expect(check.comparison.orders).toBe(ORDERS);
    // The recording reaches every rule: each check failing first, short and missing payments.
    const outcomes = new Set(
      [...check.tributary.states.values()].map((state) => /^[A-Z]+(: [A-Za-z_]+)?/.exec(state)![0]),
    );
    expect(outcomes).toEqual(
      new Set([
        'CONFIRMED',
        'VALIDATED',
        'FAILED: payment',
        'FAILED: FRAUD_CHECK',
        'FAILED: INVENTORY_CHECK',
        'FAILED: ORDER_DETAILS_CHECK',
      ]),
    );
    expect(check.tributary.emails.size).toBeGreaterThan(0);
  }, 300_000);
});
