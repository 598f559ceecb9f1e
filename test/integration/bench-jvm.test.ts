import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restore, wordCount, type JavaRuntime } from '../../scripts/bench/jvm-cases.ts';
import { kafkaBrokers } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();
/** Only Kafka Streams runs need a JVM; these tests run the Tributary side. */
const noJava: JavaRuntime = { bin: 'java', classpath: '' };

// The side-by-side benchmark against Kafka Streams (npm run bench:jvm) in small: its cases run
// Tributary's worker on the test broker and measure it from outside, as they measure the JVM.
describe.skipIf(!brokers)('the Tributary side of the benchmark against Kafka Streams', () => {
  let before: string | undefined;
  beforeAll(() => {
    // The cases start a broker of their own unless KAFKA_BROKERS names one.
    before = process.env.KAFKA_BROKERS;
    process.env.KAFKA_BROKERS = brokers;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = before;
  });

  it('counts words through a worker until every final count is out, measuring its CPU and memory from /proc', async () => {
    const run = await wordCount('tributary', 'exactly-once', 3_000, noJava);
    expect(run).toMatchObject({ engine: 'tributary', exit: 0, records: 3_000 });
    // With the record cache (on by default, as in Kafka Streams) a word's updates between commits
    // reach the output once: at least one count per word, at most one per record.
    expect(run.outputs).toBeGreaterThan(0);
    expect(run.outputs).toBeLessThanOrEqual(3_000);
    expect(run.failure).toBeUndefined();
    expect(run.totalMs).toBeGreaterThan(run.startMs);
    expect(run.recordsPerSecond).toBe(Math.round(3_000_000 / run.totalMs));
    expect(run.cpuMs).toBeGreaterThan(0);
    expect(run.cpuUsPerRecord).toBeGreaterThan(0);
    // A Node process running the worker holds tens of MiB at least.
    expect(run.peakRssMiB).toBeGreaterThan(30);
  });

  it('restores the word count store from a changelog written beforehand and reports its rate', async () => {
    const run = await restore('tributary', 4_000, noJava);
    expect(run).toMatchObject({ engine: 'tributary', exit: 0, records: 4_000 });
    expect(run.recordsPerSecond).toBe(Math.round(4_000_000 / Math.max(run.restoreMs, 1)));
  });
});
