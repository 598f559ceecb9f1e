/**
 * The human-readable log format (`--log-format pretty`, the default on a terminal): one line per event,
 * `12:34:56.789 INFO  message  key=value ...`, with an error's stack below it. Built in rather than a
 * pino transport, so an installed package needs nothing more to log on a terminal, and lines are
 * written in order on the main thread.
 */

/** Where log lines go: standard output, or a buffer in tests. */
export interface LogDestination {
  write(text: string): unknown;
}

/** Fields every pino line has that the pretty format shows differently (or not at all: pid, host, name). */
const SHOWN_APART = new Set(['level', 'levelName', 'time', 'msg', 'pid', 'hostname', 'name']);

/** ANSI colors of the level names: quiet for debug, loud for errors. */
const LEVEL_COLORS: Record<string, string> = {
  trace: '90',
  debug: '90',
  info: '32',
  warn: '33',
  error: '31',
  fatal: '41;97',
};

const paint = (code: string, text: string, colors: boolean) =>
  colors ? `\x1b[${code}m${text}\x1b[0m` : text;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time with milliseconds: a person reads the log against their own clock. */
function clockTime(epochMs: number): string {
  const t = new Date(epochMs);
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
}

/** A field's value as it reads best: bare words bare, everything else as JSON. */
function fieldValue(value: unknown): string {
  if (typeof value === 'string' && /^[^\s"=]+$/.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
}

interface SerializedError {
  readonly message?: string;
  readonly stack?: string;
  readonly [field: string]: unknown;
}

/** Formats one JSON log line (as pino writes it) for a person; a line that is not JSON passes as is. */
export function prettyLine(json: string, colors: boolean): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const levelName = String(event.levelName ?? event.level ?? '');
  const time = typeof event.time === 'number' ? clockTime(event.time) : '';
  // An error (pino serializes Error objects) goes below the line, with its stack; anything else is a field.
  const error =
    typeof event.err === 'object' && event.err !== null ? (event.err as SerializedError) : undefined;
  const fields = Object.entries(event)
    .filter(([key]) => !SHOWN_APART.has(key) && !(key === 'err' && error))
    .map(([key, value]) => `${key}=${fieldValue(value)}`)
    .join(' ');
  const head = [
    paint('2', time, colors),
    paint(LEVEL_COLORS[levelName] ?? '0', levelName.toUpperCase().padEnd(5), colors),
    typeof event.msg === 'string' ? event.msg : '',
  ].join(' ');
  let line = fields ? `${head}  ${paint('2', fields, colors)}` : head;
  if (error) {
    const { type: _type, message, stack, ...more } = error;
    const details = typeof stack === 'string' ? stack : `Error: ${message ?? JSON.stringify(error)}`;
    const extra = Object.keys(more).length > 0 ? `\n${JSON.stringify(more)}` : '';
    line += `\n${indent(details + extra)}`;
  }
  return `${line}\n`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** A destination for pino that writes each line in the pretty format to `out`. */
export function prettyDestination(out: LogDestination & { hasColors?: () => boolean }): LogDestination {
  const colors = out.hasColors?.() ?? false;
  return { write: (text) => out.write(prettyLine(text, colors)) };
}
