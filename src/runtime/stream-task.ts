import { mkdirSync } from 'node:fs';
import { ProcessingError, SerdeError, TopologyError, describeOrigin, errorMessage } from '../errors.ts';
import {
  taskIdString,
  type Cancellable,
  type Processor,
  type PunctuationType,
  type Punctuator,
  type TaskId,
} from '../processor/api.ts';
import type { DropReason, InternalProcessorContext } from '../processor/internal-context.ts';
import type { RecordMetadata, StreamRecord } from '../processor/record.ts';
import type { Serde, SerdeContext } from '../serde/serde.ts';
import { isCachedStore, type StateStore } from '../state/api.ts';
import type { RecordContextScope } from '../state/cache/caching-key-value-store.ts';
import { cachingStore, type CachingStore } from '../state/cache/caching-store.ts';
import type { CachedRecordContext, RecordCache } from '../state/cache/record-cache.ts';
import type { TimestampExtractor } from '../topology/functions.ts';
import type { ProcessorNodeDef, SinkNodeDef, SourceNodeDef } from '../topology/physical.ts';
import { Topology, type Subtopology } from '../topology/topology.ts';
import { DroppedRecords } from './dropped-records.ts';
import {
  deadLetter,
  deadLetterTopic,
  originOf,
  type ErrorHandlerChoice,
  type ErrorHandling,
} from './error-handling.ts';
import { withBindings, type Logger } from '../common/logger.ts';
import { partitionForKey } from './partitioner.ts';
import { PunctuationQueue } from './punctuation.ts';
import type { ConsumedRecord, RecordCollector } from './records.ts';
import { formatOffset } from '../common/offset.ts';

/** Everything a task needs from whoever runs it (the test driver or a worker). */
export interface TaskEnvironment {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly subtopology: Subtopology;
  readonly partition: number;
  /** This task's stores and the global stores, by name. */
  readonly stores: ReadonlyMap<string, StateStore>;
  readonly collector: RecordCollector;
  /** The partition count of a topic the task writes to. */
  readonly partitionCount: (topic: string) => number;
  readonly wallClock: () => number;
  readonly errorHandling: ErrorHandling;
  /** The task adds its id (`task`) to every line it logs. */
  readonly logger: Logger;
  readonly requestCommit?: () => void;
  /** The task's state directory (`<stateDir>/<applicationId>/<task>`), which processors may ask for. */
  readonly stateDir?: string;
  /**
   * The record cache the task's caching stores share (Kafka Streams' `ThreadCache`); none, or one of
   * size 0, means no store caches: every write reaches the store and downstream at once.
   */
  readonly recordCache?: RecordCache;
}

type AnyRecord = StreamRecord<unknown, unknown>;

interface RuntimeNode {
  readonly name: string;
  process(record: AnyRecord): void;
}

/** Marks an error some node already ran through the processing handler, so parents do not handle it again. */
class HandledFailure extends Error {
  readonly failure: unknown;
  constructor(failure: unknown) {
    super(errorMessage(failure));
    this.failure = failure;
  }
}

/**
 * One sub-topology working on one partition: Kafka Streams' `StreamTask`. It deserializes each record
 * at its source node, pushes it depth-first through the processors, and serializes what reaches a sink.
 * Everything here is synchronous; the runner decides when to commit.
 */
