/**
 * The replay file formats: recorded input (one JSON record per line, see docs "Recorded inputs") and
 * the output/golden lines `{"topic","partition","key","value","timestamp"}`, with the comparison that
 * `--expect` reports.
 */
import { TributaryError, errorMessage } from '../errors.ts';
import { isJsonObject } from '../common/json.ts';

/** A bad line or field in a recording or golden file; the message names the file, line and field. */
export class ReplayInputError extends TributaryError {
  readonly source: string;
  readonly line: number;
  readonly field: string | undefined;

  constructor(source: string, line: number, field: string | undefined, message: string, cause?: unknown) {
    super('TRIB_REPLAY_INPUT', `${source}:${line}: ${field ? `field "${field}": ` : ''}${message}`, {
      cause,
    });
    this.source = source;
    this.line = line;
    this.field = field;
  }
}

/** A header value in a recording: text, or bytes that are not UTF-8 text, in base64. */
export type RecordedHeaderValue = string | { readonly base64: string };

/**
 * One recorded input record, in the JSON form of its topic's types. A key or value its serde could
 * not read when it was recorded is kept as its bytes instead (`rawKey`, `rawValue`, base64): replay
 * writes those bytes unchanged, so the topology meets them as production did.
 */
export interface RecordedRecord {
  readonly topic: string;
  readonly key?: unknown;
  /** Required unless `rawValue` is given; null is a tombstone. */
  readonly value?: unknown;
  /** The key's bytes in base64, instead of `key`. */
  readonly rawKey?: string;
  /** The value's bytes in base64, instead of `value`. */
  readonly rawValue?: string;
  readonly timestamp: number;
  /** Pins the partition; otherwise it is chosen from the key as Kafka's default partitioner does. */
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, RecordedHeaderValue>>;
}

/** A recorded record with where it came from, for error messages. */
export interface LocatedRecord extends RecordedRecord {
  readonly source: string;
  readonly line: number;
}

/** A record the topologies wrote to a non-internal topic. */
export interface ReplayRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: unknown;
  readonly value: unknown;
  readonly timestamp: number;
}

const recordFields = ['topic', 'key', 'value', 'rawKey', 'rawValue', 'timestamp', 'partition', 'headers'];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Non-blank lines with their 1-based line numbers. */
function lines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((t, i) => ({ line: i + 1, text: t }))
    .filter((l) => l.text.trim().length > 0);
}

function parseLine(source: string, line: number, text: string): object {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReplayInputError(source, line, undefined, `not valid JSON: ${errorMessage(error)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ReplayInputError(source, line, undefined, 'expected a JSON object per line');
  return parsed;
}

/** Validates one recorded record (from a file line, or given directly). */
export function checkRecord(raw: unknown, source: string, line: number): LocatedRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ReplayInputError(source, line, undefined, 'expected a record object');
  const record = raw as Record<string, unknown>;
  const invalid = (field: string, message: string) => new ReplayInputError(source, line, field, message);
  for (const key of Object.keys(record))
    if (!recordFields.includes(key))
      throw invalid(key, `unknown field; a record has ${recordFields.join(', ')}`);
  const { topic, timestamp, partition, headers } = record;
  if (typeof topic !== 'string' || topic.length === 0)
    throw invalid('topic', `must be a topic name, got ${show(topic)}`);
  const rawOf = (part: 'key' | 'value'): string | undefined => {
    const field = part === 'key' ? 'rawKey' : 'rawValue';
    const raw = record[field];
    if (raw === undefined) return undefined;
    if (part in record) throw invalid(field, `stands for "${part}": give one of them, not both`);
    if (!isBase64(raw)) throw invalid(field, `must be the ${part}'s bytes in base64, got ${show(raw)}`);
    return raw;
  };
  const rawKey = rawOf('key');
  const rawValue = rawOf('value');
  if (!('value' in record) && rawValue === undefined)
    throw invalid('value', 'is missing (use null for a tombstone)');
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0)
    throw invalid(
      'timestamp',
      `must be milliseconds since the epoch (a non-negative integer), got ${show(timestamp)}`,
    );
  if (
    partition !== undefined &&
    (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0)
  )
    throw invalid('partition', `must be a non-negative integer, got ${show(partition)}`);
  let checkedHeaders: Record<string, RecordedHeaderValue> | undefined;
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers))
      throw invalid('headers', `must be an object of strings, got ${show(headers)}`);
    checkedHeaders = {};
    for (const [name, entry] of Object.entries(headers)) {
      const value: unknown = entry;
      if (typeof value !== 'string' && !isBase64Object(value))
        throw invalid(`headers.${name}`, `must be a string or {"base64": "..."}, got ${show(value)}`);
      checkedHeaders[name] = value;
    }
  }
  return {
    topic,
    ...(rawKey !== undefined ? { rawKey } : { key: record.key ?? null }),
    ...(rawValue !== undefined ? { rawValue } : { value: record.value }),
    timestamp,
    ...(partition !== undefined ? { partition } : {}),
    ...(checkedHeaders !== undefined ? { headers: checkedHeaders } : {}),
    source,
    line,
  };
}

