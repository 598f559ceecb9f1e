import { errorMessage, type RecordOrigin, type TributaryError } from '../errors.ts';
import type { Headers, RecordMetadata } from '../processor/record.ts';
import type { ConsumedRecord, ProducedRecord } from './records.ts';
import { formatOffset } from '../common/offset.ts';

/**
 * What happens to a record that cannot be deserialized, whose processing throws, or whose output a
 * sink cannot serialize:
 * - 'fail': stop with the error (the default, as in Kafka Streams);
 * - 'log-and-continue': log it and go on with the next record;
 * - 'dead-letter': write the original (consumed) record to the dead-letter topic, log it, and go on.
 */
export type ErrorHandlerChoice = 'fail' | 'log-and-continue' | 'dead-letter';

export interface ErrorHandling {
  readonly deserialization: ErrorHandlerChoice;
  readonly processing: ErrorHandlerChoice;
  /**
   * A record a sink cannot serialize (Kafka Streams' `default.production.exception.handler`); a
   * production failure is not a processing failure, so the processing handler does not see it.
   */
  readonly production: ErrorHandlerChoice;
  /** Topic for dead letters; default `<applicationId>-dlq`. */
  readonly deadLetterTopic?: string;
}

export const defaultErrorHandling: ErrorHandling = {
  deserialization: 'fail',
  processing: 'fail',
  production: 'fail',
};

/** Whether any handler writes to the dead-letter topic (which the first worker then creates). */
export function usesDeadLetters(handling: Partial<ErrorHandling>): boolean {
  return (
    handling.deserialization === 'dead-letter' ||
    handling.processing === 'dead-letter' ||
    handling.production === 'dead-letter'
  );
}

export function deadLetterTopic(handling: ErrorHandling, applicationId: string): string {
  return handling.deadLetterTopic ?? `${applicationId}-dlq`;
}

/** Headers a dead letter carries so whoever reads it knows what failed and where the record came from. */
export const DeadLetterHeaders = {
  errorCode: 'tributary.error.code',
  errorMessage: 'tributary.error.message',
  errorProcessor: 'tributary.error.processor',
  sourceTopic: 'tributary.source.topic',
  sourcePartition: 'tributary.source.partition',
  sourceOffset: 'tributary.source.offset',
  applicationId: 'tributary.application.id',
} as const;

/** The dead letter for a consumed record: its original bytes and headers, plus headers naming the error. */
export function deadLetter(
  record: ConsumedRecord,
  error: TributaryError | Error,
  options: { topic: string; partition: number; applicationId: string; processor?: string },
): ProducedRecord {
  const headers: Record<string, string | Uint8Array> = { ...record.headers };
  headers[DeadLetterHeaders.errorCode] =
    'code' in error && typeof error.code === 'string' ? error.code : 'TRIB_UNKNOWN';
  headers[DeadLetterHeaders.errorMessage] = errorMessage(error);
  if (options.processor) headers[DeadLetterHeaders.errorProcessor] = options.processor;
  headers[DeadLetterHeaders.sourceTopic] = record.topic;
  headers[DeadLetterHeaders.sourcePartition] = String(record.partition);
  headers[DeadLetterHeaders.sourceOffset] = formatOffset(record.offset);
  headers[DeadLetterHeaders.applicationId] = options.applicationId;
  return {
    topic: options.topic,
    partition: options.partition,
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: headers as Headers,
  };
}

/** Where a record was read from, as errors and log lines name it (the offset as its decimal text). */
export function originOf(record: RecordMetadata): RecordOrigin {
  return { topic: record.topic, partition: record.partition, offset: formatOffset(record.offset) };
}