export class StreamTask {
  readonly id: TaskId;
  readonly environment: TaskEnvironment;
  /** Broker topic names this task reads. */
  readonly sourceTopics: readonly string[];
  private readonly sources = new Map<string, SourceRuntime>();
  private readonly processors: ProcessorRuntimeNode[] = [];
  private readonly streamTimePunctuations = new PunctuationQueue('stream-time');
  private readonly wallClockPunctuations = new PunctuationQueue('wall-clock');
  private readonly partitionTimes = new Map<string, number>();
  private streamTimeMs = -1;
  private currentRecord: ConsumedRecord | undefined;
  private currentMetadata: RecordMetadata | undefined;
  private currentTimestampMs = -1;
  /** The record the processor being run received (tracked only for processors with caching stores). */
  private nodeRecord: AnyRecord | undefined;
  /** The stores processors see: the task's stores, with the record cache in front of caching ones. */
  private readonly stores: ReadonlyMap<string, StateStore>;
  /** Caching stores in the order the topology lists them, which is the order a commit flushes them in. */
  private readonly cachingStores: CachingStore[] = [];
  private initialized = false;
  private readonly dropped: DroppedRecords;
  private readonly logger: Logger;
  /** Records the error handlers skipped or sent to the dead-letter topic (a metric). */
  skippedByHandlers = 0;

  constructor(environment: TaskEnvironment) {
    this.environment = environment;
    this.id = { subtopology: environment.subtopology.id, partition: environment.partition };
    this.logger = withBindings(environment.logger, { task: `${this.id.subtopology}_${this.id.partition}` });
    this.dropped = new DroppedRecords({ logger: this.logger, clock: environment.wallClock });
    this.stores = this.withRecordCache(environment);
    this.buildNodes();
    this.sourceTopics = [...this.sources.keys()];
  }

  get streamTime(): number {
    return this.streamTimeMs;
  }

  /** The timestamp of the record (or punctuation) being processed: changelog records carry it. */
  get currentTimestamp(): number {
    return this.currentTimestampMs;
  }

  /** Records built-in operators dropped (null keys, expired windows), per reason: the dropped-records metric. */
  get droppedRecords(): ReadonlyMap<DropReason, number> {
    return this.dropped.byReason();
  }

  get droppedRecordsTotal(): number {
    return this.dropped.total;
  }

  init(): void {
    if (this.initialized) return;
    for (const node of this.processors) node.init();
    this.initialized = true;
  }

  /** Processes one consumed record, then fires any stream-time punctuation it made due. */
  process(record: ConsumedRecord): void {
    const source = this.sources.get(record.topic);
    if (!source)
      throw new TopologyError(
        `task ${this.id.subtopology}_${this.id.partition} does not read topic "${record.topic}"`,
      );
    const decoded = this.decode(source, record);
    if (!decoded) return;
    this.streamTimeMs = Math.max(this.streamTimeMs, decoded.timestamp);
    this.currentRecord = record;
    this.currentMetadata = { topic: record.topic, partition: record.partition, offset: record.offset };
    this.currentTimestampMs = decoded.timestamp;
    try {
      for (const child of source.children) child.process(decoded);
    } catch (error) {
      throw error instanceof HandledFailure ? error.failure : error;
    } finally {
      this.currentRecord = undefined;
      this.currentMetadata = undefined;
    }
    this.punctuateStreamTime();
  }

  /** Fires stream-time punctuations that are due; returns whether any fired. */
  punctuateStreamTime(): boolean {
    if (this.streamTimeMs < 0) return false;
    return this.punctuate(this.streamTimePunctuations, this.streamTimeMs);
  }

  /** Fires wall-clock punctuations that are due at the environment's clock; returns whether any fired. */
  punctuateWallClock(): boolean {
    return this.punctuate(this.wallClockPunctuations, this.environment.wallClock());
  }

  /**
   * Flushes the record cache of every caching store: each key written since the last flush reaches its
   * store (and so its changelog) and is forwarded downstream once, with the context of its last write.
   * A commit calls this first, so what it forwards is part of what the commit covers.
   */
  flushCache(): void {
    try {
      for (const store of this.cachingStores) store.flush();
    } catch (error) {
      throw error instanceof HandledFailure ? error.failure : error;
    }
  }

  /** Whether any store of this task caches its writes. */
  get caches(): boolean {
    return this.cachingStores.length > 0;
  }

  close(): void {
    for (const node of this.processors) node.close();
    for (const store of this.cachingStores) store.clear();
  }

