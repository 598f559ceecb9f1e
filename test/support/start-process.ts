import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository, where `bin/tributary.js` runs from. */
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Settings that would move `tributary start` elsewhere when inherited from the test's environment:
 * with KAFKA_BROKERS (set when the integration tests run) it would run the reference applications,
 * under their real ids, on the shared broker.
 */
const MOVING_SETTINGS = [
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'STATE_DIR',
  'TRIBUTARY_HTTP',
  'TRIBUTARY_ADVERTISED',
  'TRIBUTARY_CONFIG',
  'TOPIC_PARTITIONS',
  'PROCESSING_GUARANTEE',
  'COMMIT_INTERVAL_MS',
  'HOST',
];

/** This process's environment without MOVING_SETTINGS, for the `tributary` commands a test runs. */
export function quietEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'json' };
  for (const name of MOVING_SETTINGS) delete env[name];
  return env;
}

/** A local port nobody listens on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `tributary start` (what `npm start` runs) in a process of its own, as a user starts it. */
export class StartProcess {
  readonly url: string;
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;
  private outputText = '';

  private constructor(port: number, env: Readonly<Record<string, string>>, args: readonly string[]) {
    this.child = spawn(process.execPath, ['bin/tributary.js', 'start', ...args], {
      cwd: repositoryRoot,
      env: { ...quietEnvironment(), PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.url = `http://localhost:${port}`;
    this.child.stdout!.on('data', (d: Buffer) => (this.outputText += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.outputText += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
    );
  }

  /** Starts it (DATA_DIR and the like in `env`) and waits for its banner. */
  static async start(
    env: Readonly<Record<string, string>>,
    options: { port?: number; args?: readonly string[]; timeoutMs?: number } = {},
  ): Promise<StartProcess> {
    const started = new StartProcess(options.port ?? (await freePort()), env, options.args ?? []);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (!started.output().includes('Tributary is running')) {
      const exit = await Promise.race([started.exited, sleep(50).then(() => undefined)]);
      if (exit !== undefined) throw new Error(`tributary start exited with ${exit}:\n${started.output()}`);
      if (Date.now() > deadline) {
        await started.kill();
        throw new Error(`tributary start did not come up:\n${started.output()}`);
      }
    }
    return started;
  }

  output(): string {
    return this.outputText;
  }

  /** SIGTERM: a graceful stop; resolves with the exit code. */
  stop(): Promise<number | string> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL: a crash. */
  kill(): Promise<number | string> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
