/**
 * Between a recording's JSON form and the bytes on a topic, both ways: replay and the test driver
 * write recorded records with the topic's serdes; `tributary record` and `tail` read records off a
 * topic into the JSON form. A key or value the serde cannot read is kept as its bytes (`rawKey`,
 * `rawValue`), and a header that is not UTF-8 text as `{"base64": ...}`, so nothing is lost either way.
 */
import { errorMessage } from '../errors.ts';
import type { HeaderValue, Headers } from '../processor/record.ts';
import { fromJsonForm, toJsonForm, type Serde, type SerdeContext } from '../serde/serde.ts';
import {
  ReplayInputError,
  type LocatedRecord,
  type RecordedHeaderValue,
  type RecordedRecord,
} from './replay-format.ts';
import type { TopicSerdes } from './replay-serdes.ts';

export interface RecordBytes {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Headers;
}

/** The bytes to write for a recorded record; a failure names the recording's line and field. */
export function encodeRecorded(record: LocatedRecord, serdes: TopicSerdes | undefined): RecordBytes {
  const needsSerdes = record.rawKey === undefined || record.rawValue === undefined;
  if (!serdes && needsSerdes)
    throw new ReplayInputError(
      record.source,
      record.line,
      'topic',
      `no application reads or writes topic "${record.topic}", so its serdes are unknown`,
    );
  const headers = headerBytes(record.headers);
  const encode = (part: 'key' | 'value', serde: Serde<unknown>, json: unknown): Uint8Array | null => {
    const context: SerdeContext = { topic: record.topic, part, headers };
    try {
      const value = fromJsonForm(serde, json, context);
      return value === null ? null : serde.serialize(value, context);
    } catch (error) {
      throw new ReplayInputError(
        record.source,
        record.line,
        part,
        `cannot be written with the ${serde.name} serde of topic "${record.topic}": ${errorMessage(error)}`,
        error,
      );
    }
  };
  return {
    key:
      record.rawKey !== undefined
        ? Buffer.from(record.rawKey, 'base64')
        : encode('key', serdes!.keySerde, record.key),
    value:
      record.rawValue !== undefined
        ? Buffer.from(record.rawValue, 'base64')
        : encode('value', serdes!.valueSerde, record.value),
    headers,
  };
}

/** A record as read from a topic. */
export interface TopicRecord extends RecordBytes {
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: number;
}

/** A part of a record its serde could not read, and why. */
export interface DecodeFailure {
  readonly part: 'key' | 'value';
  readonly serde: string;
  readonly error: unknown;
}

export interface DecodedRecord {
  readonly record: RecordedRecord;
  /** Parts kept as raw bytes (`rawKey`, `rawValue`) because their serde failed on them. */
  readonly failures: readonly DecodeFailure[];
}

/**
 * A record off a topic in the recording's JSON form. Without serdes (a topic no topology knows) key
 * and value are kept as raw bytes; a serde that fails keeps its part as raw bytes and says so in
 * `failures`. Serdes that need I/O before decoding (a schema registry's writer schemas) get it here.
 */
export async function decodeToRecorded(
  record: TopicRecord,
  serdes: TopicSerdes | undefined,
): Promise<DecodedRecord> {
  const failures: DecodeFailure[] = [];
  const read = async (part: 'key' | 'value', bytes: Uint8Array | null) => {
    if (bytes === null) return { json: null };
    if (!serdes) return { raw: base64(bytes) };
    const serde = part === 'key' ? serdes.keySerde : serdes.valueSerde;
    const context: SerdeContext = { topic: record.topic, part, headers: record.headers };
    try {
      await serde.prepare?.(bytes, context);
      return { json: toJsonForm(serde, serde.deserialize(bytes, context)) };
    } catch (error) {
      failures.push({ part, serde: serde.name, error });
      return { raw: base64(bytes) };
    }
  };
  const key = await read('key', record.key);
  const value = await read('value', record.value);
  const headers = recordedHeaders(record.headers);
  return {
    record: {
      topic: record.topic,
      partition: record.partition,
      ...('raw' in key ? { rawKey: key.raw } : { key: key.json }),
      ...('raw' in value ? { rawValue: value.raw } : { value: value.json }),
      timestamp: record.timestamp,
      ...(headers ? { headers } : {}),
    },
    failures,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function recordedHeaders(headers: Headers): Record<string, RecordedHeaderValue> | undefined {
  const names = Object.keys(headers);
  if (names.length === 0) return undefined;
  const result: Record<string, RecordedHeaderValue> = {};
  for (const name of names) result[name] = recordedHeader(headers[name]!);
  return result;
}

/** Text stays text; bytes become text when they are UTF-8 (Kafka clients hand all headers over as bytes). */
function recordedHeader(value: HeaderValue): RecordedHeaderValue {
  if (typeof value === 'string') return value;
  try {
    return utf8.decode(value);
  } catch {
    return { base64: base64(value) };
  }
}

function headerBytes(headers: RecordedRecord['headers']): Headers {
  if (!headers) return {};
  const result: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(headers))
    result[name] = typeof value === 'string' ? value : new Uint8Array(Buffer.from(value.base64, 'base64'));
  return result;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