  private withRecordCache(environment: TaskEnvironment): ReadonlyMap<string, StateStore> {
    const cache = environment.recordCache;
    if (!cache || cache.maxBytes === 0) return environment.stores;
    const stores = new Map(environment.stores);
    const scope: RecordContextScope = {
      current: () => ({
        timestamp: this.nodeRecord?.timestamp ?? this.currentTimestampMs,
        headers: this.nodeRecord?.headers ?? {},
        origin: this.currentMetadata,
      }),
      runWith: (context, flush) => this.runWithContext(context, flush),
    };
    for (const spec of environment.subtopology.stores) {
      if (!spec.caching) continue;
      const caching = cachingStore(stores.get(spec.name), cache, scope);
      if (!caching) continue;
      stores.set(spec.name, caching);
      this.cachingStores.push(caching);
    }
    return stores;
  }

  private runWithContext(context: CachedRecordContext, flush: () => void): void {
    const metadata = this.currentMetadata;
    const timestamp = this.currentTimestampMs;
    this.currentMetadata = context.origin;
    this.currentTimestampMs = context.timestamp;
    try {
      flush();
    } finally {
      this.currentMetadata = metadata;
      this.currentTimestampMs = timestamp;
    }
  }

  private punctuate(queue: PunctuationQueue, time: number): boolean {
    return queue.punctuate(time, (_owner, fire) => {
      this.currentTimestampMs = time;
      try {
        fire();
      } catch (error) {
        throw error instanceof HandledFailure ? error.failure : error;
      }
    });
  }

  private decode(source: SourceRuntime, record: ConsumedRecord): AnyRecord | undefined {
    let key: unknown = null;
    let value: unknown = null;
    let part: 'key' | 'value' = 'key';
    try {
      const context: SerdeContext = { topic: record.topic, part: 'key', headers: record.headers };
      if (record.key !== null) key = source.def.keySerde.deserialize(record.key, context);
      part = 'value';
      if (record.value !== null)
        value = source.def.valueSerde.deserialize(record.value, { ...context, part: 'value' });
    } catch (cause) {
      const error = new SerdeError(
        `cannot deserialize the ${part} of the record at ${describeOrigin(originOf(record))}: ${errorMessage(cause)}`,
        {
          cause,
          origin: originOf(record),
          part,
        },
      );
      this.handle(this.environment.errorHandling.deserialization, error, record, source.def.name);
      return undefined;
    }
    const partitionKey = `${record.topic}-${record.partition}`;
    const partitionTime = this.partitionTimes.get(partitionKey) ?? -1;
    let timestamp = record.timestamp;
    if (source.extractor) {
      try {
        timestamp = source.extractor(
          { key, value, timestamp: record.timestamp, headers: record.headers },
          partitionTime,
        );
      } catch (cause) {
        const error = new ProcessingError(
          source.def.name,
          `the timestamp extractor failed at ${describeOrigin(originOf(record))}: ${errorMessage(cause)}`,
          { cause, origin: originOf(record) },
        );
        this.handle(this.environment.errorHandling.processing, error, record, source.def.name);
        return undefined;
      }
    }
    if (!Number.isFinite(timestamp) || timestamp < 0) {
      const error = new SerdeError(
        `the record at ${describeOrigin(originOf(record))} has an invalid timestamp (${timestamp})`,
        { origin: originOf(record) },
      );
      this.handle(this.environment.errorHandling.deserialization, error, record, source.def.name);
      return undefined;
    }
    this.partitionTimes.set(partitionKey, Math.max(partitionTime, timestamp));
    return { key, value, timestamp, headers: record.headers };
  }

