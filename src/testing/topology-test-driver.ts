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
  ReadOnlySessionStore,
  ReadOnlyWindowStore,
  StateStore,
  StoreSpec,
  TimestampedKeyValueStore,
  ValueAndTimestamp,
} from '../state/api.ts';
import { defaultErrorHandling, type ErrorHandling } from '../runtime/error-handling.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { Topology } from '../topology/topology.ts';
import { AppInstance } from './app-instance.ts';
import { InMemoryBroker } from './in-memory-broker.ts';
import {
  mergedKeyValueStore,
  unwrappedTimestampedStore,
  unwrappedTimestampedWindowStore,
} from './store-views.ts';
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
}

/**
 * Runs a topology without a broker, deterministically: Kafka Streams' `TopologyTestDriver`, with
 * several partitions per topic if you like. Records piped in are partitioned by key as Kafka would,
 * processed by the task that owns their partition, and anything written to a repartition topic is
 * processed too before `pipeInput` returns. Stores are real (LevelDB in a temporary directory unless
 * the topology asks for in-memory ones) and can be read at any time.
 */
export class TopologyTestDriver {
  readonly applicationId: string;
  readonly topology: Topology;
  private readonly cluster: TestCluster;
  private readonly app: AppInstance;
  private readonly ownStateDir: string | undefined;
  private readonly clock: { ms: number };
  private closed = false;

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

  static async create(
    topology: Topology,
    options: TopologyTestDriverOptions = {},
  ): Promise<TopologyTestDriver> {
    const applicationId = options.applicationId ?? 'test-app';
    const defaultPartitions = options.partitions ?? 1;
    const broker = new InMemoryBroker((topic) => options.topicPartitions?.[topic] ?? defaultPartitions);
    const cluster = new TestCluster(broker);
    const ownStateDir =
      options.stateDir === undefined ? await mkdtemp(join(tmpdir(), 'tributary-driver-')) : undefined;
    const clock = { ms: options.initialWallClockTimeMs ?? 0 };
    try {
      const app = await AppInstance.start({
        applicationId,
        topology,
        broker,
        stateDir: options.stateDir ?? ownStateDir!,
        wallClock: () => clock.ms,
        errorHandling: { ...defaultErrorHandling, ...options.errorHandling },
        logger: options.logger ?? silentLogger,
      });
      cluster.addApp(app);
      return new TopologyTestDriver(topology, cluster, app, ownStateDir, clock);
    } catch (error) {
      if (ownStateDir) await rm(ownStateDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** An input topic; its serdes come from the definition, the arguments, or the topology's source for it. */
  createInputTopic<K, V>(topic: TopicDefinition<K, V>, options?: TestInputTopicOptions): TestInputTopic<K, V>;
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

  /** An output topic; its serdes come from the definition, the arguments, or the topology's sink for it. */
  createOutputTopic<K, V>(topic: TopicDefinition<K, V>): TestOutputTopic<K, V>;
  createOutputTopic<K, V>(topic: string, keySerde?: Serde<K>, valueSerde?: Serde<V>): TestOutputTopic<K, V>;
  createOutputTopic<K, V>(
    topic: string | TopicDefinition<K, V>,
    a?: Serde<K>,
    b?: Serde<V>,
  ): TestOutputTopic<K, V> {
    const { name, keySerde, valueSerde } = this.topicArgs(topic, a, b, undefined, 'sink');
    return new TestOutputTopic<K, V>(this.cluster.broker, name, keySerde as Serde<K>, valueSerde as Serde<V>);
  }

  /** Moves the mocked wall clock forward and fires wall-clock punctuation that became due. */
  advanceWallClockTime(ms: number): void {
    this.assertOpen();
    this.clock.ms += ms;
    this.cluster.punctuateWallClock();
  }

  get wallClockTime(): number {
    return this.clock.ms;
  }

  /** A key-value store read across all partitions; table stores show their plain values. */
  getKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    const parts = this.partitionsOf(name);
    const spec = this.storeSpec(name);
    const views =
      spec.kind === 'timestamped-key-value'
        ? (parts as TimestampedKeyValueStore<K, V>[]).map((s) => unwrappedTimestampedStore(s))
        : (parts as KeyValueStore<K, V>[]);
    return mergedKeyValueStore(name, views, spec.keySerde as Serde<K>);
  }

  getTimestampedKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, { value: V; timestamp: number }> {
    return mergedKeyValueStore(
      name,
      this.partitionsOf(name) as TimestampedKeyValueStore<K, V>[],
      this.storeSpec(name).keySerde as Serde<K>,
    );
  }

  /** A versioned key-value store read across all partitions: each key from the partition that holds it. */
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
    };
  }

  /** The copy of a store held by one partition's task (window and session stores are read this way). */
  getStateStore<S extends StateStore>(name: string, partition = 0): S {
    const store = this.app.store(name, partition);
    if (!store) throw new TopologyError(`no store "${name}" for partition ${partition}`);
    return store as S;
  }

  /** One partition's window store; a windowed aggregation's store shows its plain values. */
  getWindowStore<K, V>(name: string, partition = 0): ReadOnlyWindowStore<K, V> {
    const store = this.getStateStore<ReadOnlyWindowStore<K, ValueAndTimestamp<V>>>(name, partition);
    const spec = this.storeSpec(name);
    if (spec.kind === 'window' && spec.timestamped) return unwrappedTimestampedWindowStore(store);
    return store as unknown as ReadOnlyWindowStore<K, V>;
  }

  /** One partition's timestamped window store, each value with the largest timestamp that went into it. */
  getTimestampedWindowStore<K, V>(name: string, partition = 0): ReadOnlyWindowStore<K, ValueAndTimestamp<V>> {
    return this.getStateStore(name, partition);
  }

  getSessionStore<K, V>(name: string, partition = 0): ReadOnlySessionStore<K, V> {
    return this.getStateStore(name, partition);
  }

  /**
   * How many records the topology's operators dropped, per reason, across all tasks: records with a
   * null key where one is needed (`null-key`, `null-key-or-value`, `null-join-key-or-value`) and
   * records for windows that had already closed (`expired-window`). Kafka Streams' dropped-records metric.
   */
  droppedRecords(): Map<string, number> {
    return this.app.droppedRecords();
  }

  /** Names of the topics records were written to (including internal ones). */
  producedTopicNames(): string[] {
    return this.cluster.broker.topicNames().filter((t) => this.cluster.broker.records(t).length > 0);
  }

  /** Waits until every store write so far is on disk. */
  async flush(): Promise<void> {
    await this.app.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.app.close();
    } finally {
      if (this.ownStateDir) await rm(this.ownStateDir, { recursive: true, force: true });
    }
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
      (n) => n.kind === 'source' && n.topics.some((t) => Topology.topicName(t, this.applicationId) === topic),
    ) as { keySerde: Serde<unknown>; valueSerde: Serde<unknown> } | undefined;
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

  private assertOpen(): void {
    if (this.closed) throw new TopologyError('the test driver is closed');
  }
}
