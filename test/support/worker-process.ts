import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
}

/**
 * A `tributary run` worker in a process of its own, as an operator starts one: `node bin/tributary.js
 * run <topology files> --brokers ... --log-format json`. Its JSON log lines are collected so a test can
 * wait for and assert on them ("tasks assigned", "restoring store", ...). TEST_LOG=1 echoes them.
 */
export class WorkerProcess {
  readonly name: string;
  readonly logs: LogLine[] = [];
  /** Output that was not a JSON log line (stderr, crashes). */
  readonly other: string[] = [];
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private exitValue: number | string | undefined;

  private constructor(options: WorkerProcessOptions) {
    this.name = options.name ?? 'worker';
    const flags = {
      'log-format': 'json',
      'commit-interval-ms': '200',
      'session-timeout-ms': '6000',
      ...options.flags,
      brokers: options.brokers,
      'state-dir': options.stateDir,
    };
    const args = [
      'bin/tributary.js',
      'run',
      ...options.topologies,
      ...Object.entries(flags).flatMap(([flag, value]) => [`--${flag}`, value]),
    ];
    this.child = spawn(process.execPath, args, {
      cwd: root,
      env: {
        ...process.env,
        TRIBUTARY_SOURCE: '1',
        NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning',
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

/** Starts workers and makes sure none outlives the test file. */
export class WorkerProcesses {
  private readonly started: WorkerProcess[] = [];

  start(options: WorkerProcessOptions): WorkerProcess {
    const worker = WorkerProcess.start(options);
    this.started.push(worker);
    return worker;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.started.map((w) => w.kill()));
  }
}