  /** Applies an error handler: throws for 'fail', otherwise logs (and dead-letters) and lets processing go on. */
  handle(
    choice: ErrorHandlerChoice,
    error: Error,
    record: ConsumedRecord | undefined,
    processor: string,
  ): void {
    if (choice === 'fail') throw error;
    this.skippedByHandlers++;
    const { applicationId, errorHandling, collector, partitionCount } = this.environment;
    const where = record ? describeOrigin(originOf(record)) : 'during punctuation';
    if (choice === 'dead-letter' && record) {
      const topic = deadLetterTopic(errorHandling, applicationId);
      const partitions = partitionCount(topic);
      const partition = record.key ? partitionForKey(record.key, partitions) : record.partition % partitions;
      collector.send(deadLetter(record, error, { topic, partition, applicationId, processor }));
      this.logger.warn(
        {
          err: error,
          processor,
          topic: record.topic,
          partition: record.partition,
          offset: formatOffset(record.offset),
          deadLetterTopic: topic,
        },
        `record sent to the dead-letter topic: ${error.message}`,
      );
      return;
    }
    this.logger.warn({ err: error, processor, where }, `record skipped: ${error.message}`);
  }

  /**
   * Applies the production handler to a record a sink cannot serialize. A failure it does not let pass
   * stops processing without reaching the processing handler of the processors above the sink.
   */
  handleProduction(error: SerdeError, record: ConsumedRecord | undefined, sink: string): void {
    try {
      this.handle(this.environment.errorHandling.production, error, record, sink);
    } catch (fatal) {
      throw new HandledFailure(fatal);
    }
  }

  private buildNodes(): void {
    const { subtopology, applicationId } = this.environment;
    const children = new Map<string, RuntimeNode[]>();
    // Build children first so each node knows whom to forward to: walk the nodes backwards.
    const nodes = [...subtopology.nodes].reverse();
    for (const def of nodes) {
      const kids = children.get(def.name) ?? [];
      let node: RuntimeNode | undefined;
      if (def.kind === 'sink') node = new SinkRuntimeNode(def, this);
      else if (def.kind === 'processor') {
        const processorNode = new ProcessorRuntimeNode(def, this, kids.reverse());
        this.processors.unshift(processorNode);
        node = processorNode;
      } else {
        const source: SourceRuntime = {
          def,
          children: kids.reverse(),
          extractor: def.timestampExtractor,
        };
        for (const topic of def.topics) this.sources.set(Topology.topicName(topic, applicationId), source);
      }
      if (!node) continue;
      for (const parent of (def as ProcessorNodeDef | SinkNodeDef).parents) {
        const list = children.get(parent) ?? [];
        list.push(node);
        children.set(parent, list);
      }
    }
  }

  /**
   * A store as the task's processors see it: with the record cache in front of a caching store.
   * Interactive queries read stores this way, so they see writes the cache still holds.
   */
  store(name: string): StateStore | undefined {
    return this.stores.get(name);
  }

  /** @internal used by nodes: whether a store is a caching one */
  caching(name: string): boolean {
    const store = this.stores.get(name);
    return store !== undefined && isCachedStore(store);
  }

  /** @internal used by nodes with caching stores, which must know what record a write came from */
  runOnRecord(record: AnyRecord, process: () => void): void {
    const previous = this.nodeRecord;
    this.nodeRecord = record;
    try {
      process();
    } finally {
      this.nodeRecord = previous;
    }
  }

  /** @internal used by nodes */
  metadata(): RecordMetadata | undefined {
    return this.currentMetadata;
  }

  /** @internal used by nodes */
  record(): ConsumedRecord | undefined {
    return this.currentRecord;
  }

  /** @internal used by nodes */
  recordDropped(
    processor: string,
    reason: DropReason,
    record: AnyRecord,
    details?: Readonly<Record<string, unknown>>,
  ): void {
    this.dropped.record(reason, processor, this.currentMetadata, record, details);
  }

  /** @internal used by nodes */
  schedule(owner: string, intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
    if (!Number.isFinite(intervalMs) || intervalMs < 1)
      throw new TopologyError(`${owner}: punctuation interval must be at least 1 ms, got ${intervalMs}`);
    if (type === 'stream-time') return this.streamTimePunctuations.schedule(owner, 0, intervalMs, punctuator);
    return this.wallClockPunctuations.schedule(
      owner,
      this.environment.wallClock() + intervalMs,
      intervalMs,
      punctuator,
    );
  }
}

