import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A broker of a test's own, started by scripts/kafka/start.sh in a run directory of its own, for
 * tests that stop and restart it (never the shared test broker, which other tests use meanwhile).
 * Its ports come from TEST_RESTART_KAFKA_PORT and TEST_RESTART_KAFKA_CONTROLLER_PORT.
 */
export class DedicatedBroker {
  readonly brokers: string;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(brokers: string, env: NodeJS.ProcessEnv) {
    this.brokers = brokers;
    this.env = env;
  }

  /**
   * Starts a fresh broker (its data from any earlier run is removed), in `.tools/run/<name>`, with
   * `properties` added to its server.properties.
   */
  static async start(name: string, properties: readonly string[] = []): Promise<DedicatedBroker> {
    const env = {
      ...process.env,
      KAFKA_RUN_DIR: `${root}/.tools/run/${name}`,
      KAFKA_PORT: process.env.TEST_RESTART_KAFKA_PORT ?? '39194',
      KAFKA_CONTROLLER_PORT: process.env.TEST_RESTART_KAFKA_CONTROLLER_PORT ?? '39195',
      KAFKA_KEEP_DATA: '0',
      KAFKA_EXTRA_PROPERTIES: properties.join('\n'),
    };
    const brokers = await startScript(env);
    // Restarts keep the topics, offsets and transactions.
    return new DedicatedBroker(brokers, { ...env, KAFKA_KEEP_DATA: '1' });
  }

  /** SIGTERM (a controlled shutdown), as an operator restarting a broker does. */
  async stop(): Promise<void> {
    await run('bash', [`${root}/scripts/kafka/stop.sh`], { env: this.env });
  }

  /** SIGKILL: the broker dies without a controlled shutdown. */
  async kill(): Promise<void> {
    const pid = (await readFile(`${this.env.KAFKA_RUN_DIR}/kafka.pid`, 'utf8')).trim();
    process.kill(Number(pid), 'SIGKILL');
    await run('bash', [`${root}/scripts/kafka/stop.sh`], { env: this.env });
  }

  /** Starts it again on the same ports with the data it had. */
  async restart(): Promise<void> {
    await startScript(this.env);
  }

  /** Stops it and removes its data. */
  async remove(): Promise<void> {
    await run('bash', [`${root}/scripts/kafka/stop.sh`], {
      env: { ...this.env, KAFKA_DELETE_DATA: '1' },
    });
  }
}

/**
 * Runs start.sh, up to three times: the ports lie in the machine's ephemeral range, so a client
 * connection elsewhere can hold one of them for a moment and the broker then fails to bind it.
 */
async function startScript(env: NodeJS.ProcessEnv): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout } = await run('bash', [`${root}/scripts/kafka/start.sh`], {
        env,
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout.trim().split('\n').pop()!;
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}
