import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ProvidedRegistry {
  /** The Confluent-compatible base URL ('' when none could be had, never under CI). */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * A real schema registry for the registry tests: SCHEMA_REGISTRY_URL if set, else Apicurio Registry
 * started from Maven Central by scripts/registry/start.sh in `.tools/run/registry-test` (which
 * `.ci/run` stops on exit) and stopped again by `stop()`. Outside CI a registry that cannot be started
 * skips the tests with a warning; under CI it fails them.
 */
export async function provideRegistry(): Promise<ProvidedRegistry> {
  if (process.env.SCHEMA_REGISTRY_URL)
    return { url: process.env.SCHEMA_REGISTRY_URL, stop: async () => undefined };
  const env = {
    ...process.env,
    REGISTRY_RUN_DIR: `${root}/.tools/run/registry-test`,
    REGISTRY_PORT: process.env.TEST_REGISTRY_PORT ?? '38181',
    REGISTRY_MANAGEMENT_PORT: process.env.TEST_REGISTRY_MANAGEMENT_PORT ?? '38182',
  };
  try {
    const started = Date.now();
    const { stdout } = await run('bash', [`${root}/scripts/registry/start.sh`], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const url = stdout.trim().split('\n').pop()!;
    console.info(`registry tests use Apicurio at ${url} (ready in ${Date.now() - started} ms)`);
    return { url, stop: async () => void (await run('bash', [`${root}/scripts/registry/stop.sh`], { env })) };
  } catch (error) {
    const message = `no schema registry for the registry tests: ${(error as Error).message.split('\n').slice(-3).join(' ')}`;
    if (process.env.CI === 'true') throw new Error(message, { cause: error });
    console.warn(`${message} — registry tests are skipped (set SCHEMA_REGISTRY_URL to run them)`);
    return { url: '', stop: async () => undefined };
  }
}
