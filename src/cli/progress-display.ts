/**
 * Shows the progress of a command's long work on standard error: on a terminal, one line redrawn in
 * place; otherwise (a log file, CI) a plain line now and then, never a carriage return. Work that ends
 * before the first report shows nothing, so quick runs stay quiet.
 */
import {
  LOG_PROGRESS_INTERVAL_MS,
  ProgressMeter,
  TERMINAL_PROGRESS_INTERVAL_MS,
  describeCompletion,
  describeProgress,
  progressInterval,
} from '../runtime/progress.ts';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface ProgressDisplay {
  update(done: number, total: number): void;
  /** The closing line, when anything was shown. */
  finish(): void;
}

/** On a terminal, the first redraw waits this long: a second of work needs no progress line. */
const TERMINAL_FIRST_REPORT_MS = 1_000;

export function progressDisplay(
  stream: ProgressStream,
  label: string,
  options: { unit?: string; now?: () => number } = {},
): ProgressDisplay {
  const now = options.now ?? Date.now;
  const unit = options.unit ?? 'records';
  const terminal = stream.isTTY === true;
  const interval = progressInterval(terminal ? TERMINAL_PROGRESS_INTERVAL_MS : LOG_PROGRESS_INTERVAL_MS);
  const meter = new ProgressMeter(0, now);
  let nextReport = now() + progressInterval(terminal ? TERMINAL_FIRST_REPORT_MS : LOG_PROGRESS_INTERVAL_MS);
  let shown = false;
  return {
    update(done, total) {
      meter.update(done, total);
      if (now() < nextReport || done >= total) return;
      nextReport = now() + interval;
      shown = true;
      const line = `${label}: ${describeProgress(meter.snapshot(), unit)}`;
      // \x1b[K clears what a longer previous line left on the right.
      stream.write(terminal ? `\r${line}\x1b[K` : `${line}\n`);
    },
    finish() {
      if (!shown) return;
      const line = `${label}: ${describeCompletion(meter.snapshot(), unit)}`;
      stream.write(terminal ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}
