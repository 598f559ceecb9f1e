import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TributaryApp } from '../../app/define-app.ts';
import type { LogRecord } from '../../kafka/port.ts';
import type { RecordedRecord } from '../../testing/replay-format.ts';
import { ExitCode, UsageError, defineCommand, parseCommandArgs, type CliIo } from '../command.ts';
import { loadProjectApps, TOPOLOGIES_DIRECTORY } from '../load.ts';
import { topicDecoder } from '../reading/decoding.ts';
import { connectionOf, rangeOf, readingHelp, readingOptions } from '../reading/options.ts';
import { readTopics } from '../reading/read-topics.ts';

const CLIENT_ID = 'tributary-tail';
const DEFAULT_LINES = 10;

export default defineCommand({
  name: 'tail',
  summary: 'print the records of a topic as JSON lines, decoded (on Kafka or the embedded log)',
  usage: `Usage: tributary tail <topic> [topology files...] [options]

Prints the records of a topic, one JSON object per line, decoded with the serdes the topology files
define for it (./${TOPOLOGIES_DIRECTORY}/ when none are named):
  {"topic":"emails","partition":0,"offset":3,"key":"o-1","value":{...},"timestamp":1700000000000}
A record's "headers" are shown when it has any. A key or value its serde cannot read, or of a topic
no topology file knows, is shown as its bytes ("rawKey"/"rawValue", base64).

  -n, --lines <n>             without a --from-* option: the last n records (default ${DEFAULT_LINES})

${readingHelp}

Examples:
  tributary tail emails --from-beginning        every email so far
  tributary tail orders --follow                the last ${DEFAULT_LINES} orders, then each new one until Ctrl-C
  tributary tail orders --from-time 15m -f      the last 15 minutes, then follow

Exit codes: 0 done (also when stopped with Ctrl-C), 2 usage error or failure.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...readingOptions,
      lines: { type: 'string', short: 'n' },
    });
    const [topic, ...files] = positionals;
    if (topic === undefined) throw new UsageError('name the topic to show');
    const lines = values.lines === undefined ? DEFAULT_LINES : Number(values.lines);
    if (!Number.isInteger(lines) || lines < 1)
      throw new UsageError(`--lines ${values.lines}: expected a whole number of at least 1`);
    const range = rangeOf(values, { kind: 'last', count: lines });
    const connection = connectionOf(values);
    const apps = await appsFor(files, io);
    const decoder = topicDecoder(apps, {
      schemaRegistryUrl: connection.schemaRegistryUrl,
      clientId: CLIENT_ID,
    });
    if (!decoder.knows(topic))
      io.stderr.write(
        `note: no topology file reads or writes "${topic}"; keys and values are shown as bytes (base64)\n`,
      );

    // The last n records only: keep the newest n of what was there until reading catches up.
    const keepLast = range.start.kind === 'last' ? lines : undefined;
    const kept: string[] = [];
    let live = keepLast === undefined;
    const print = (line: string) => void io.stdout.write(`${line}\n`);
    const flushKept = () => {
      for (const line of kept.splice(0)) print(line);
      live = true;
    };
    await readTopics({
      connection,
      topics: [topic],
      range,
      decoder,
      clientId: CLIENT_ID,
      io,
      onRecord: (decoded, record) => {
        const line = tailLine(decoded.record, record);
        if (live) return print(line);
        kept.push(line);
        if (keepLast !== undefined && kept.length > keepLast) kept.shift();
      },
      onCaughtUp: flushKept,
    });
    flushKept();
    return ExitCode.ok;
  },
});

/** The topology files named, else those of ./topologies when there is such a directory, else none. */
async function appsFor(files: readonly string[], io: CliIo): Promise<TributaryApp[]> {
  if (files.length === 0 && !existsSync(resolve(io.cwd, TOPOLOGIES_DIRECTORY))) return [];
  return loadProjectApps(files, io);
}

/** A recording line with the record's offset after its partition. */
function tailLine(recorded: RecordedRecord, record: LogRecord): string {
  const { topic, partition, ...rest } = recorded;
  return JSON.stringify({ topic, partition, offset: Number(record.offset), ...rest });
}
