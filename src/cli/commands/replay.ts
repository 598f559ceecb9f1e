import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { compareWithGolden, toJsonl } from '../../testing/replay-format.ts';
import { replay } from '../../testing/replay.ts';
import { progressDisplay } from '../progress-display.ts';
import { ExitCode, UsageError, defineCommand, parseCommandArgs } from '../command.ts';
import { loadApp, readText } from '../load.ts';

export default defineCommand({
  name: 'replay',
  summary: 'run recorded input through one or more topologies and print (or check) their output',
  usage: `Usage: tributary replay <topology files...> --input <recording.jsonl> [options]

Runs the topologies together on one in-memory broker: each input record is written to its topic, and
whatever a topology writes to a topic that one of them reads is delivered before the next input record.
Prints every record written to a non-internal topic as JSONL:
  {"topic":...,"partition":...,"key":...,"value":...,"timestamp":...}

  --input <file>              the recording: one {"topic","key","value","timestamp"} object per line
                              ("partition" and "headers" are optional)
  --expect <file>             compare the output with a golden file; exit 1 with a diff if it differs
  --update                    with --expect: write the output to the golden file instead of comparing
  --output <file>             write the output to a file instead of standard output
  --partitions <n>            partitions of every topic (default 1)
  --partitions <topic>=<n>    partitions of one topic (repeatable)

A long replay shows its progress on standard error: a line redrawn in place on a terminal, a line
every 10 s otherwise (TRIBUTARY_PROGRESS_INTERVAL_MS changes the interval).

Exit codes: 0 done (and matches), 1 output differs from --expect, 2 usage error or failure.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      input: { type: 'string', short: 'i' },
      expect: { type: 'string', short: 'e' },
      update: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      partitions: { type: 'string', short: 'p', multiple: true },
    });
    if (positionals.length === 0) throw new UsageError('name at least one topology file');
    if (values.input === undefined) throw new UsageError('--input <recording.jsonl> is required');
    if (values.update && values.expect === undefined)
      throw new UsageError('--update needs --expect <golden file>');
    const { partitions, topicPartitions } = parsePartitions(values.partitions ?? []);

    const apps = [];
    for (const file of positionals) apps.push(await loadApp(file, io.cwd));
    const input = await readText(values.input, io.cwd);
    const progress = progressDisplay(io.stderr, 'replay', { unit: 'input records' });
    const result = await replay({
      apps,
      input,
      inputSource: values.input,
      partitions,
      topicPartitions,
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.finish();
    const jsonl = toJsonl(result.records);

    if (values.expect === undefined) {
      if (values.output !== undefined) await writeFile(resolve(io.cwd, values.output), jsonl);
      else io.stdout.write(jsonl);
      return ExitCode.ok;
    }
    if (values.output !== undefined) await writeFile(resolve(io.cwd, values.output), jsonl);
    if (values.update) {
      await writeFile(resolve(io.cwd, values.expect), jsonl);
      io.stderr.write(`wrote ${result.records.length} records to ${values.expect}\n`);
      return ExitCode.ok;
    }
    const golden = await readText(values.expect, io.cwd);
    const comparison = compareWithGolden(result.records, golden, values.expect);
    io.stdout.write(comparison.report);
    return comparison.matches ? ExitCode.ok : ExitCode.checkFailed;
  },
});

function parsePartitions(values: readonly string[]): {
  partitions: number | undefined;
  topicPartitions: Record<string, number>;
} {
  let partitions: number | undefined;
  const topicPartitions: Record<string, number> = {};
  const count = (text: string, option: string) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1)
      throw new UsageError(`--partitions ${option}: expected a positive whole number`);
    return n;
  };
  for (const value of values) {
    const at = value.lastIndexOf('=');
    if (at < 0) partitions = count(value, value);
    else {
      const topic = value.slice(0, at);
      if (topic.length === 0) throw new UsageError(`--partitions ${value}: expected <topic>=<n>`);
      topicPartitions[topic] = count(value.slice(at + 1), value);
    }
  }
  return { partitions, topicPartitions };
}
