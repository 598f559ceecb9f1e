/**
 * What a `tributary` subcommand is. Each lives in its own file under `commands/` and default-exports a
 * Command; `main.ts` finds it by file name, so adding a command is adding one file.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TributaryError } from '../errors.ts';
import { toError } from '../common/to-error.ts';

/** 0: done; 1: ran, and the answer is "no" (output differs, a change breaks); 2: could not run. */
export const ExitCode = { ok: 0, checkFailed: 1, error: 2 } as const;

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  /** Where messages and progress go; a terminal (isTTY) gets a progress line redrawn in place. */
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Directory that relative paths are resolved against. */
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  /** One line for `tributary --help`. */
  readonly summary: string;
  /** The full help text of `tributary <name> --help`. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

export function defineCommand(command: Command): Command {
  return command;
}

/** What a command module default-exports, checked: main loads the modules by file name. */
export function isCommand(value: unknown): value is Command {
  return (
    typeof value === 'object' &&
    value !== null &&
    'name' in value &&
    typeof value.name === 'string' &&
    'summary' in value &&
    typeof value.summary === 'string' &&
    'usage' in value &&
    typeof value.usage === 'string' &&
    'run' in value &&
    typeof value.run === 'function'
  );
}

/** A mistake in how the command was called; main prints it with a pointer to the usage. */
export class UsageError extends TributaryError {
  constructor(message: string) {
    super('TRIB_USAGE', message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options that each take a string value, for `parseCommandArgs`. */
export function stringOptions(flags: readonly string[]): Record<string, { type: 'string' }> {
  return Object.fromEntries(flags.map((flag) => [flag, { type: 'string' as const }]));
}

/**
 * The string values of parsed options (those `stringOptions` declared), by flag name, as settings are
 * read from flags; boolean options (`--help`) are left out.
 */
export function stringValues(values: Readonly<Record<string, unknown>>): Record<string, string | undefined> {
  const strings: Record<string, string | undefined> = {};
  for (const [flag, value] of Object.entries(values)) if (typeof value === 'string') strings[flag] = value;
  return strings;
}

/** Node's parseArgs, with its errors turned into usage errors and `--help` handled by the caller. */
export function parseCommandArgs<O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(toError(error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}
