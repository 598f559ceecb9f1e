import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProcessSampler, processCpuMs, processPeakRssMiB } from '../../scripts/bench/process-stats.ts';

describe('a process measured from /proc (scripts/bench/process-stats.ts)', () => {
  it('reads the CPU time a process has used, as its own accounting does', () => {
    const before = processCpuMs(process.pid)!;
    const own = process.cpuUsage();
    const until = Date.now() + 300;
    while (Date.now() < until); // busy: CPU time grows with wall time
    const used = process.cpuUsage(own);
    const after = processCpuMs(process.pid)!;
    // /proc counts in clock ticks (10 ms): allow two ticks either way.
    expect(after - before).toBeGreaterThan((used.user + used.system) / 1000 - 20);
    expect(after - before).toBeLessThan((used.user + used.system) / 1000 + 20 + 100);
  });

  it('reads the peak resident set size, and nothing for a process that is gone', () => {
    const rss = process.memoryUsage.rss() / 2 ** 20;
    expect(processPeakRssMiB(process.pid)).toBeGreaterThanOrEqual(Math.floor(rss) - 1);
    const gone = spawnSync('true').pid;
    expect(processCpuMs(gone)).toBeUndefined();
    expect(processPeakRssMiB(gone)).toBeUndefined();
  });

  it('keeps samples so a figure can be read as of an earlier moment', async () => {
    const sampler = new ProcessSampler(process.pid, 20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    sampler.stop();
    const [first, second] = sampler.samples;
    expect(sampler.samples.length).toBeGreaterThan(2);
    expect(sampler.at(second!.time).time).toBe(second!.time);
    expect(sampler.at(second!.time).cpuMs).toBeGreaterThanOrEqual(first!.cpuMs);
    // Before the first sample: the first one.
    expect(sampler.at(first!.time - 1)).toBe(first);
    expect(sampler.at(Date.now())).toBe(sampler.last);
  });
});
