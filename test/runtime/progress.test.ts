import { describe, expect, it } from 'vitest';
import { progressDisplay } from '../../src/cli/progress-display.ts';
import {
  ProgressMeter,
  describeCompletion,
  describeProgress,
  formatDuration,
  progressInterval,
} from '../../src/runtime/progress.ts';

const CLEAR_TO_END = '\u001b[K';

function clock(start = 1_000_000) {
  const c = { ms: start, now: () => c.ms };
  return c;
}

describe('progress of long work', () => {
  it('measures the recent rate and the time left at it', () => {
    const c = clock();
    const meter = new ProgressMeter(100_000, c.now);
    c.ms += 2_000;
    meter.update(20_000);
    expect(meter.snapshot()).toMatchObject({ done: 20_000, ratePerSecond: 10_000, etaMs: 8_000 });
    // Slower now: after ten more seconds at 1,000/s the old pace no longer counts.
    for (let i = 1; i <= 12; i++) {
      c.ms += 1_000;
      meter.update(20_000 + i * 1_000);
    }
    const slow = meter.snapshot();
    expect(slow.ratePerSecond).toBeGreaterThan(900);
    expect(slow.ratePerSecond).toBeLessThan(1_300);
    expect(describeProgress(slow)).toMatch(
      /^32,000 of 100,000 records \(32%\), 1,\d{3}\/s, about 1 min \d+ s left$/,
    );
  });

  it('says when it cannot know the time left yet, and how it went at the end', () => {
    const c = clock();
    const meter = new ProgressMeter(10, c.now);
    expect(describeProgress(meter.snapshot(), 'input records')).toBe(
      '0 of 10 input records (0%), 0/s, time left unknown',
    );
    c.ms += 4_000;
    meter.update(10);
    expect(describeCompletion(meter.snapshot())).toBe('10 records in 4 s (3/s)');
    expect([formatDuration(850), formatDuration(185_000), formatDuration(7_800_000)]).toEqual([
      '850 ms',
      '3 min 5 s',
      '2 h 10 min',
    ]);
  });

  it('takes its interval from TRIBUTARY_PROGRESS_INTERVAL_MS when that is a positive number', () => {
    expect(progressInterval(10_000, { TRIBUTARY_PROGRESS_INTERVAL_MS: '50' })).toBe(50);
    expect(progressInterval(10_000, { TRIBUTARY_PROGRESS_INTERVAL_MS: 'soon' })).toBe(10_000);
    expect(progressInterval(10_000, {})).toBe(10_000);
  });
});

describe('the progress display of a command', () => {
  function run(isTTY: boolean, steps: number, stepMs: number) {
    const c = clock();
    let written = '';
    const display = progressDisplay({ isTTY, write: (t: string) => (written += t) }, 'replay', {
      now: c.now,
    });
    for (let i = 1; i <= steps; i++) {
      c.ms += stepMs;
      display.update(i * 1_000, steps * 1_000);
    }
    display.finish();
    return written;
  }

  it('redraws one line in place on a terminal, and ends it with a summary', () => {
    const written = run(true, 20, 300);
    // Each redraw: a carriage return, the line, and "erase to the end of the line".
    const redraws = written.split('\r').slice(1);
    expect(redraws.length).toBeGreaterThan(10);
    expect(redraws.every((r) => r.includes(CLEAR_TO_END))).toBe(true);
    expect(redraws[0]).toMatch(/^replay: 4,000 of 20,000 records \(20%\), [\d,]+\/s, about \d+ s left/);
    expect(redraws.at(-1)).toMatch(/^replay: 20,000 records in 6 s \([\d,]+\/s\)/);
    expect(written.endsWith(`${CLEAR_TO_END}\n`)).toBe(true);
    expect(written.split('\n')).toHaveLength(2);
  });

  it('writes a plain line now and then elsewhere, never a carriage return', () => {
    const written = run(false, 60, 500);
    expect(written).not.toContain('\r');
    expect(written).not.toContain(CLEAR_TO_END);
    const lines = written.trimEnd().split('\n');
    // A line at 10 s and at 20 s (at 30 s it is done), and the summary.
    expect(lines).toHaveLength(2 + 1);
    expect(lines[0]).toMatch(/^replay: 20,000 of 60,000 records \(33%\), 2,000\/s, about 20 s left$/);
    expect(lines.at(-1)).toBe('replay: 60,000 records in 30 s (2,000/s)');
  });

  it('shows nothing for work that ends before the first report', () => {
    expect(run(true, 3, 100)).toBe('');
    expect(run(false, 10, 500)).toBe('');
  });
});
