import { TopologyError } from '../../errors.ts';
import type { TableValueGetterSupplier } from '../../processor/ops/value-getter.ts';
import type {
  KeyValueStoreSpec,
  SessionStoreSpec,
  StoreSpec,
  VersionedKeyValueStoreSpec,
  WindowStoreSpec,
} from '../../state/api.ts';
import type { AnySerde, IrGraph, IrNode, IrOp, StoreIr } from '../ir.ts';
import { OldValues } from './old-values.ts';
import { VersionedTables } from './versioned.ts';
import type { PhysicalTopologyBuilder, SourceNodeDef } from '../physical.ts';
import type { CompileOptions } from '../compile-options.ts';

/** What an operator's compiler may use while writing itself into the physical topology. */
export class CompileContext {
  readonly graph: IrGraph;
  readonly builder: PhysicalTopologyBuilder;
  /** Which tables forward old values (Kafka Streams' `enableSendingOldValues`, decided for the whole graph). */
  readonly oldValues: OldValues;
  /** Which tables are versioned, and so which operators use versioned semantics (KIP-914). */
  readonly versioned: VersionedTables;
  private readonly outputs = new Map<number, string>();
  private readonly valueGetters = new Map<number, TableValueGetterSupplier<unknown, unknown>>();
  /** The external or repartition topics each IR node's records come from, for co-partitioning checks. */
  private readonly sourceTopics = new Map<number, readonly string[]>();

  private readonly renameTopic: ((name: string) => string) | undefined;

  constructor(graph: IrGraph, builder: PhysicalTopologyBuilder, options: CompileOptions = {}) {
    this.graph = graph;
    this.builder = builder;
    this.oldValues = new OldValues(graph);
    this.versioned = new VersionedTables(graph);
    this.renameTopic = options.renameTopic;
  }

  /** Whether this build gives user topics other names than the topology's code does. */
  get renamesTopics(): boolean {
    return this.renameTopic !== undefined;
  }

  /** The name a user topic has in this build (see `CompileOptions.renameTopic`). */
  externalTopic(name: string): string {
    return this.renameTopic ? this.renameTopic(name) : name;
  }

  /** The physical node that emits this IR node's records. */
  output(id: number): string {
    const name = this.outputs.get(id);
    if (name === undefined)
      throw new TopologyError(`${this.graph.node(id).name} has no output (it is terminal)`);
    return name;
  }

  setOutput(id: number, physicalName: string): void {
    this.outputs.set(id, physicalName);
  }

  parentOutputs(node: IrNode): string[] {
    return node.parents.map((p) => this.output(p));
  }

  /** The source node that reads exactly these topics, if one was added already. */
  sourceReading(topics: readonly string[]): SourceNodeDef | undefined {
    const wanted = [...topics].sort().join('\n');
    for (const node of this.builder.nodes.values()) {
      if (node.kind !== 'source') continue;
      if (
        node.topics
          .map((t) => t.name)
          .sort()
          .join('\n') === wanted
      )
        return node;
    }
    return undefined;
  }

  valueGetter(id: number): TableValueGetterSupplier<unknown, unknown> {
    const getter = this.valueGetters.get(id);
    if (!getter)
      throw new TopologyError(`${this.graph.node(id).name} is not a table whose values can be looked up`);
    return getter;
  }

  setValueGetter(id: number, getter: TableValueGetterSupplier<unknown, unknown>): void {
    this.valueGetters.set(id, getter);
  }

  topicsOf(id: number): readonly string[] {
    return this.sourceTopics.get(id) ?? [];
  }

  setTopics(id: number, topics: readonly string[]): void {
    this.sourceTopics.set(id, topics);
  }

  /** A node's topics are its parents' unless it reads a topic itself. */
  inheritTopics(node: IrNode): void {
    this.sourceTopics.set(node.id, [...new Set(node.parents.flatMap((p) => this.topicsOf(p)))]);
  }

  keySerde(serde: AnySerde | undefined): AnySerde {
    return serde ?? this.graph.defaultKeySerde;
  }

  valueSerde(serde: AnySerde | undefined): AnySerde {
    return serde ?? this.graph.defaultValueSerde;
  }

