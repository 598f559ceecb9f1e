import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { once } from 'node:events';
import { TributaryError } from '../../errors.ts';
import { formatRecordedRecord } from '../../testing/replay-format.ts';
import { ExitCode, UsageError, defineCommand, parseCommandArgs, type CliIo } from '../command.ts';
import { loadProjectApps, TOPOLOGIES_DIRECTORY, topicsRead, topicsWritten } from '../load.ts';
import { connectionOf, rangeOf, readingHelp, readingOptions } from '../reading/options.ts';
import { readTopics } from '../reading/read-topics.ts';
import { topicDecoder } from '../reading/decoding.ts';

const CLIENT_ID = 'tributary-record';

export default defineCommand({
  name: 'record',
  summary: 'capture records from live topics into a recording that replay and the test driver take',
  usage: `Usage: tributary record [topology files...] --topic <name> [--topic <name>...] [options]

Reads live topics (on Kafka, or the embedded log of \`tributary start\`) and writes their records as a
recording: one JSON object per line, in the replay format, decoded with the serdes the topology files
define for each topic (./${TOPOLOGIES_DIRECTORY}/ when none are named):
  {"topic":"orders","partition":0,"key":"o-1","value":{...},"timestamp":1700000000000,"headers":{...}}
Avro values are plain objects, windowed keys {"key","window":{"start","end"}}, a tombstone has
"value":null. Records come in the order a task processes them: offset order in a partition, the
smallest timestamp first across partitions. \`tributary replay --input\` and
TopologyTestDriver.pipeRecording take the file as it is.

A key or value its serde cannot read is not dropped: it is kept as its bytes, "rawKey"/"rawValue" in
base64, which replay writes unchanged (so the topology's deserialization handler meets it as in
production), and a warning names its topic, partition, offset and the serde's error.

  --topic <name>              a topic to record; repeatable (required)
  -o, --output <file>         write the recording to a file (default: standard output)

${readingHelp}

Ctrl-C (SIGINT) or SIGTERM stops recording: every record read so far is written, and the file closed.
Exit codes: 0 recorded (also when stopped), 2 usage error or failure.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...readingOptions,
      topic: { type: 'string', short: 't', multiple: true },
      output: { type: 'string', short: 'o' },
    });
    const range = rangeOf(values, undefined);
    const apps = await loadProjectApps(positionals, io);
    const topics = values.topic ?? [];
    if (topics.length === 0)
      throw new UsageError(`name the topics to record with --topic; ${readByApps(apps)}`);
    const connection = connectionOf(values);
    const decoder = topicDecoder(apps, {
      schemaRegistryUrl: connection.schemaRegistryUrl,
      clientId: CLIENT_ID,
    });
    const unknown = topics.filter((t) => !decoder.knows(t));
    if (unknown.length > 0)
      throw new UsageError(
        `no topology file reads or writes ${unknown.map((t) => `"${t}"`).join(', ')}, so ${unknown.length === 1 ? 'its serdes are' : 'their serdes are'} unknown; ${readByApps(apps)}`,
      );

    const output = values.output === undefined ? undefined : resolve(io.cwd, values.output);
    // Opened once reading can begin, so a failure before (a missing topic) leaves no empty file behind.
    let writer: LineWriter | undefined;
    let result;
    try {
      result = await readTopics({
        connection,
        topics,
        range,
        decoder,
        clientId: CLIENT_ID,
        io,
        onStart: (plan, source) => {
          writer = lineWriter(output, io);
          io.stderr.write(
            `recording ${topics.join(', ')} (${plan.length} partition${plan.length === 1 ? '' : 's'}) from ${source}${range.stop.kind === 'never' ? '; Ctrl-C stops' : ''}\n`,
          );
        },
        onRecord: (decoded) => {
          if (!writer) throw new TributaryError('TRIB_INTERNAL', 'a record was read before reading began');
          return writer.write(`${formatRecordedRecord(decoded.record)}\n`);
        },
      });
    } finally {
      await writer?.close();
    }
    io.stderr.write(
      `recorded ${result.records} record${result.records === 1 ? '' : 's'}${output ? ` to ${values.output}` : ''}${result.stopped ? ' (stopped)' : ''}\n`,
    );
    if (result.undecodable > 0)
      io.stderr.write(
        `${result.undecodable} record${result.undecodable === 1 ? '' : 's'} could not be decoded and ${result.undecodable === 1 ? 'is' : 'are'} kept as raw bytes (see the warnings above)\n`,
      );
    return ExitCode.ok;
  },
});

function readByApps(apps: Parameters<typeof topicsRead>[0]): string {
  const read = topicsRead(apps);
  const written = new Set(topicsWritten(apps));
  if (read.length === 0) return 'the topology files read no topics';
  return `the topology files read ${read.map((t) => (written.has(t) ? `${t} (which they also write)` : t)).join(', ')}`;
}

interface LineWriter {
  write(line: string): void | Promise<void>;
  close(): Promise<void>;
}

/** Lines to a file (waiting when the disk falls behind) or to standard output. */
function lineWriter(path: string | undefined, io: CliIo): LineWriter {
  if (path === undefined)
    return { write: (line) => void io.stdout.write(line), close: async () => undefined };
  const stream: WriteStream = createWriteStream(path);
  let failure: Error | undefined;
  stream.on('error', (error) => (failure = error));
  return {
    async write(line) {
      if (failure) throw failure;
      if (!stream.write(line)) await once(stream, 'drain');
    },
    async close() {
      if (!stream.closed) {
        stream.end();
        await once(stream, 'close');
      }
      if (failure) throw failure;
    },
  };
}
