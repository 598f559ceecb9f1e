import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/command.ts';
import run from '../../../src/cli/commands/run.ts';
import start from '../../../src/cli/commands/start.ts';
import { CONFIG_FILE, SETTINGS, helpTable, settingHelpRows } from '../../../src/runtime/worker/settings.ts';

const io: CliIo = { stdout: { write: () => true }, stderr: { write: () => true }, cwd: process.cwd() };
const rows = [...Object.values(SETTINGS), CONFIG_FILE];

/** The usage line of one flag, as a command's help prints it. */
function helpLine(usage: string, flag: string): string {
  const line = usage.split('\n').find((l) => l.startsWith(`  --${flag} `));
  if (!line) throw new Error(`--${flag} is not in the help:\n${usage}`);
  return line;
}

describe('the settings table is the one source of the worker commands’ flags and help', () => {
  it('lists every setting in `run --help` with its flag, environment variable, meaning and default', () => {
    for (const setting of rows) {
      const line = helpLine(run.usage, setting.flag);
      expect(line).toContain(`--${setting.flag} ${setting.help.value}`);
      expect(line).toContain(setting.env);
      expect(line).toContain(setting.help.meaning);
      expect(line).toContain(
        setting.help.default === 'required' ? '(required)' : `(default: ${setting.help.default})`,
      );
    }
  });

  it('lists every setting in `start --help` too, with the defaults start sets itself', () => {
    for (const setting of rows) expect(helpLine(start.usage, setting.flag)).toContain(setting.env);
    expect(helpLine(start.usage, 'state-dir')).toContain('(default: <data-dir>/state)');
    expect(helpLine(start.usage, 'brokers')).toContain('(default: none: the embedded log)');
    expect(helpLine(start.usage, 'port')).toContain('PORT');
  });

  it('aligns the columns', () => {
    const table = helpTable(settingHelpRows()).split('\n');
    const column = (text: string) => table.map((line) => line.indexOf(text, 4));
    expect(new Set(column('KAFKA_BROKERS').filter((i) => i > 0)).size).toBe(1);
    expect(table[0]!.indexOf('KAFKA_BROKERS')).toBe(table[1]!.indexOf('STATE_DIR'));
  });

  it('makes both commands accept every setting flag', async () => {
    for (const setting of rows) {
      // `run` parses the flags, then finds no topology file: the flag itself was accepted.
      await expect(run.run([`--${setting.flag}`, 'x'], io), setting.flag).rejects.toThrow(
        'name at least one topology file',
      );
      // `start` parses the flags, then refuses the port before it loads anything.
      await expect(start.run(['--port', 'none', `--${setting.flag}`, 'x'], io), setting.flag).rejects.toThrow(
        '--port must be a whole number',
      );
    }
  });

  it('gives every setting a flag, an environment variable and a config-file key of its own', () => {
    for (const key of ['flag', 'env', 'file'] as const) {
      const names = Object.values(SETTINGS).map((s) => s[key]);
      expect(new Set(names).size, key).toBe(names.length);
    }
    expect(Object.values(SETTINGS).map((s) => s.flag)).not.toContain(CONFIG_FILE.flag);
  });
});
