import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyError } from '../errors.ts';
import type { TopicDefinition } from '../dsl/options.ts';
import type { Serde } from '../serde/serde.ts';
import type {
  KeyValueStore,
  ReadOnlyKeyValueStore,
  ReadOnlyVersionedKeyValueStore,
  VersionsQuery,
  ReadOnlySessionStore,
  ReadOnlyWindowStore,
  StateStore,
  StoreSpec,
  TimestampedKeyValueStore,
  ValueAndTimestamp,
} from '../state/api.ts';
import { defaultErrorHandling, type ErrorHandling } from '../runtime/error-handling.ts';
import { silentLogger, type Logger } from '../common/logger.ts';
import { Topology } from '../topology/topology.ts';
import type { SourceNodeDef } from '../topology/physical.ts';
import { AppInstance } from './app-instance.ts';
import { InMemoryBroker } from './in-memory-broker.ts';
import {
  mergedKeyValueStore,
  unwrappedTimestampedStore,
  unwrappedTimestampedWindowStore,
} from './store-views.ts';
import { partitionForKey } from '../runtime/partitioner.ts';
import { encodeRecorded } from './recorded-bytes.ts';
import { ReplayInputError, checkRecord, parseRecording, type RecordedRecord } from './replay-format.ts';
import { TestCluster } from './test-cluster.ts';
import { TestInputTopic, TestOutputTopic, type TestInputTopicOptions } from './test-topics.ts';

export interface TopologyTestDriverOptions {
  /** Default `test-app`; prefixes internal topic names. */
  readonly applicationId?: string;
  /** Partitions of every user topic (default 1). Several partitions run several tasks, as on Kafka. */
  readonly partitions?: number;
  /** Partitions of particular topics, overriding `partitions`. */
  readonly topicPartitions?: Readonly<Record<string, number>>;
  /** Where LevelDB stores live; default a fresh temporary directory, removed on close. */
  readonly stateDir?: string;
  /** The mocked wall clock's start (default 0); advance it with `advanceWallClockTime`. */
  readonly initialWallClockTimeMs?: number;
  readonly errorHandling?: Partial<ErrorHandling>;
  readonly logger?: Logger;
  /**
   * The record cache's size (Kafka Streams' `statestore.cache.max.bytes`): default 10 MiB, as Kafka
   * Streams'; 0 turns caching off. See `Materialized.caching`.
   */
  readonly recordCacheMaxBytes?: number;
  /**
   * True (default): the driver commits after each input record and each wall-clock punctuation, as
   * Kafka Streams' `TopologyTestDriver` does, so the record cache only merges updates that one record
   * causes. False: caches flush only on `commit()` or when full, as a worker's between its commits,
   * so a test can see several records' updates of a key reach downstream once.
   */
  readonly commitEachRecord?: boolean;
}

/**
 * Runs a topology without a broker, deterministically: Kafka Streams' `TopologyTestDriver`, with
 * several partitions per topic if you like. Records piped in are partitioned by key as Kafka would,
 * processed by the task that owns their partition, and anything written to a repartition topic is
 * processed too before `pipeInput` returns. Stores are real (LevelDB in a temporary directory unless
 * the topology asks for in-memory ones) and can be read at any time.
 *
 * @example
 * ```ts
 * const driver = await TopologyTestDriver.create(app.buildTopology(), { partitions: 3 });
 * driver.createInputTopic(topics.orders).pipeInput('o-1', order, 1_000);
 * expect(driver.createOutputTopic(topics.orderValidations).readValue()?.validationResult).toBe('PASS');
 * await driver.close();
 * ```
 */
export class TopologyTestDriver {
  readonly applicationId: string;
  readonly topology: Topology;
  private readonly cluster: TestCluster;
  private readonly app: AppInstance;
  private readonly ownStateDir: string | undefined;
  private readonly clock: { ms: number };
  private closed = false;
  private readonly roundRobin = new Map<string, number>();

  private constructor(
    topology: Topology,
    cluster: TestCluster,
    app: AppInstance,
    ownStateDir: string | undefined,
    clock: { ms: number },
  ) {
    this.topology = topology;
    this.applicationId = app.applicationId;
    this.cluster = cluster;
    this.app = app;
    this.ownStateDir = ownStateDir;
    this.clock = clock;
  }

