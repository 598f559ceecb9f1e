import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.ts';
import { outputProblems } from './log-lines.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One line of a worker's JSON log (pino: `level` 30 is info, 40 warn, 50 error). */
export interface LogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface WorkerProcessOptions {
  /** Topology files, relative to the repository root. */
  readonly topologies: readonly string[];
  readonly brokers: string;
  readonly stateDir: string;
  /** More `tributary run` flags, without the leading dashes: `{ guarantee: 'exactly-once' }`. */
  readonly flags?: Readonly<Record<string, string>>;
  /** Environment the topology files read (topic names, application id). */
  readonly env?: Readonly<Record<string, string>>;
  /** A name for this worker in failure messages and TEST_LOG output. */
  readonly name?: string;
  /** Serve interactive queries at this `host:port` (`--http`); see `freeEndpoint`. */
  readonly http?: string;
  /** Run the worker of another checkout of the repository (a benchmark's baseline); default: this one. */
  readonly checkout?: string;
  /** `run` (the default) or `start`. */
  readonly command?: 'run' | 'start';
}

/** Matches an assignment ("tasks assigned") that gives the worker this many active tasks. */
export const activeCount =
  (n: number) =>
  (line: LogLine): boolean =>
    (line.active as string[]).length === n;

/** A local `host:port` nobody listens on, for a worker's `--http`. */
export async function freeEndpoint(): Promise<string> {
  const port = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
  return `127.0.0.1:${port}`;
}

/**
 * A `tributary run` worker in a process of its own, as an operator starts one: `node bin/tributary.js
 * run <topology files> --brokers ... --log-format json`. Its JSON log lines are collected so a test can
 * wait for and assert on them ("tasks assigned", "restoring store", ...). TEST_LOG=1 echoes them.
 */
export class WorkerProcess {
  readonly name: string;
  /** Where it serves queries (`host:port`), when started with `http`. */
  readonly endpoint: string | undefined;
  readonly logs: LogLine[] = [];
  /** Output that was not a JSON log line (stderr, crashes). */
  readonly other: string[] = [];
  /** Output that no worker should print: Node.js warnings, log lines with a key twice. */
  readonly problems: string[] = [];
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private exitValue: number | string | undefined;

  private constructor(options: WorkerProcessOptions) {
    this.name = options.name ?? options.http ?? 'worker';
    this.endpoint = options.http;
    const flags = {
      'log-format': 'json',
      'commit-interval-ms': '200',
      'session-timeout-ms': '6000',
      ...options.flags,
      ...(options.http ? { http: options.http } : {}),
      brokers: options.brokers,
      'state-dir': options.stateDir,
    };
    const args = [
      'bin/tributary.js',
      options.command ?? 'run',
      ...options.topologies,
      ...Object.entries(flags).flatMap(([flag, value]) => [`--${flag}`, value]),
    ];
    this.child = spawn(process.execPath, args, {
      cwd: options.checkout ?? root,
      env: {
        ...process.env,
        KAFKA_BROKERS: '',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitValue = code ?? signal ?? 'unknown';
        this.notify();
        resolve(this.exitValue);
      });
    });
    this.collect(this.child.stdout!);
    this.collect(this.child.stderr!);
  }

  static start(options: WorkerProcessOptions): WorkerProcess {
    return new WorkerProcess(options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitValue === undefined;
  }

  /** `http://host:port` of its query endpoint (started with `http` only). */
  get url(): string {
    if (!this.endpoint) throw new Error(`${this.name} does not serve queries (start it with http)`);
    return `http://${this.endpoint}`;
  }

  /** Lines with this message, in order. */
  lines(msg: string): LogLine[] {
    return this.logs.filter((l) => l.msg === msg);
  }

  /** Waits for a log line (already logged or still to come) that matches; fails on timeout or exit. */
  async waitForLog(
    match: (line: LogLine) => boolean,
    options: { timeoutMs?: number; after?: number; what?: string } = {},
  ): Promise<LogLine> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const from = options.after ?? 0;
    for (;;) {
      const found = this.logs.slice(from).find(match);
      if (found) return found;
      if (!this.running)
        throw new Error(
          `${this.name} exited (${this.exitValue}) before logging ${options.what ?? 'the awaited line'}\n${this.tail()}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `${this.name} did not log ${options.what ?? 'the awaited line'} within ${timeoutMs} ms\n${this.tail()}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, deadline - Date.now()));
        const waiters = this.waiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Waits until the worker has joined its group and logged an assignment after log line `after`. */
  waitForAssignment(
    match: (line: LogLine) => boolean = () => true,
    options: { timeoutMs?: number; after?: number } = {},
  ): Promise<LogLine> {
    return this.waitForLog((l) => l.msg === 'tasks assigned' && match(l), {
      ...options,
      what: '"tasks assigned"',
    });
  }

  /**
   * Waits until the worker serves queries (ready) and its metadata shows `withTasks` workers running
   * tasks of its (first) application: the group has settled with that many members.
   */
  async waitForGroup(withTasks: number, timeoutMs = 90_000): Promise<void> {
    await eventually(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited with ${this.exitValue}\n${this.tail()}`);
        const ready = await fetch(`${this.url}/health/ready`);
        if (ready.status !== 200) throw new Error(`${this.name} not ready: ${await ready.text()}`);
        const metadata = (await (await fetch(`${this.url}/metadata`)).json()) as {
          applications: { endpoints: Record<string, { active: string[] }> }[];
        };
        const found = Object.values(metadata.applications[0]!.endpoints).filter(
          (e) => e.active.length > 0,
        ).length;
        if (found !== withTasks)
          throw new Error(`${this.name} sees ${found} workers with tasks, not ${withTasks}`);
      },
      { timeoutMs, stopWhen: () => !this.running },
    );
  }

  /** The active tasks of the last assignment. */
  activeTasks(): string[] {
    const last = this.lines('tasks assigned').at(-1);
    return last ? [...(last.active as string[])] : [];
  }

  standbyTasks(): string[] {
    const last = this.lines('tasks assigned').at(-1);
    return last ? [...(last.standby as string[])] : [];
  }

  /** SIGTERM: a graceful stop. Resolves with the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | string> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: a crash, with no chance to commit or leave the group. */
  async kill(): Promise<number | string> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGSTOP: the process stalls (as in a long pause of its machine) until `thaw`. */
  freeze(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  /** SIGCONT: a frozen process runs on. */
  thaw(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  /** The last lines of output, for failure messages. */
  tail(count = 40): string {
    const lines = [
      ...this.logs.map((l) => JSON.stringify(l)),
      ...this.other.map((line) => `(not JSON) ${line}`),
    ];
    return `---- last lines of ${this.name} ----\n${lines.slice(-count).join('\n')}`;
  }

  private collect(stream: NodeJS.ReadableStream): void {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) this.add(line);
      this.notify();
    });
    stream.on('end', () => {
      if (pending) this.add(pending);
      this.notify();
    });
  }

  private add(line: string): void {
    if (line.trim() === '') return;
    if (process.env.TEST_LOG) process.stderr.write(`[${this.name}] ${line}\n`);
    this.problems.push(...outputProblems([line]));
    try {
      const parsed = JSON.parse(line) as LogLine;
      if (parsed && typeof parsed === 'object' && typeof parsed.msg === 'string') {
        this.logs.push(parsed);
        return;
      }
    } catch {
      // not a log line
    }
    this.other.push(line);
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
