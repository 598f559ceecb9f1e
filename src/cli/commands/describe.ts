import { ExitCode, UsageError, defineCommand, parseCommandArgs } from '../command.ts';
import { loadDescription } from '../load.ts';

const formats = ['text', 'json', 'mermaid'] as const;

export default defineCommand({
  name: 'describe',
  summary: 'print a topology as text, JSON or a Mermaid flowchart',
  usage: `Usage: tributary describe <file> [--format text|json|mermaid] [--application-id <id>]

Prints the topology of <file>: a topology file (.ts/.js default-exporting defineApp), a topology as
data (.json with "nodes"), or a saved description (.json from --format json).

  --format text       Kafka Streams' TopologyDescription layout (default)
  --format json       the description as data; save it to compare versions with "tributary diff"
  --format mermaid    a Mermaid flowchart
  --application-id    show internal topics under this application id (default: the app's own)
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      format: { type: 'string', short: 'f' },
      'application-id': { type: 'string' },
    });
    const [file] = positionals;
    if (file === undefined || positionals.length !== 1)
      throw new UsageError('expected exactly one file to describe');
    const given = values.format ?? 'text';
    const format = formats.find((known) => known === given);
    if (format === undefined)
      throw new UsageError(`--format must be one of ${formats.join(', ')}, got "${given}"`);
    const description = await loadDescription(file, io.cwd, values['application-id']);
    const output =
      format === 'json'
        ? `${JSON.stringify(description.toJSON(), null, 2)}\n`
        : format === 'mermaid'
          ? description.toMermaid()
          : description.toString();
    io.stdout.write(output);
    return ExitCode.ok;
  },
});