  /**
   * Starts the topology on an in-memory broker. `applicationId` names internal topics (default
   * `test-app`), `partitions` and `topicPartitions` the partitions of its topics (default 1).
   *
   * @example
   * ```ts
   * const driver = await TopologyTestDriver.create(app.buildTopology(), { applicationId: 'fraud', partitions: 3 });
   * ```
   */
  static async create(
    topology: Topology,
    options: TopologyTestDriverOptions = {},
  ): Promise<TopologyTestDriver> {
    const applicationId = options.applicationId ?? 'test-app';
    const defaultPartitions = options.partitions ?? 1;
    const broker = new InMemoryBroker((topic) => options.topicPartitions?.[topic] ?? defaultPartitions);
    const cluster = new TestCluster(broker);
    const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'tributary-driver-')));
    // A directory the driver made for itself is removed on close.
    const ownStateDir = options.stateDir === undefined ? stateDir : undefined;
    const clock = { ms: options.initialWallClockTimeMs ?? 0 };
    try {
      const app = await AppInstance.start({
        applicationId,
        topology,
        broker,
        stateDir,
        wallClock: () => clock.ms,
        errorHandling: { ...defaultErrorHandling, ...options.errorHandling },
        logger: options.logger ?? silentLogger,
        ...(options.recordCacheMaxBytes !== undefined
          ? { recordCacheMaxBytes: options.recordCacheMaxBytes }
          : {}),
        ...(options.commitEachRecord !== undefined ? { commitEachRecord: options.commitEachRecord } : {}),
      });
      cluster.addApp(app);
      return new TopologyTestDriver(topology, cluster, app, ownStateDir, clock);
    } catch (error) {
      if (ownStateDir) await rm(ownStateDir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * An input topic typed by its definition.
   *
   * @example
   * ```ts
   * const orders = driver.createInputTopic(topics.orders);
   * orders.pipeInput('o-1', { id: 'o-1', customerId: 1, state: 'CREATED', product: 'JUMPERS', quantity: 1, price: 10 });
   * ```
   */
  createInputTopic<K, V>(topic: TopicDefinition<K, V>, options?: TestInputTopicOptions): TestInputTopic<K, V>;
  /**
   * An input topic by name; its serdes come from the arguments, or from the topology's source for it.
   *
   * @example
   * ```ts
   * const words = driver.createInputTopic<string, string>('sentences', Serdes.String(), Serdes.String());
   * ```
   */
  createInputTopic<K, V>(
    topic: string,
    keySerde?: Serde<K>,
    valueSerde?: Serde<V>,
    options?: TestInputTopicOptions,
  ): TestInputTopic<K, V>;
  createInputTopic<K, V>(
    topic: string | TopicDefinition<K, V>,
    a?: Serde<K> | TestInputTopicOptions,
    b?: Serde<V>,
    c?: TestInputTopicOptions,
  ): TestInputTopic<K, V> {
    const { name, keySerde, valueSerde, options } = this.topicArgs(topic, a, b, c, 'source');
    return new TestInputTopic<K, V>(
      this.cluster,
      name,
      keySerde as Serde<K>,
      valueSerde as Serde<V>,
      options ?? {},
    );
  }

  /**
   * An output topic typed by its definition: reads what the topology wrote to it, in write order.
   *
   * @example
   * ```ts
   * driver.createOutputTopic(topics.emails).readValuesToList();
   * ```
   */
  createOutputTopic<K, V>(topic: TopicDefinition<K, V>): TestOutputTopic<K, V>;
  /**
   * An output topic by name; its serdes come from the arguments, or from the topology's sink for it.
   *
   * @example
   * ```ts
   * driver.createOutputTopic<string, number>('word-counts', Serdes.String(), Serdes.Long()).readKeyValuesToMap();
   * ```
   */
  createOutputTopic<K, V>(topic: string, keySerde?: Serde<K>, valueSerde?: Serde<V>): TestOutputTopic<K, V>;
  createOutputTopic<K, V>(
    topic: string | TopicDefinition<K, V>,
    a?: Serde<K>,
    b?: Serde<V>,
  ): TestOutputTopic<K, V> {
    const { name, keySerde, valueSerde } = this.topicArgs(topic, a, b, undefined, 'sink');
    return new TestOutputTopic<K, V>(this.cluster.broker, name, keySerde as Serde<K>, valueSerde as Serde<V>);
  }

  /**
   * Pipes a recording — the replay format, as JSONL text or parsed records, e.g. what `tributary
   * record` captured from live topics — into the topology, in file order: each record to its topic,
   * in its recorded partition (else the key's), with its timestamp and headers. Keys and values are
   * read with the serdes of the topology's source for the topic; `rawKey`/`rawValue` bytes are written
   * as they are, so a record production could not decode meets the topology's deserialization handler
   * here too. A bad line fails before anything is piped, naming the line and field.
   *
   * @example
   * ```ts
   * const driver = await TopologyTestDriver.create(app.buildTopology(), { partitions: 3 });
   * driver.pipeRecording(readFileSync('test/recordings/friday-peak.jsonl', 'utf8'), 'friday-peak.jsonl');
   * expect(driver.getKeyValueStore<string, number>('reserved-stock').get('JUMPERS')).toBe(12);
   * ```
   */
  pipeRecording(recording: string | readonly RecordedRecord[], source = 'recording'): void {
    this.assertOpen();
    const records =
      typeof recording === 'string'
        ? parseRecording(recording, source)
        : recording.map((r, i) => checkRecord(r, source, i + 1));
    const prepared = records.map((record) => {
      const bytes = encodeRecorded(record, this.sourceSerdes(record.topic));
      const partitions = this.cluster.broker.partitionCount(record.topic);
      const partition =
        record.partition ??
        (bytes.key === null
          ? this.unkeyedPartition(record.topic, partitions)
          : partitionForKey(bytes.key, partitions));
      if (partition >= partitions)
        throw new ReplayInputError(
          source,
          record.line,
          'partition',
          `topic "${record.topic}" has ${partitions} partition${partitions === 1 ? '' : 's'}; there is no partition ${partition}`,
        );
      return { topic: record.topic, partition, timestamp: record.timestamp, ...bytes };
    });
    for (const record of prepared) this.cluster.pipe(record);
  }

  /**
   * Moves the mocked wall clock forward and fires the wall-clock punctuation that became due.
   *
   * @example
   * ```ts
   * driver.advanceWallClockTime(60_000); // a punctuator scheduled every minute fires once
   * ```
   */
  advanceWallClockTime(ms: number): void {
    this.assertOpen();
    this.clock.ms += ms;
    this.cluster.punctuateWallClock();
  }

  /**
   * Commits as a worker does every commit interval: flushes the record cache, so each key a table or
   * aggregation updated since the last commit reaches downstream once, and processes what follows.
   * Only needed with `commitEachRecord: false`; otherwise the driver commits after every record.
   *
   * @example
   * ```ts
   * const driver = await TopologyTestDriver.create(topology, { commitEachRecord: false });
   * words.pipeInput('a', 'x');
   * words.pipeInput('a', 'y');
   * driver.commit(); // the count of 'a' reaches the output once: 2
   * ```
   */
  commit(): void {
    this.assertOpen();
    this.cluster.commit();
  }

  /**
   * The mocked wall clock, in milliseconds since the epoch.
   *
   * @example
   * ```ts
   * driver.advanceWallClockTime(1_000);
   * driver.wallClockTime; // initialWallClockTimeMs + 1000
   * ```
   */
  get wallClockTime(): number {
    return this.clock.ms;
  }

  /**
   * A key-value store read across all partitions; table stores show their plain values.
   *
   * @example
   * ```ts
   * driver.getKeyValueStore<string, number>('order-counts').get('JUMPERS'); // 2
   * ```
   */
  getKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    const parts = this.partitionsOf(name);
    const spec = this.storeSpec(name);
    const views =
      spec.kind === 'timestamped-key-value'
        ? (parts as TimestampedKeyValueStore<K, V>[]).map((s) => unwrappedTimestampedStore(s))
        : (parts as KeyValueStore<K, V>[]);
    return mergedKeyValueStore(name, views, spec.keySerde as Serde<K>);
  }

  /**
   * A key-value store across all partitions, each value with the timestamp of the record that wrote it.
   *
   * @example
   * ```ts
   * driver.getTimestampedKeyValueStore<string, number>('order-counts').get('JUMPERS'); // { value: 2, timestamp: 2000 }
   * ```
   */
  getTimestampedKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, { value: V; timestamp: number }> {
    return mergedKeyValueStore(
      name,
      this.partitionsOf(name) as TimestampedKeyValueStore<K, V>[],
      this.storeSpec(name).keySerde as Serde<K>,
    );
  }

  /**
   * A versioned key-value store read across all partitions: each key from the partition that holds it.
   *
   * @example
   * ```ts
   * driver.getVersionedKeyValueStore<string, number>('prices').get('JUMPERS', Date.parse('2026-01-01'));
   * ```
   */
  getVersionedKeyValueStore<K, V>(name: string): ReadOnlyVersionedKeyValueStore<K, V> {
    const spec = this.storeSpec(name);
    if (spec.kind !== 'versioned-key-value')
      throw new TopologyError(`store "${name}" is a ${spec.kind} store, not a versioned key-value store`);
    const parts = this.partitionsOf(name) as ReadOnlyVersionedKeyValueStore<K, V>[];
    return {
      name,
      persistent: parts[0]?.persistent ?? false,
      historyRetentionMs: spec.historyRetentionMs,
      get: (key: K, asOfTimestamp?: number) => {
        for (const part of parts) {
          const found = asOfTimestamp === undefined ? part.get(key) : part.get(key, asOfTimestamp);
          if (found) return found;
        }
        return undefined;
      },
      getVersions: (key: K, query?: VersionsQuery) => {
        for (const part of parts) {
          const found = part.getVersions(key, query);
          if (found.length > 0) return found;
        }
        return [];
      },
    };
  }

  /**
   * The copy of a store held by one partition's task, as the Processor API sees it.
   *
   * @example
   * ```ts
   * driver.getStateStore<KeyValueStore<string, number>>('reserved-stock', 1).get('JUMPERS');
   * ```
   */
  getStateStore<S extends StateStore>(name: string, partition = 0): S {
    const store = this.app.store(name, partition);
    if (!store) throw new TopologyError(`no store "${name}" for partition ${partition}`);
    return store as S;
  }

  /**
   * One partition's window store; a windowed aggregation's store shows its plain values.
   *
   * @example
   * ```ts
   * driver.getWindowStore<string, number>('clicks-per-minute').fetch('alice', 0, 60_000);
   * ```
   */
  getWindowStore<K, V>(name: string, partition = 0): ReadOnlyWindowStore<K, V> {
    const store = this.getStateStore<ReadOnlyWindowStore<K, V>>(name, partition);
    const spec = this.storeSpec(name);
    if (spec.kind === 'window' && spec.timestamped)
      return unwrappedTimestampedWindowStore(
        this.getStateStore<ReadOnlyWindowStore<K, ValueAndTimestamp<V>>>(name, partition),
      );
    return store;
  }

  /**
   * One partition's timestamped window store, each value with the largest timestamp that went into it.
   *
   * @example
   * ```ts
   * driver.getTimestampedWindowStore<string, number>('clicks-per-minute').fetch('alice', 0, 60_000);
   * ```
   */
  getTimestampedWindowStore<K, V>(name: string, partition = 0): ReadOnlyWindowStore<K, ValueAndTimestamp<V>> {
    return this.getStateStore(name, partition);
  }

  /**
   * One partition's session store.
   *
   * @example
   * ```ts
   * driver.getSessionStore<number, number>('fraud-sessions').fetchSession(1, 0, 3_600_000);
   * ```
   */
  getSessionStore<K, V>(name: string, partition = 0): ReadOnlySessionStore<K, V> {
    return this.getStateStore(name, partition);
  }

  /**
   * How many records the topology's operators dropped, per reason, across all tasks: records with a
   * null key where one is needed (`null-key`, `null-key-or-value`, `null-join-key-or-value`) and
   * records for windows that had already closed (`expired-window`). Kafka Streams' dropped-records metric.
   *
   * @example
   * ```ts
   * driver.droppedRecords().get('expired-window'); // 1
   * ```
   */
  droppedRecords(): Map<string, number> {
    return this.app.droppedRecords();
  }

  /**
   * Names of the topics records were written to (including internal ones).
   *
   * @example
   * ```ts
   * driver.producedTopicNames(); // ['order-validations', 'test-app-KSTREAM-REPARTITION-0000000003-repartition']
   * ```
   */
  producedTopicNames(): string[] {
    return this.cluster.broker.topicNames().filter((t) => this.cluster.broker.records(t).length > 0);
  }

  /**
   * Waits until every store write so far is on disk.
   *
   * @example
   * ```ts
   * await driver.flush();
   * ```
   */
  async flush(): Promise<void> {
    await this.app.flush();
  }

  /**
   * Commits (as `commit()` does), closes the tasks and stores, and removes the temporary state
   * directory it made.
   *
   * @example
   * ```ts
   * afterEach(() => driver.close());
   * ```
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A last commit first, as a worker commits when it stops (and Kafka Streams' driver on close):
    // with `commitEachRecord: false`, what the record cache holds reaches its store and changelog.
    let failure: unknown;
    try {
      this.cluster.commit();
    } catch (error) {
      failure = error;
    }
    try {
      await this.app.close();
    } finally {
      if (this.ownStateDir) await rm(this.ownStateDir, { recursive: true, force: true });
    }
    if (failure !== undefined) throw failure;
  }

  private storeSpec(name: string): StoreSpec {
    const spec = this.topology.stores.get(name) ?? this.topology.globalStores.get(name)?.store;
    if (!spec) throw new TopologyError(`the topology has no store named "${name}"`);
    return spec;
  }

  private partitionsOf(name: string): StateStore[] {
    const parts = this.app.storePartitions(name);
    if (parts.length === 0)
      throw new TopologyError(
        `the topology has no store named "${name}"; it has: ${[...this.topology.stores.keys(), ...this.topology.globalStores.keys()].join(', ') || 'none'}`,
      );
    return parts;
  }

  private topicArgs(
    topic: string | TopicDefinition<unknown, unknown>,
    a: unknown,
    b: unknown,
    c: TestInputTopicOptions | undefined,
    role: 'source' | 'sink',
  ): {
    name: string;
    keySerde: Serde<unknown>;
    valueSerde: Serde<unknown>;
    options: TestInputTopicOptions | undefined;
  } {
    this.assertOpen();
    if (typeof topic === 'object') {
      return {
        name: topic.name,
        keySerde: topic.keySerde,
        valueSerde: topic.valueSerde,
        options: a as TestInputTopicOptions | undefined,
      };
    }
    const inferred = role === 'source' ? this.sourceSerdes(topic) : this.sinkSerdes(topic);
    const keySerde = (a as Serde<unknown> | undefined) ?? inferred?.keySerde;
    const valueSerde = (b as Serde<unknown> | undefined) ?? inferred?.valueSerde;
    if (!keySerde || !valueSerde) {
      throw new TopologyError(
        `no serdes for topic "${topic}": the topology has no ${role} for it; pass the serdes or a topic definition`,
      );
    }
    return { name: topic, keySerde, valueSerde, options: c };
  }

  private sourceSerdes(topic: string) {
    const sources = [
      ...this.topology.nodes.values(),
      ...[...this.topology.globalStores.values()].map((g) => g.source),
    ];
    return sources.find(
      (n): n is SourceNodeDef =>
        n.kind === 'source' && n.topics.some((t) => Topology.topicName(t, this.applicationId) === topic),
    );
  }

  private sinkSerdes(topic: string) {
    for (const node of this.topology.nodes.values()) {
      if (
        node.kind === 'sink' &&
        typeof node.topic !== 'function' &&
        Topology.topicName(node.topic, this.applicationId) === topic
      )
        return node;
    }
    return undefined;
  }

  /** Records without a key spread over the partitions, as Kafka's producers do. */
  private unkeyedPartition(topic: string, partitions: number): number {
    const next = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, next + 1);
    return next % partitions;
  }

  private assertOpen(): void {
    if (this.closed) throw new TopologyError('the test driver is closed');
  }
}
