import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pinnedKafkaVersion } from './kafka-version.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ProvidedBroker {
  readonly brokers: string;
  /** Where the broker came from, for the test log. */
  readonly source: 'KAFKA_BROKERS' | 'testcontainers' | 'local scripts';
  stop(): Promise<void>;
}

/**
 * A real Kafka broker for the integration tests, by the first means that works: KAFKA_BROKERS if set;
 * a container where a container engine answers; else a broker started from Maven Central jars by
 * scripts/kafka/start.sh when Java and Maven are present. Returns the reasons when none works.
 */
export async function provideBroker(): Promise<ProvidedBroker | { reasons: string[] }> {
  if (process.env.KAFKA_BROKERS) {
    return { brokers: process.env.KAFKA_BROKERS, source: 'KAFKA_BROKERS', stop: async () => undefined };
  }
  const reasons: string[] = [];
  try {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer(`apache/kafka:${pinnedKafkaVersion()}`).withKraft().start();
    return {
      brokers: `${container.getHost()}:${container.getMappedPort(9093)}`,
      source: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  } catch (error) {
    reasons.push(`no container engine: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    await run('java', ['-version']);
    await run('mvn', ['-v']);
  } catch {
    reasons.push('no Java and Maven to run a local broker from Maven Central jars');
    return { reasons };
  }
  const env = {
    ...process.env,
    KAFKA_RUN_DIR: `${root}/.tools/run/kafka-test`,
    KAFKA_PORT: process.env.TEST_KAFKA_PORT ?? '39192',
    KAFKA_CONTROLLER_PORT: process.env.TEST_KAFKA_CONTROLLER_PORT ?? '39193',
  };
  const { stdout } = await run('bash', [`${root}/scripts/kafka/start.sh`], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const brokers = stdout.trim().split('\n').pop()!;
  return {
    brokers,
    source: 'local scripts',
    stop: async () => void (await run('bash', [`${root}/scripts/kafka/stop.sh`], { env })),
  };
}

export interface ProvidedSecuredBroker {
  /** The SASL_SSL listener (PLAIN, SCRAM, OAUTHBEARER). */
  readonly saslSsl: string;
  /** The SSL listener that requires client certificates. */
  readonly ssl: string;
  /** security.json of scripts/kafka/start-secured.sh: the CA, certificates, users, the OAuth key. */
  readonly securityFile: string;
  stop(): Promise<void>;
}

/**
 * A second broker, every listener secured and the StandardAuthorizer on (scripts/kafka/start-secured.sh),
 * for the tests of TLS, SASL and ACLs. Its ports come from TEST_SECURE_KAFKA_PORT,
 * TEST_SECURE_KAFKA_SSL_PORT and TEST_SECURE_KAFKA_CONTROLLER_PORT.
 */
export async function provideSecuredBroker(): Promise<ProvidedSecuredBroker | { reasons: string[] }> {
  try {
    await run('java', ['-version']);
    await run('mvn', ['-v']);
  } catch {
    return { reasons: ['no Java and Maven to run a local broker from Maven Central jars'] };
  }
  const runDir = `${root}/.tools/run/kafka-secured-test`;
  const env = {
    ...process.env,
    KAFKA_RUN_DIR: runDir,
    KAFKA_PORT: process.env.TEST_SECURE_KAFKA_PORT ?? '39392',
    KAFKA_SSL_PORT: process.env.TEST_SECURE_KAFKA_SSL_PORT ?? '39393',
    KAFKA_CONTROLLER_PORT: process.env.TEST_SECURE_KAFKA_CONTROLLER_PORT ?? '39394',
  };
  await run('bash', [`${root}/scripts/kafka/start-secured.sh`], { env, maxBuffer: 16 * 1024 * 1024 });
  const listeners = JSON.parse(await readFile(`${runDir}/security/listeners.json`, 'utf8')) as {
    saslSsl: string;
    ssl: string;
  };
  return {
    ...listeners,
    securityFile: `${runDir}/security/security.json`,
    stop: async () => void (await run('bash', [`${root}/scripts/kafka/stop.sh`], { env })),
  };
}
