import type { StreamRecord } from '../processor/record.ts';

/** Chooses the event time of a consumed record; the default takes the record's own timestamp. */
export type TimestampExtractor<K, V> = (record: StreamRecord<K, V>, partitionTime: number) => number;

/** Chooses the topic of each record a sink writes. */
export type TopicNameExtractor<K, V> = (key: K, value: V, record: StreamRecord<K, V>) => string;

/**
 * Chooses the partition of a record a sink writes; undefined falls back to the default partitioner
 * (murmur2 of the key bytes, as Kafka's and kafkajs' default partitioners do).
 */
export type StreamPartitioner<K, V> = (
  topic: string,
  key: K,
  value: V,
  numPartitions: number,
) => number | undefined;
