import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
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

/** What scripts/registry/start-secured.sh wrote to security.json. */
export interface SecuredRegistryFiles {
  readonly ca: string;
  readonly user: { readonly name: string; readonly password: string };
  readonly tokens: { readonly signingKey: string; readonly issuer: string };
}

export interface ProvidedSecuredRegistry {
  /** The https base URL ('' when none could be had, never under CI). */
  readonly url: string;
  readonly files: SecuredRegistryFiles | undefined;
  stop(): Promise<void>;
}

/**
 * Apicurio Registry with HTTPS only and authentication required (basic auth and bearer tokens), started
 * by scripts/registry/start-secured.sh in `.tools/run/registry-secured-test` on TEST_SECURE_REGISTRY_PORT
 * and TEST_SECURE_REGISTRY_MANAGEMENT_PORT. Like `provideRegistry`, it skips outside CI when it cannot start.
 */
export async function provideSecuredRegistry(): Promise<ProvidedSecuredRegistry> {
  const runDir = `${root}/.tools/run/registry-secured-test`;
  const env = {
    ...process.env,
    REGISTRY_RUN_DIR: runDir,
    REGISTRY_PORT: process.env.TEST_SECURE_REGISTRY_PORT ?? '38183',
    REGISTRY_MANAGEMENT_PORT: process.env.TEST_SECURE_REGISTRY_MANAGEMENT_PORT ?? '38184',
  };
  try {
    const started = Date.now();
    const { stdout } = await run('bash', [`${root}/scripts/registry/start-secured.sh`], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const url = stdout.trim().split('\n').pop()!;
    console.info(`registry security tests use Apicurio at ${url} (ready in ${Date.now() - started} ms)`);
    const files = JSON.parse(
      await readFile(`${runDir}/security/security.json`, 'utf8'),
    ) as SecuredRegistryFiles;
    return {
      url,
      files,
      stop: async () => void (await run('bash', [`${root}/scripts/registry/stop.sh`], { env })),
    };
  } catch (error) {
    const message = `no secured schema registry: ${(error as Error).message.split('\n').slice(-3).join(' ')}`;
    if (process.env.CI === 'true') throw new Error(message, { cause: error });
    console.warn(`${message} — its tests are skipped`);
    return { url: '', files: undefined, stop: async () => undefined };
  }
}