  /** Creates the store spec for a `StoreIr` and adds it (with its changelog) to the topology. */
  addKeyValueStore(
    store: StoreIr,
    options: {
      timestamped: boolean;
      sourceTopic?: string;
      keySerde?: AnySerde;
      valueSerde?: AnySerde;
      /**
       * The operator forwards through the record cache (tables and aggregations, as Kafka Streams'
       * `TimestampedTupleForwarder`): the store caches unless `Materialized.caching` turned it off.
       */
      cacheable?: boolean;
    },
  ): KeyValueStoreSpec {
    const spec: KeyValueStoreSpec = {
      kind: options.timestamped ? 'timestamped-key-value' : 'key-value',
      ...this.common(store, options.keySerde, options.valueSerde),
      logging: { enabled: store.logging, topicConfig: store.loggingConfig, sourceTopic: options.sourceTopic },
      ...(options.cacheable && store.caching !== false ? { caching: true } : {}),
    };
    this.builder.addStore(spec);
    return spec;
  }

  /** Creates the spec of a versioned store (`StoreIr.historyRetentionMs` set) and adds it to the topology. */
  addVersionedStore(store: StoreIr, historyRetentionMs: number): VersionedKeyValueStoreSpec {
    const spec: VersionedKeyValueStoreSpec = {
      kind: 'versioned-key-value',
      ...this.common(store, undefined, undefined),
      logging: { enabled: store.logging, topicConfig: store.loggingConfig },
      historyRetentionMs,
    };
    this.builder.addStore(spec);
    return spec;
  }

  addWindowStore(
    store: StoreIr,
    options: {
      windowSizeMs: number;
      retentionMs: number;
      retainDuplicates: boolean;
      timestamped?: boolean;
      keySerde?: AnySerde;
      valueSerde?: AnySerde;
      /** As for `addKeyValueStore`: windowed aggregations emitting every update forward through the cache. */
      cacheable?: boolean;
    },
  ): WindowStoreSpec {
    const spec: WindowStoreSpec = {
      kind: 'window',
      ...this.common(store, options.keySerde, options.valueSerde),
      logging: { enabled: store.logging, topicConfig: store.loggingConfig },
      windowSizeMs: options.windowSizeMs,
      retentionMs: store.retentionMs ?? options.retentionMs,
      retainDuplicates: options.retainDuplicates,
      ...(options.timestamped ? { timestamped: true } : {}),
      ...(options.cacheable && store.caching !== false ? { caching: true } : {}),
    };
    this.builder.addStore(spec);
    return spec;
  }

  addSessionStore(
    store: StoreIr,
    options: { retentionMs: number; keySerde?: AnySerde; valueSerde?: AnySerde; cacheable?: boolean },
  ): SessionStoreSpec {
    const spec: SessionStoreSpec = {
      kind: 'session',
      ...this.common(store, options.keySerde, options.valueSerde),
      logging: { enabled: store.logging, topicConfig: store.loggingConfig },
      retentionMs: store.retentionMs ?? options.retentionMs,
      ...(options.cacheable && store.caching !== false ? { caching: true } : {}),
    };
    this.builder.addStore(spec);
    return spec;
  }

  addStore(spec: StoreSpec): void {
    this.builder.addStore(spec);
  }

  private common(store: StoreIr, keySerde: AnySerde | undefined, valueSerde: AnySerde | undefined) {
    return {
      name: store.name,
      keySerde: keySerde ?? this.keySerde(store.keySerde),
      valueSerde: valueSerde ?? this.valueSerde(store.valueSerde),
      backend: store.backend,
    };
  }
}

export type OpCompiler<N extends IrNode = IrNode> = (node: N, context: CompileContext) => void;

/** The IR node type whose `op` can be `Op` (some node types share several ops). */
export type IrNodeOf<Op extends IrOp> = IrNode extends infer N
  ? N extends IrNode
    ? Op extends N['op']
      ? N
      : never
    : never
  : never;

/** One compiler per IR operation; each area of operators contributes its own table. */
export type OpCompilers = { [Op in IrOp]?: OpCompiler<IrNodeOf<Op>> };
