// The worker processes of a chaos experiment: each runs all seven applications of the orders system
// (`tributary run topologies/*.ts`) with a state directory of its own. A worker that exits without
// being told to is started again, as a supervisor (systemd, Kubernetes) would, and counted.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerProcess, type LogLine } from '../../test/support/worker-process.ts';
import { topologyFiles } from '../orders/apps.ts';

/** The orders system's topology files, as `tributary run topologies/*.ts` is given them. */
export const ORDERS_TOPOLOGIES = topologyFiles().map((file) => `topologies/${file}`);

export interface WorkerSettings {
  readonly brokers: string;
  readonly dir: string;
  readonly flags: Readonly<Record<string, string>>;
}

export class WorkerPool {
  private readonly current: (WorkerProcess | undefined)[];
  /** Every process run, in start order: their logs are the experiment's record. */
  readonly all: WorkerProcess[] = [];
  /** Exits nobody asked for, with how the process ended. */
  readonly unplannedExits: string[] = [];
  private readonly planned = new Set<WorkerProcess>();
  private closed = false;

  private readonly settings: WorkerSettings;

  constructor(size: number, settings: WorkerSettings) {
    this.settings = settings;
    this.current = Array.from({ length: size }, () => undefined);
  }

  stateDir(index: number): string {
    return join(this.settings.dir, `worker-${index + 1}`);
  }

  start(index: number): WorkerProcess {
    const worker = WorkerProcess.start({
      name: `worker-${index + 1}.${this.all.filter((w) => w.name.startsWith(`worker-${index + 1}.`)).length + 1}`,
      topologies: ORDERS_TOPOLOGIES,
      brokers: this.settings.brokers,
      stateDir: this.stateDir(index),
      flags: this.settings.flags,
    });
    this.current[index] = worker;
    this.all.push(worker);
    void worker.exited.then((how) => {
      if (this.planned.has(worker) || this.closed) return;
      const last = worker.logs.filter((l) => l.level >= 50).at(-1);
      this.unplannedExits.push(`${worker.name} exited (${how})${last ? `: ${last.msg}` : ''}`);
      if (this.current[index] === worker) setTimeout(() => !this.closed && this.start(index), 1_000);
    });
    return worker;
  }

  running(): number[] {
    return this.current.flatMap((w, i) => (w?.running ? [i] : []));
  }

  stopped(): number[] {
    return this.current.flatMap((w, i) => (w?.running ? [] : [i]));
  }

  async kill(index: number): Promise<void> {
    const worker = this.current[index];
    if (!worker) return;
    this.planned.add(worker);
    await worker.kill();
  }

  async stop(index: number): Promise<void> {
    const worker = this.current[index];
    if (!worker) return;
    this.planned.add(worker);
    this.current[index] = undefined;
    await worker.stop(60_000);
  }

  /**
   * Waits until every running worker has had tasks of all applications assigned once. A worker that
   * exits while starting is started again, as at any other time, and counted as an unplanned exit;
   * only workers that keep exiting end the wait.
   */
  async waitUntilAssigned(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const workers = this.current.filter((w): w is WorkerProcess => w !== undefined);
      const ready = workers.every(
        (w) =>
          w.running &&
          new Set(w.lines('tasks assigned').map((l: LogLine) => l.app)).size >= ORDERS_TOPOLOGIES.length,
      );
      if (ready) return;
      if (this.unplannedExits.length >= 3 * this.current.length)
        throw new Error(`the workers keep exiting while starting:\n${this.unplannedExits.join('\n')}`);
      if (Date.now() > deadline)
        throw new Error(`the workers were not assigned tasks within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.current.map(async (w) => {
        if (w) {
          this.planned.add(w);
          await w.stop(60_000);
        }
      }),
    );
  }

  /** Writes each worker process's log to a file of its own in `dir`, for a person to read afterwards. */
  saveLogs(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const w of this.all)
      writeFileSync(
        join(dir, `${w.name}.log`),
        [...w.logs.map((l) => JSON.stringify(l)), ...w.other].join('\n') + '\n',
      );
  }

  /** Store restores the workers logged: from the start of the changelog (full) or from a checkpoint (tail). */
  restores(): { full: number; tail: number } {
    let full = 0;
    let tail = 0;
    for (const w of this.all)
      for (const line of w.lines('restoring store')) {
        if (line.from === '0') full++;
        else tail++;
      }
    return { full, tail };
  }
}
