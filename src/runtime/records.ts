import type { LogRecord, OutgoingRecord } from '../common/records.ts';

/** A record as read from a topic partition, before deserialization (the event log's record). */
export type ConsumedRecord = LogRecord;

/** A serialized record on its way to a topic partition. */
export type ProducedRecord = OutgoingRecord;

/** Where tasks send what they produce: sink records, changelog records, dead letters. */
export interface RecordCollector {
  send(record: ProducedRecord): void;
}
