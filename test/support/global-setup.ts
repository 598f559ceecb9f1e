import type { TestProject } from 'vitest/node';
import { provideBroker, type ProvidedBroker } from './broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap servers of the real broker, or '' when none could be had (never under CI). */
    kafkaBrokers: string;
  }
}

let broker: ProvidedBroker | undefined;

/** Starts (or finds) the real Kafka broker once for all integration tests, and stops what it started. */
export async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  const result = await provideBroker();
  if ('reasons' in result) {
    const message = `no Kafka broker for the integration tests: ${result.reasons.join('; ')}`;
    // In CI the integration suite never skips itself: no broker is a failure.
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`${message} — integration tests are skipped (set KAFKA_BROKERS to run them)`);
    project.provide('kafkaBrokers', '');
    return;
  }
  broker = result;
  console.info(
    `integration tests use Kafka at ${result.brokers} (${result.source}, ready in ${Date.now() - started} ms)`,
  );
  project.provide('kafkaBrokers', result.brokers);
}

export async function teardown(): Promise<void> {
  await broker?.stop();
}
