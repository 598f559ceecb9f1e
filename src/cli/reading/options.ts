/** The options `record` and `tail` share: where the event log is, and which records to read. */
import { UsageError } from '../command.ts';
import { parseOffsets, parseTime, type ReadRange, type StartAt, type StopAt } from './range.ts';

export const readingOptions = {
  brokers: { type: 'string' },
  'data-dir': { type: 'string' },
  'schema-registry': { type: 'string' },
  'from-beginning': { type: 'boolean' },
  'from-offset': { type: 'string', multiple: true },
  'from-time': { type: 'string' },
  'to-offset': { type: 'string', multiple: true },
  'to-time': { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  partition: { type: 'string', multiple: true },
  'read-uncommitted': { type: 'boolean' },
} as const;

export const readingHelp = `Where to read (Kafka, or the embedded log of \`tributary start\`):
  --brokers <host:port,...>   Kafka's bootstrap servers (env KAFKA_BROKERS)
  --data-dir <dir>            without brokers: the embedded log under <dir>/log (env DATA_DIR; ./data);
                              read-only, so it may belong to a running \`tributary start\`
  --schema-registry <url>     Avro topics are in the registry's wire format (env SCHEMA_REGISTRY_URL)
  --read-uncommitted          also records of open and aborted transactions (default: read_committed)

Which records, per partition (times: ms since the epoch, ISO 8601, or a duration ago like 15m, 2h, 1d):
  --from-beginning            from the first record
  --from-offset <offset>      from an offset: 120 (every partition), 3=120 (partition 3), orders:3=120;
                              repeatable
  --from-time <time>          from the first record at or after a time
  --to-offset <offset>        up to (not including) an offset, in the same forms
  --to-time <time>            up to the first record at or after a time
  -f, --follow                keep reading new records until stopped (Ctrl-C or SIGTERM; a second
                              Ctrl-C stops at once, without the clean finish)
  --partition <n>             only this partition of each topic; repeatable
Without --to-* or --follow, reading stops at the end each partition had when it began. A time range
is a range of offsets, as Kafka's offsets-for-times gives them: a record whose timestamp is out of
order inside it is kept, where the topology met it.`;

export interface ReadingValues {
  readonly brokers?: string;
  readonly 'data-dir'?: string;
  readonly 'schema-registry'?: string;
  readonly 'from-beginning'?: boolean;
  readonly 'from-offset'?: string[];
  readonly 'from-time'?: string;
  readonly 'to-offset'?: string[];
  readonly 'to-time'?: string;
  readonly follow?: boolean;
  readonly partition?: string[];
  readonly 'read-uncommitted'?: boolean;
}

export interface Connection {
  readonly brokers: string[] | undefined;
  readonly dataDir: string;
  readonly schemaRegistryUrl: string | undefined;
  readonly readCommitted: boolean;
}

export function connectionOf(values: ReadingValues, env: NodeJS.ProcessEnv = process.env): Connection {
  const brokers = (values.brokers ?? env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  return {
    brokers: brokers.length > 0 ? brokers : undefined,
    dataDir: values['data-dir'] ?? (env.DATA_DIR || 'data'),
    schemaRegistryUrl: values['schema-registry'] ?? (env.SCHEMA_REGISTRY_URL || undefined),
    readCommitted: !values['read-uncommitted'],
  };
}

/**
 * The range the options ask for; `defaultStart` is used when no --from-* option is given (undefined:
 * the caller has none, and says what to give instead).
 */
export function rangeOf(
  values: ReadingValues,
  defaultStart: StartAt | undefined,
  now = Date.now(),
): ReadRange {
  const starts = [
    values['from-beginning'] && '--from-beginning',
    values['from-offset'] && '--from-offset',
    values['from-time'] && '--from-time',
  ].filter((s): s is string => !!s);
  if (starts.length > 1) throw new UsageError(`${starts.join(' and ')}: give one start`);
  const stops = [
    values['to-offset'] && '--to-offset',
    values['to-time'] && '--to-time',
    values.follow && '--follow',
  ].filter((s): s is string => !!s);
  if (stops.length > 1)
    throw new UsageError(`${stops.join(' and ')}: give one of --to-offset, --to-time and --follow`);

  let start: StartAt | undefined = defaultStart;
  if (values['from-beginning']) start = { kind: 'beginning' };
  if (values['from-offset'])
    start = { kind: 'offset', offsets: parseOffsets(values['from-offset'], '--from-offset') };
  if (values['from-time'])
    start = { kind: 'time', timestamp: parseTime(values['from-time'], '--from-time', now) };
  let stop: StopAt = { kind: 'end' };
  if (values.follow) stop = { kind: 'never' };
  if (values['to-offset'])
    stop = { kind: 'offset', offsets: parseOffsets(values['to-offset'], '--to-offset') };
  if (values['to-time']) stop = { kind: 'time', timestamp: parseTime(values['to-time'], '--to-time', now) };
  if (!start) {
    if (stop.kind === 'never') start = { kind: 'end' };
    else
      throw new UsageError(
        'say where to start (--from-beginning, --from-offset, --from-time), or --follow to take new records until stopped',
      );
  }
  const partitions = values.partition?.map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`--partition ${p}: expected a partition number`);
    return Number(p);
  });
  return { start, stop, ...(partitions ? { partitions } : {}) };
}
