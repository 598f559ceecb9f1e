/** Worker processes for integration tests: `node bin/tributary.js run ...` as a user would start them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../harness.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export interface WorkerProcess {
  readonly url: string;
  readonly endpoint: string;
  readonly child: ChildProcess;
  /** What the worker logged (JSON lines), for failure messages. */
  readonly log: () => string;
  /** SIGTERM, then waits for the exit (a graceful stop). */
  stop(): Promise<number | null>;
}

export async function startWorkerProcess(options: {
  readonly files: readonly string[];
  readonly brokers: string;
  readonly stateDir: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly flags?: readonly string[];
}): Promise<WorkerProcess> {
  const port = await freePort();
  const endpoint = `127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      'bin/tributary.js',
      'run',
      ...options.files,
      '--brokers',
      options.brokers,
      '--state-dir',
      options.stateDir,
      '--http',
      endpoint,
      '--commit-interval-ms',
      '200',
      '--log-format',
      'json',
      ...(options.flags ?? []),
    ],
    {
      cwd: root,
      env: { ...process.env, TRIBUTARY_SOURCE: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    url: `http://${endpoint}`,
    endpoint,
    child,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls until the check passes (or fails with the last reason after the timeout). */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline || (error as Error).message.includes(' exited with ')) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Waits until the worker is ready and its metadata shows `endpoints` workers sharing the application. */
export async function waitForGroup(
  worker: WorkerProcess,
  endpoints: number,
  timeoutMs = 90_000,
): Promise<void> {
  await eventually(async () => {
    if (worker.child.exitCode !== null)
      throw new Error(
        `worker ${worker.endpoint} exited with ${worker.child.exitCode}:\n${worker.log().slice(-5000)}`,
      );
    const ready = await fetch(`${worker.url}/health/ready`);
    if (ready.status !== 200)
      throw new Error(`${worker.endpoint} not ready: ${await ready.text()}\n${worker.log().slice(-3000)}`);
    const metadata = (await (await fetch(`${worker.url}/metadata`)).json()) as {
      applications: { endpoints: Record<string, { active: string[] }> }[];
    };
    const found = Object.values(metadata.applications[0]!.endpoints).filter(
      (e) => e.active.length > 0,
    ).length;
    if (found !== endpoints)
      throw new Error(`${worker.endpoint} sees ${found} workers with tasks, not ${endpoints}`);
  }, timeoutMs);
}
