import { TopologyError } from '../errors.ts';
import type { Offset } from '../common/offset.ts';
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
  readonly offset: Offset;
}

/**
 * Pipes records into a topic of the test driver: Kafka Streams' `TestInputTopic`.
 *
 * @example
 * ```ts
 * const orders = driver.createInputTopic(topics.orders, { startTimestampMs: 1_000, autoAdvanceMs: 100 });
 * ```
 */
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

  /**
   * Pipes one record; without a timestamp it takes the topic's clock (which then auto-advances). A null value is a tombstone.
   *
   * @example
   * ```ts
   * orders.pipeInput('o-1', order, 60_000);
   * inventory.pipeInput('JUMPERS', null); // delete
   * ```
   */
  pipeInput(key: K | null, value: V | null, timestamp?: number, headers?: Headers): void {
    this.pipeRecord({ key, value, timestamp, headers });
  }

  /**
   * Pipes one record with everything set: key, value, timestamp, headers, and a partition if you pin one.
   *
   * @example
   * ```ts
   * orders.pipeRecord({ key: 'o-1', value: order, timestamp: 1_000, headers: { trace: 't-1' }, partition: 2 });
   * ```
   */
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

  /**
   * Pipes records one after the other.
   *
   * @example
   * ```ts
   * orders.pipeRecords([{ key: 'o-1', value: a }, { key: 'o-2', value: b }]);
   * ```
   */
  pipeRecords(records: Iterable<TestRecord<K, V>>): void {
    for (const record of records) this.pipeRecord(record);
  }

  /**
   * Pipes key-value pairs, all with the same timestamp when one is given.
   *
   * @example
   * ```ts
   * orders.pipeKeyValues([keyValue('o-1', a), keyValue('o-2', b)], 5_000);
   * ```
   */
  pipeKeyValues(entries: Iterable<KeyValue<K | null, V | null>>, timestamp?: number): void {
    for (const entry of entries) this.pipeInput(entry.key, entry.value, timestamp);
  }

  /**
   * Pipes values without keys (spread over the partitions as Kafka's producers do).
   *
   * @example
   * ```ts
   * sentences.pipeValues(['the quick brown fox', 'jumps over']);
   * ```
   */
  pipeValues(values: Iterable<V | null>): void {
    for (const value of values) this.pipeInput(null, value);
  }

  /**
   * Moves the topic's clock for records piped without a timestamp.
   *
   * @example
   * ```ts
   * orders.advanceTime(60_000);
   * ```
   */
  advanceTime(ms: number): void {
    this.currentTimeMs += ms;
  }
}

/**
 * Reads what the topology wrote to a topic, in write order across partitions: Kafka Streams' `TestOutputTopic`.
 *
 * @example
 * ```ts
 * const validations = driver.createOutputTopic(topics.orderValidations);
 * validations.readValuesToList();
 * ```
 */
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

  /**
   * Records not read yet.
   *
   * @example
   * ```ts
   * validations.getQueueSize(); // 3
   * ```
   */
  getQueueSize(): number {
    return this.broker.records(this.name).length - this.position;
  }

  /**
   * True when every record written so far has been read.
   *
   * @example
   * ```ts
   * expect(validations.isEmpty()).toBe(true);
   * ```
   */
  isEmpty(): boolean {
    return this.getQueueSize() === 0;
  }

  /**
   * Reads the next record with its timestamp, headers, partition and offset; throws when there is none.
   *
   * @example
   * ```ts
   * const { key, value, timestamp, partition } = validations.readRecord();
   * ```
   */
  readRecord(): TestOutputRecord<K, V> {
    const next = this.broker.records(this.name)[this.position];
    if (!next) throw new TopologyError(`topic "${this.name}" has no more records to read`);
    this.position++;
    return this.decode(next);
  }

  /**
   * Reads the next record's key and value.
   *
   * @example
   * ```ts
   * validations.readKeyValue(); // { key: 'o-1', value: {...} }
   * ```
   */
  readKeyValue(): KeyValue<K | null, V | null> {
    const { key, value } = this.readRecord();
    return { key, value };
  }

  /**
   * Reads the next record's value.
   *
   * @example
   * ```ts
   * validations.readValue()?.validationResult; // 'PASS'
   * ```
   */
  readValue(): V | null {
    return this.readRecord().value;
  }

  /**
   * Reads every record not read yet.
   *
   * @example
   * ```ts
   * validations.readRecordsToList().map((r) => r.timestamp);
   * ```
   */
  readRecordsToList(): TestOutputRecord<K, V>[] {
    const records = this.broker.records(this.name).slice(this.position);
    this.position += records.length;
    return records.map((r) => this.decode(r));
  }

  /**
   * Reads the key and value of every record not read yet.
   *
   * @example
   * ```ts
   * counts.readKeyValuesToList(); // [{ key: 'a', value: 1 }, { key: 'a', value: 2 }]
   * ```
   */
  readKeyValuesToList(): KeyValue<K | null, V | null>[] {
    return this.readRecordsToList().map(({ key, value }) => ({ key, value }));
  }

  /**
   * Reads the value of every record not read yet.
   *
   * @example
   * ```ts
   * emails.readValuesToList().map((e) => e.to);
   * ```
   */
  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  /**
   * Reads every record not read yet into a map of the latest value per key (a null value removes the key).
   *
   * @example
   * ```ts
   * counts.readKeyValuesToMap(); // Map { 'a' => 2 }
   * ```
   */
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