/** Parses a recording (JSONL); errors name the file, line and field. */
export function parseRecording(text: string, source = 'input'): LocatedRecord[] {
  return lines(text).map(({ line, text: t }) => checkRecord(parseLine(source, line, t), source, line));
}

function isBase64(text: unknown): text is string {
  return typeof text === 'string' && text.length % 4 === 0 && BASE64.test(text);
}

function isBase64Object(value: unknown): value is { readonly base64: string } {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.keys(value).length === 1 &&
    'base64' in value &&
    isBase64(value.base64)
  );
}

/**
 * One recording line, with its fields always in the same order: topic, partition, key (or rawKey),
 * value (or rawValue), timestamp, and headers when there are any.
 */
export function formatRecordedRecord(record: RecordedRecord): string {
  const headers = record.headers && Object.keys(record.headers).length > 0 ? record.headers : undefined;
  return JSON.stringify({
    topic: record.topic,
    ...(record.partition !== undefined ? { partition: record.partition } : {}),
    ...(record.rawKey !== undefined ? { rawKey: record.rawKey } : { key: record.key ?? null }),
    ...(record.rawValue !== undefined ? { rawValue: record.rawValue } : { value: record.value ?? null }),
    timestamp: record.timestamp,
    ...(headers ? { headers } : {}),
  });
}

/** One output line, with its fields always in the same order. */
export function formatRecord(record: ReplayRecord): string {
  return JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
  });
}

export function toJsonl(records: readonly ReplayRecord[]): string {
  return records.map((r) => `${formatRecord(r)}\n`).join('');
}

export interface GoldenComparison {
  readonly matches: boolean;
  readonly expectedCount: number;
  readonly actualCount: number;
  /** 1-based position of the first record that differs, when they differ. */
  readonly firstDifference: number | undefined;
  /** What differs, readable: counts, the first differing line as expected and as produced. */
  readonly report: string;
}

/** Compares output with a golden file record by record (field order and spacing do not matter). */
export function compareWithGolden(
  actual: readonly ReplayRecord[],
  goldenText: string,
  goldenSource = 'golden',
): GoldenComparison {
  const expected = lines(goldenText).map((l) => ({ ...l, value: parseLine(goldenSource, l.line, l.text) }));
  const count = Math.max(expected.length, actual.length);
  let first: number | undefined;
  for (let i = 0; i < count; i++) {
    const e = expected[i];
    const a = actual[i];
    if (!e || !a || canonical(e.value) !== canonical(JSON.parse(formatRecord(a)))) {
      first = i;
      break;
    }
  }
  const counts = `expected ${expected.length} record${expected.length === 1 ? '' : 's'}, got ${actual.length}`;
  if (first === undefined)
    return {
      matches: true,
      expectedCount: expected.length,
      actualCount: actual.length,
      firstDifference: undefined,
      report: `output matches ${goldenSource} (${actual.length} record${actual.length === 1 ? '' : 's'})\n`,
    };
  const e = expected[first];
  const a = actual[first];
  const where = e ? `${goldenSource} line ${e.line}` : `past the end of ${goldenSource}`;
  const report = [
    `output does not match ${goldenSource}: ${counts}`,
    `first difference at record ${first + 1} (${where}):`,
    `  expected: ${e ? JSON.stringify(e.value) : '(no more records)'}`,
    `  actual:   ${a ? formatRecord(a) : '(no more records)'}`,
    ...(e && a ? [`  differs in: ${differingPaths(e.value, JSON.parse(formatRecord(a))).join(', ')}`] : []),
  ].join('\n');
  return {
    matches: false,
    expectedCount: expected.length,
    actualCount: actual.length,
    firstDifference: first + 1,
    report: `${report}\n`,
  };
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** JSON with object keys sorted, so equal values compare equal as text. */
function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k])]),
  );
}

/** Dotted paths where two JSON values differ (the first few), e.g. `value.state`. */
function differingPaths(expected: unknown, actual: unknown, prefix = '', out: string[] = []): string[] {
  if (out.length >= 5) return out;
  if (isJsonObject(expected) && isJsonObject(actual)) {
    for (const key of [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort())
      differingPaths(expected[key], actual[key], prefix ? `${prefix}.${key}` : key, out);
  } else if (canonical(expected) !== canonical(actual)) {
    out.push(prefix || '(record)');
  }
  return out;
}
