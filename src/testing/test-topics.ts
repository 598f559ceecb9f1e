import { TopologyError } from '../errors.ts';
import type { Headers, KeyValue } from '../processor/record.ts';
import { partitionForKey } from '../runtime/partitioner.ts';
import type { Serde } from '../serde/serde.ts';
import type { InMemoryBroker, StoredRecord } from './in-memory-broker.ts';
import type { TestCluster } from './test-cluster.ts';

export interface TestInputTopicOptions {
  /** Timestamp of the first record piped without one (default 0). */
  readonly startTimestampMs?: number;
  /** How far the topic's clock moves after each record piped without a timestamp (default 0). */
  readonly autoAdvanceMs?: number;
}

export interface TestRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp?: number;
  readonly headers?: Headers;
  /** Pins the partition; by default it is chosen from the key as Kafka's default partitioner does. */
  readonly partition?: number;
}

/** A record read back from an output topic. */
export interface TestOutputRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly partition: number;
  readonly offset: number;
}

/** Pipes records into a topic of the test driver: Kafka Streams' `TestInputTopic`. */
export class TestInputTopic<K, V> {
  readonly name: string;
  private readonly cluster: TestCluster;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private currentTimeMs: number;
  private readonly autoAdvanceMs: number;
  private roundRobin = 0;

  /** @internal */
  constructor(
    cluster: TestCluster,
    name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    options: TestInputTopicOptions,
  ) {
    this.cluster = cluster;
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.currentTimeMs = options.startTimestampMs ?? 0;
    this.autoAdvanceMs = options.autoAdvanceMs ?? 0;
  }

  /** Pipes one record; without a timestamp it takes the topic's clock (which then auto-advances). */
  pipeInput(key: K | null, value: V | null, timestamp?: number, headers?: Headers): void {
    this.pipeRecord({ key, value, timestamp, headers });
  }

  pipeRecord(record: TestRecord<K, V>): void {
    const context = { topic: this.name, part: 'key' as const, headers: record.headers };
    const key =
      record.key === null || record.key === undefined ? null : this.keySerde.serialize(record.key, context);
    const value =
      record.value === null || record.value === undefined
        ? null
        : this.valueSerde.serialize(record.value, { ...context, part: 'value' });
    const partitions = this.cluster.broker.partitionCount(this.name);
    const partition =
      record.partition ?? (key === null ? this.roundRobin++ % partitions : partitionForKey(key, partitions));
    if (partition < 0 || partition >= partitions) {
      throw new TopologyError(
        `topic "${this.name}" has ${partitions} partitions; cannot pipe into partition ${partition}`,
      );
    }
    let timestamp = record.timestamp;
    if (timestamp === undefined) {
      timestamp = this.currentTimeMs;
      this.currentTimeMs += this.autoAdvanceMs;
    }
    this.cluster.pipe({ topic: this.name, partition, key, value, timestamp, headers: record.headers ?? {} });
  }

  pipeRecords(records: Iterable<TestRecord<K, V>>): void {
    for (const record of records) this.pipeRecord(record);
  }

  pipeKeyValues(entries: Iterable<KeyValue<K | null, V | null>>, timestamp?: number): void {
    for (const entry of entries) this.pipeInput(entry.key, entry.value, timestamp);
  }

  pipeValues(values: Iterable<V | null>): void {
    for (const value of values) this.pipeInput(null, value);
  }

  /** Moves the topic's clock for records piped without a timestamp. */
  advanceTime(ms: number): void {
    this.currentTimeMs += ms;
  }
}

/** Reads what the topology wrote to a topic, in write order across partitions: `TestOutputTopic`. */
export class TestOutputTopic<K, V> {
  readonly name: string;
  private readonly broker: InMemoryBroker;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private position = 0;

  /** @internal */
  constructor(broker: InMemoryBroker, name: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.broker = broker;
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /** Records not read yet. */
  getQueueSize(): number {
    return this.broker.records(this.name).length - this.position;
  }

  isEmpty(): boolean {
    return this.getQueueSize() === 0;
  }

  readRecord(): TestOutputRecord<K, V> {
    const next = this.broker.records(this.name)[this.position];
    if (!next) throw new TopologyError(`topic "${this.name}" has no more records to read`);
    this.position++;
    return this.decode(next);
  }

  readKeyValue(): KeyValue<K | null, V | null> {
    const { key, value } = this.readRecord();
    return { key, value };
  }

  readValue(): V | null {
    return this.readRecord().value;
  }

  readRecordsToList(): TestOutputRecord<K, V>[] {
    const records = this.broker.records(this.name).slice(this.position);
    this.position += records.length;
    return records.map((r) => this.decode(r));
  }

  readKeyValuesToList(): KeyValue<K | null, V | null>[] {
    return this.readRecordsToList().map(({ key, value }) => ({ key, value }));
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  /** The latest value per key (a table's final state); a null value removes the key. */
  readKeyValuesToMap(): Map<K, V> {
    const map = new Map<K, V>();
    for (const { key, value } of this.readRecordsToList()) {
      if (key === null)
        throw new TopologyError(
          `topic "${this.name}" has a record with a null key; it cannot be read as a map`,
        );
      if (value === null) map.delete(key);
      else map.set(key, value);
    }
    return map;
  }

  private decode(record: StoredRecord): TestOutputRecord<K, V> {
    const context = { topic: this.name, part: 'key' as const, headers: record.headers };
    return {
      key: record.key === null ? null : this.keySerde.deserialize(record.key, context),
      value:
        record.value === null
          ? null
          : this.valueSerde.deserialize(record.value, { ...context, part: 'value' }),
      timestamp: record.timestamp,
      headers: record.headers,
      partition: record.partition,
      offset: record.offset,
    };
  }
}