interface SourceRuntime {
  readonly def: SourceNodeDef;
  readonly children: RuntimeNode[];
  readonly extractor: TimestampExtractor<unknown, unknown> | undefined;
}

class ProcessorRuntimeNode implements RuntimeNode {
  readonly name: string;
  private readonly def: ProcessorNodeDef;
  private readonly task: StreamTask;
  private readonly children: RuntimeNode[];
  private readonly childrenByName: Map<string, RuntimeNode>;
  private readonly processor: Processor<unknown, unknown, unknown, unknown>;
  private readonly context: InternalProcessorContext<unknown, unknown>;
  /** Whether the processor writes to a caching store, which keeps the context of each write. */
  private readonly writesToCache: boolean;

  constructor(def: ProcessorNodeDef, task: StreamTask, children: RuntimeNode[]) {
    this.name = def.name;
    this.def = def;
    this.task = task;
    this.children = children;
    this.childrenByName = new Map(children.map((c) => [c.name, c]));
    this.processor = def.supplier();
    this.context = this.createContext();
    this.writesToCache = def.stores.some((name) => task.caching(name));
  }

  init(): void {
    this.processor.init?.(this.context);
  }

  close(): void {
    this.processor.close?.();
  }

  process(record: AnyRecord): void {
    try {
      if (this.writesToCache) this.task.runOnRecord(record, () => this.processor.process(record));
      else this.processor.process(record);
    } catch (error) {
      if (error instanceof HandledFailure) throw error;
      const consumed = this.task.record();
      const failure =
        error instanceof ProcessingError || error instanceof SerdeError
          ? error
          : new ProcessingError(
              this.name,
              `processor "${this.name}" failed ${consumed ? `on the record at ${describeOrigin(originOf(consumed))}` : 'during punctuation'}: ${errorMessage(error)}`,
              {
                cause: error,
                origin: consumed ? originOf(consumed) : undefined,
              },
            );
      try {
        this.task.handle(this.task.environment.errorHandling.processing, failure, consumed, this.name);
      } catch (fatal) {
        throw new HandledFailure(fatal);
      }
    }
  }

  private createContext(): InternalProcessorContext<unknown, unknown> {
    const task = this.task;
    const env = task.environment;
    const storeNames = new Set(this.def.stores);
    return {
      applicationId: env.applicationId,
      taskId: task.id,
      recordMetadata: () => task.metadata(),
      currentStreamTimeMs: () => task.streamTime,
      currentSystemTimeMs: () => env.wallClock(),
      forward: (record, childName) => {
        if (childName === undefined) {
          for (const child of this.children) child.process(record);
          return;
        }
        const child = this.childrenByName.get(childName);
        if (!child) throw new TopologyError(`processor "${this.name}" has no child named "${childName}"`);
        child.process(record);
      },
      getStateStore: <S extends StateStore>(name: string): S => {
        if (!storeNames.has(name)) {
          throw new TopologyError(
            `processor "${this.name}" is not connected to store "${name}"; list it in the processor's stores`,
          );
        }
        const store = task.store(name);
        if (!store)
          throw new TopologyError(
            `store "${name}" is not open in task ${task.id.subtopology}_${task.id.partition}`,
          );
        return store as S;
      },
      schedule: (intervalMs, type, punctuator) => task.schedule(this.name, intervalMs, type, punctuator),
      commit: () => env.requestCommit?.(),
      keySerde: () => defaultSerde(env.topology, 'defaultKeySerde'),
      valueSerde: () => defaultSerde(env.topology, 'defaultValueSerde'),
      stateDir: () => {
        if (env.stateDir === undefined)
          throw new TopologyError(
            `task ${taskIdString(task.id)} of "${env.applicationId}" has no state directory`,
          );
        // A task without stores has not needed its directory yet.
        mkdirSync(env.stateDir, { recursive: true });
        return env.stateDir;
      },
      recordDropped: (reason, record, details) => task.recordDropped(this.name, reason, record, details),
      warn: (message, details) => {
        const origin = task.metadata();
        env.logger.warn(
          { task: taskIdString(task.id), processor: this.name, ...(origin && originOf(origin)), ...details },
          message,
        );
      },
    };
  }
}

