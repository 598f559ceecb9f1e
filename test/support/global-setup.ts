import type { TestProject } from 'vitest/node';
import {
  provideBroker,
  provideSecuredBroker,
  type ProvidedBroker,
  type ProvidedSecuredBroker,
} from './broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap servers of the real broker, or '' when none could be had (never under CI). */
    kafkaBrokers: string;
    /** The secured broker as JSON ({ saslSsl, ssl, securityFile }), or '' when none (never under CI). */
    securedKafka: string;
  }
}

let broker: ProvidedBroker | undefined;
let secured: ProvidedSecuredBroker | undefined;

/**
 * Starts (or finds) the real Kafka broker once for all integration tests, and beside it the secured
 * broker the security tests share; stops what it started.
 */
export async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  const [plain, safe] = await Promise.allSettled([provideBroker(), provideSecuredBroker()]);
  const fail = (what: string, reasons: string[]) => {
    const message = `no ${what} for the integration tests: ${reasons.join('; ')}`;
    // In CI the integration suite never skips itself: no broker is a failure.
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`${message} — the tests that need it are skipped`);
  };
  const outcome = <T>(result: PromiseSettledResult<T | { reasons: string[] }>): T | { reasons: string[] } =>
    result.status === 'fulfilled'
      ? result.value
      : { reasons: [(result.reason as Error).message.split('\n')[0]!] };

  const plainBroker = outcome(plain);
  const securedBroker = outcome(safe);
  if (!('reasons' in securedBroker)) secured = securedBroker;
  if (!('reasons' in plainBroker)) broker = plainBroker;
  try {
    if ('reasons' in plainBroker) {
      fail('Kafka broker (set KAFKA_BROKERS to run them)', plainBroker.reasons);
      project.provide('kafkaBrokers', '');
    } else {
      console.info(
        `integration tests use Kafka at ${plainBroker.brokers} (${plainBroker.source}, ready in ${Date.now() - started} ms)`,
      );
      project.provide('kafkaBrokers', plainBroker.brokers);
    }
    if ('reasons' in securedBroker) {
      fail('secured Kafka broker', securedBroker.reasons);
      project.provide('securedKafka', '');
    } else {
      console.info(
        `security tests use the secured Kafka at ${securedBroker.saslSsl} (SASL_SSL), ${securedBroker.ssl} (mTLS)`,
      );
      const { saslSsl, ssl, securityFile } = securedBroker;
      project.provide('securedKafka', JSON.stringify({ saslSsl, ssl, securityFile }));
    }
  } catch (error) {
    await teardown();
    throw error;
  }
}

export async function teardown(): Promise<void> {
  await Promise.allSettled([broker?.stop(), secured?.stop()]);
}
