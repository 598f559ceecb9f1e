import type { Headers } from '../processor/record.ts';

/** A record as read from a topic partition, before deserialization. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

/** A serialized record on its way to a topic partition. */
export interface ProducedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

/** Where tasks send what they produce: sink records, changelog records, dead letters. */
export interface RecordCollector {
  send(record: ProducedRecord): void;
}
