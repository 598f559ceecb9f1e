/**
 * The `tributary` command. `bin/tributary.js` starts it (from the sources in a checkout, from dist/
 * once built). Subcommands are the files in `commands/`, loaded by name.
 */
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { TributaryError, errorMessage } from '../errors.ts';
import { ExitCode, UsageError, isCommand, type CliIo, type Command } from './command.ts';

/** The commands' files share this module's extension: .ts in a checkout, .js in dist/. */
const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const commandsDirectory = new URL('./commands/', import.meta.url);

function commandNames(): string[] {
  return readdirSync(commandsDirectory)
    .filter((f) => f.endsWith(extension) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -extension.length))
    .sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return undefined;
  const module: unknown = await import(new URL(`${name}${extension}`, commandsDirectory).href);
  const exported =
    typeof module === 'object' && module !== null && 'default' in module ? module.default : undefined;
  if (!isCommand(exported))
    throw new TributaryError(
      'TRIB_INTERNAL',
      `commands/${name}${extension} does not default-export a command`,
    );
  return exported;
}

async function overview(): Promise<string> {
  const commands = (await Promise.all(commandNames().map(loadCommand))).filter((c): c is Command => !!c);
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: tributary <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "tributary <command> --help" for the options of a command.',
    'Exit codes: 0 done, 1 the check failed (output differs, a change breaks), 2 usage error or failure.',
    '',
  ].join('\n');
}

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };

/** Runs the command line and returns the exit code (it never calls process.exit). */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const text = await overview();
    (name === undefined ? io.stderr : io.stdout).write(text);
    return name === undefined ? ExitCode.error : ExitCode.ok;
  }
  const command = await loadCommand(name);
  if (!command) {
    io.stderr.write(`tributary: unknown command "${name}"; commands: ${commandNames().join(', ')}\n`);
    return ExitCode.error;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return ExitCode.ok;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`tributary ${name}: ${error.message}\nRun "tributary ${name} --help" for usage.\n`);
    } else {
      io.stderr.write(`tributary ${name}: ${errorMessage(error)}\n`);
      if (process.env.TRIBUTARY_DEBUG)
        io.stderr.write(`${error instanceof Error ? (error.stack ?? '') : ''}\n`);
    }
    return ExitCode.error;
  }
}

// Run when started directly (`node --conditions=tributary-source src/cli/main.ts ...`), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
