// A process's own CPU time and peak memory, read from /proc the same way for any process (a Node
// worker, a JVM), so that two engines are measured by one ruler.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's CPU fields (almost always 100). */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of the process (all its threads) so far, in ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the name and state.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** Peak resident set size so far (VmHWM), in MiB; undefined once the process is gone. */
export function processPeakRssMiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export interface ProcessSample {
  readonly time: number;
  readonly cpuMs: number;
  readonly peakRssMiB: number;
}

/**
 * Samples a process's CPU time and peak RSS every `everyMs`, so figures can be read as of a moment
 * found later (the last decision of a catch-up) and after the process has exited.
 */
export class ProcessSampler {
  readonly samples: ProcessSample[] = [];
  private readonly pid: number;
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number, everyMs = 250) {
    this.pid = pid;
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    const cpuMs = processCpuMs(this.pid);
    const peakRssMiB = processPeakRssMiB(this.pid);
    if (cpuMs !== undefined && peakRssMiB !== undefined)
      this.samples.push({ time: Date.now(), cpuMs, peakRssMiB });
  }

  /** The last sample taken at or before `time` (the first one if none was). */
  at(time: number): ProcessSample {
    let found = this.samples[0];
    for (const s of this.samples) if (s.time <= time) found = s;
    if (!found) throw new Error(`no sample of process ${this.pid}`);
    return found;
  }

  get last(): ProcessSample {
    const last = this.samples.at(-1);
    if (!last) throw new Error(`no sample of process ${this.pid}`);
    return last;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
