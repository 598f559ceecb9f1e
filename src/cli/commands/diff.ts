import { diffTopologies } from '../../topology/diff.ts';
import { ExitCode, UsageError, defineCommand, parseCommandArgs } from '../command.ts';
import { loadDescription } from '../load.ts';

export default defineCommand({
  name: 'diff',
  summary: 'compare two versions of a topology; exit 1 when a change breaks state or data',
  usage: `Usage: tributary diff <before> <after> [--format text|json]

Compares two versions of a topology, each a topology file (.ts/.js), a topology as data (.json) or a
description saved with "tributary describe --format json". Changes that break a running application
(renamed or removed stores and changelogs, changed store kinds, serdes or windows, renamed repartition
topics, source topic changes) are listed apart from harmless ones.

Exit codes: 0 compatible, 1 breaking changes, 2 usage error or failure.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { format: { type: 'string', short: 'f' } });
    const [beforeFile, afterFile] = positionals;
    if (beforeFile === undefined || afterFile === undefined || positionals.length !== 2)
      throw new UsageError('expected two files: <before> <after>');
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json')
      throw new UsageError(`--format must be text or json, got "${format}"`);
    const [before, after] = await Promise.all([
      loadDescription(beforeFile, io.cwd),
      loadDescription(afterFile, io.cwd),
    ]);
    const diff = diffTopologies(before, after);
    io.stdout.write(format === 'json' ? `${JSON.stringify(diff.toJSON(), null, 2)}\n` : diff.toString());
    return diff.compatible ? ExitCode.ok : ExitCode.checkFailed;
  },
});
