import { TributaryError } from '../errors.ts';
import type { OutgoingRecord, WrittenOffsets } from './port.ts';
import { produceRequests } from './produce-requests.ts';
import type { TopicLimits } from './topic-limits.ts';

export interface SendInRequestsOptions {
  readonly limits: TopicLimits;
  /** Sends one request's records; resolves with the last offset written per partition. */
  readonly send: (request: readonly OutgoingRecord[]) => Promise<WrittenOffsets>;
  /** True for the client's error meaning the broker refused a request as too large (MESSAGE_TOO_LARGE). */
  readonly tooLarge: (error: unknown) => boolean;
  /** Records per request (see `produceRequests`). */
  readonly maxRecords?: number;
}

/**
 * Sends records in produce requests the broker accepts (see `produceRequests`), one after the other so
 * that each partition's records stay in order; resolves with the last offset written per partition.
 * Shared by every adapter: only how one request is sent differs between clients.
 */
export async function sendInRequests(
  records: readonly OutgoingRecord[],
  options: SendInRequestsOptions,
): Promise<WrittenOffsets> {
  const { limits } = options;
  const topics = new Set<string>();
  for (const record of records) topics.add(record.topic);
  await limits.load(topics);
  const written: WrittenOffsets = new Map();
  for (const request of produceRequests(records, (topic) => limits.of(topic), options.maxRecords)) {
    try {
      mergeWrittenOffsets(written, await options.send(request));
    } catch (error) {
      if (!options.tooLarge(error)) throw error;
      throw new TributaryError(
        'TRIB_RECORD_TOO_LARGE',
        `the broker refused a produce request as too large (MESSAGE_TOO_LARGE) for ${describePartitions(request)}`,
        { cause: error },
      );
    }
  }
  return written;
}

/** Adds a later send's written offsets to an earlier one's: the later offset of a partition wins. */
export function mergeWrittenOffsets(into: WrittenOffsets, later: WrittenOffsets): void {
  for (const [topic, partitions] of later) {
    let perTopic = into.get(topic);
    if (!perTopic) into.set(topic, (perTopic = new Map()));
    for (const [partition, offset] of partitions) perTopic.set(partition, offset);
  }
}

/** The partitions of a request with the bytes of keys and values each holds, for an error message. */
function describePartitions(records: readonly OutgoingRecord[]): string {
  const bytes = new Map<string, number>();
  for (const r of records) {
    const partition = `topic "${r.topic}" partition ${r.partition}`;
    bytes.set(partition, (bytes.get(partition) ?? 0) + (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0));
  }
  return [...bytes].map(([partition, size]) => `${partition} (${size} bytes of keys and values)`).join(', ');
}

/** The topics records go to, each once (what a refused write names). */
export function topicsOf(records: readonly OutgoingRecord[]): string[] {
  return [...new Set(records.map((r) => r.topic))];
}