class SinkRuntimeNode implements RuntimeNode {
  readonly name: string;
  private readonly def: SinkNodeDef;
  private readonly task: StreamTask;
  private readonly fixedTopic: string | undefined;
  private roundRobin = 0;

  constructor(def: SinkNodeDef, task: StreamTask) {
    this.name = def.name;
    this.def = def;
    this.task = task;
    this.fixedTopic =
      typeof def.topic === 'function'
        ? undefined
        : Topology.topicName(def.topic, task.environment.applicationId);
  }

  process(record: AnyRecord): void {
    const env = this.task.environment;
    const topic =
      this.fixedTopic ??
      (this.def.topic as (k: unknown, v: unknown, r: AnyRecord) => string)(record.key, record.value, record);
    const partitions = env.partitionCount(topic);
    // As in Kafka Streams, a custom partitioner sees the objects, before serialization.
    const chosen = this.def.partitioner?.(topic, record.key, record.value, partitions) ?? undefined;
    if (chosen !== undefined && (!Number.isInteger(chosen) || chosen < 0 || chosen >= partitions)) {
      throw new TopologyError(
        `sink "${this.name}": the partitioner chose partition ${chosen} of topic "${topic}", which has ${partitions}`,
      );
    }
    let key: Uint8Array | null = null;
    let value: Uint8Array | null = null;
    let part: SerdeContext['part'] = 'key';
    try {
      if (record.key !== null && record.key !== undefined)
        key = this.def.keySerde.serialize(record.key, { topic, part, headers: record.headers });
      part = 'value';
      if (record.value !== null && record.value !== undefined)
        value = this.def.valueSerde.serialize(record.value, { topic, part, headers: record.headers });
    } catch (cause) {
      this.serializationFailed(cause, part, topic, chosen);
      return;
    }
    const partition =
      chosen ?? (key === null ? this.roundRobin++ % partitions : partitionForKey(key, partitions));
    env.collector.send({
      topic,
      partition,
      key,
      value,
      timestamp: record.timestamp,
      headers: record.headers,
    });
  }

  /**
   * Hands a serde's failure to the production handler, as an error naming the sink, the topic (and
   * partition when the partitioner chose one), the input record this output came from, and the serde's
   * own reason (which names the field when the serde knows it).
   */
  private serializationFailed(
    cause: unknown,
    part: SerdeContext['part'],
    topic: string,
    partition: number | undefined,
  ): void {
    // A cache flush at commit forwards with the origin of the write it flushes; a punctuation with none.
    const origin = this.task.metadata();
    const target = `topic "${topic}"${partition === undefined ? '' : ` partition ${partition}`}`;
    const from = origin ? `the record from ${describeOrigin(origin)}` : 'a record forwarded by a punctuation';
    const error = new SerdeError(
      `sink "${this.name}" cannot serialize the ${part} of ${from} for ${target}: ${errorMessage(cause)}`,
      { cause, origin: origin && originOf(origin), part },
    );
    this.task.handleProduction(error, this.task.record(), this.name);
  }
}

/** The topology's default serde, as the DSL's builder set it. */
function defaultSerde(topology: Topology, which: 'defaultKeySerde' | 'defaultValueSerde'): Serde<unknown> {
  const serde = topology.ir?.[which];
  if (!serde)
    throw new TopologyError(
      `the topology has no ${which === 'defaultKeySerde' ? 'default key serde' : 'default value serde'}: it was not built by a StreamsBuilder`,
    );
  return serde as Serde<unknown>;
}
