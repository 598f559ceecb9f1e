/**
 * The logical graph: what the DSL records and what a topology in JSON form describes. Each node is one
 * DSL operation with its arguments; nothing runs while it is built. `compile.ts` turns it into the
 * physical topology. Functions and serdes appear as values here; the JSON form refers to them by the
 * names they were registered under (see `functions-registry.ts`).
 */
import type { Serde } from '../serde/serde.ts';
import type { StoreBackend, StoreSpec } from '../state/api.ts';
import type {
  AggregatorFunction,
  Erased,
  InitializerFunction,
  KeyValueFunction,
  MergerFunction,
  ValueJoinerFunction,
  ValueKeyFunction,
} from '../common/functions.ts';
import type {
  FixedKeyProcessorSupplier,
  ProcessorSupplier,
  ValueTransformerWithKeySupplier,
} from '../processor/api.ts';
import type { KeyValue, StreamRecord } from '../processor/record.ts';
import type {
  AggregateKind,
  JoinType,
  JoinWindowsSpec,
  SessionWindowsSpec,
  SlidingWindowsSpec,
  SuppressSpec,
  TimeWindowsSpec,
} from '../processor/ops/specs.ts';
import { TributaryError } from '../errors.ts';

// What the graph's nodes are made of, declared below it and re-exported for the DSL and the compilers.
export type {
  AggregateKind,
  JoinType,
  JoinWindowsSpec,
  SessionWindowsSpec,
  SlidingWindowsSpec,
  SuppressSpec,
  TimeWindowsSpec,
} from '../processor/ops/specs.ts';

export type AnySerde = Serde<unknown>;

/**
 * A processor supplier with its key and value types erased: the one place where typed operators meet
 * the topology. A topology holds processors of every key and value type in one graph, and records reach
 * them from the runtime as `unknown`, so the graph (and the IR's custom `process` nodes) keep suppliers
 * erased; each operator is built typed (`ProcessorSupplier<K, V, KR, VR>`) and stored here without a
 * cast, as `Processor` declares its methods bivariantly. What makes neighbouring nodes' types agree is
 * the DSL's signatures, which every node is built through.
 */
export type ErasedProcessorSupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;

// The user's functions, erased to unknown keys and values (see common/functions.ts).
export type ErasedTimestampExtractor = Erased<
  [record: StreamRecord<unknown, unknown>, partitionTime: number],
  number
>;
export type ErasedTopicNameExtractor = Erased<
  [key: unknown, value: unknown, record: StreamRecord<unknown, unknown>],
  string
>;
export type ErasedPartitioner = Erased<
  [topic: string, key: unknown, value: unknown, numPartitions: number],
  number | undefined
>;

/** How the DSL asked for a store to be kept (Kafka Streams' `Materialized`). */
export interface StoreIr {
  readonly name: string;
  /** True when Tributary made the name up; such stores are not meant to be queried. */
  readonly generated: boolean;
  readonly backend: StoreBackend;
  readonly logging: boolean;
  readonly loggingConfig: Readonly<Record<string, string>>;
  /** False when `Materialized.caching` turned the record cache off for this store; absent: on. */
  readonly caching?: false;
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
  readonly retentionMs: number | undefined;
  /** Set for a versioned store (KIP-889): how long old versions stay readable. */
  readonly historyRetentionMs?: number;
}

interface Base {
  readonly id: number;
  /** The processor name: given by the user or generated (`KSTREAM-FILTER-0000000003`). */
  readonly name: string;
  readonly parents: readonly number[];
}

/** A node reading one parent. */
interface UnaryBase extends Base {
  readonly parents: readonly [parent: number];
}

/** A join: the left (this) side first, the right (other) side second. */
interface BinaryBase extends Base {
  readonly parents: readonly [left: number, right: number];
}

export interface StreamSourceIr extends Base {
  readonly op: 'stream-source';
  readonly topics: readonly string[];
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
  readonly timestampExtractor: ErasedTimestampExtractor | undefined;
}

/** A table read from a topic; `name` is the table processor, `sourceName` the source node before it. */
export interface TableSourceIr extends Base {
  readonly op: 'table-source';
  readonly sourceName: string;
  readonly topic: string;
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
  readonly timestampExtractor: ErasedTimestampExtractor | undefined;
  readonly store: StoreIr;
}

export interface GlobalTableIr extends Base {
  readonly op: 'global-table';
  readonly sourceName: string;
  readonly topic: string;
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
  readonly store: StoreIr;
}

export interface FilterIr extends UnaryBase {
  readonly op: 'filter';
  readonly predicate: KeyValueFunction<unknown>;
  readonly negate: boolean;
}

/** What each mapping operation's mapper is, as the graph holds it. */
export interface Mappers {
  readonly map: KeyValueFunction<KeyValue<unknown, unknown>>;
  readonly 'map-values': ValueKeyFunction<unknown>;
  readonly 'flat-map': KeyValueFunction<Iterable<KeyValue<unknown, unknown>>>;
  readonly 'flat-map-values': ValueKeyFunction<Iterable<unknown>>;
  readonly 'select-key': KeyValueFunction<unknown>;
}

/** A mapping operation and its mapper, one kind per operation. */
export type MapOperation = {
  [Op in keyof Mappers]: { readonly op: Op; readonly mapper: Mappers[Op] };
}[keyof Mappers];

export type MapIr = UnaryBase & MapOperation;

export interface PeekIr extends UnaryBase {
  readonly op: 'peek' | 'foreach';
  readonly action: KeyValueFunction<unknown>;
}

export interface MergeIr extends Base {
  readonly op: 'merge';
}

/** Routes each record to the first branch whose predicate holds (`undefined` predicate: default branch). */
export interface SplitIr extends UnaryBase {
  readonly op: 'split';
  readonly branches: readonly {
    readonly childName: string;
    readonly predicate: KeyValueFunction<unknown> | undefined;
  }[];
}

/** A pass-through node: a branch of a split. */
export interface BranchIr extends UnaryBase {
  readonly op: 'branch';
}

export interface RepartitionIr extends UnaryBase {
  readonly op: 'repartition';
  /** The topic name without the application id, ending in `-repartition`. */
  readonly topic: string;
  readonly sinkName: string;
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
  readonly partitions: number | undefined;
  readonly partitioner: ErasedPartitioner | undefined;
}

export interface SinkIr extends UnaryBase {
  readonly op: 'to';
  /** A fixed topic or a TopicNameExtractor. */
  readonly topic: string | ErasedTopicNameExtractor;
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
  readonly partitioner: ErasedPartitioner | undefined;
}

export interface ProcessIr extends UnaryBase {
  readonly op: 'process';
  readonly supplier: ErasedProcessorSupplier;
  readonly stores: readonly string[];
  /**
   * For a processor reading a table's changes: it asks the table for their old values, as Kafka
   * Streams' internal `enableSendingOldValues(forceMaterialization)` does. Without `force`, a table
   * that would have to be materialized for them does not send them.
   */
  readonly oldValues?: { readonly force: boolean };
}

/** A fixed-key processor (`processValues`): may change values, not keys. */
export interface ProcessValuesIr extends UnaryBase {
  readonly op: 'process-values';
  readonly supplier: FixedKeyProcessorSupplier<unknown, unknown, unknown>;
  readonly stores: readonly string[];
}

/** A store added with `builder.addStateStore`, for processors to use. */
export interface StateStoreIr extends Base {
  readonly op: 'state-store';
  readonly spec: StoreSpec;
}

export interface ToTableIr extends UnaryBase {
  readonly op: 'to-table';
  readonly store: StoreIr;
}

export interface TableFilterIr extends UnaryBase {
  readonly op: 'table-filter';
  readonly predicate: KeyValueFunction<unknown>;
  readonly negate: boolean;
  readonly store: StoreIr | undefined;
}

export interface TableMapValuesIr extends UnaryBase {
  readonly op: 'table-map-values';
  readonly mapper: ValueKeyFunction<unknown>;
  readonly store: StoreIr | undefined;
}

export interface TableTransformValuesIr extends UnaryBase {
  readonly op: 'table-transform-values';
  readonly supplier: ValueTransformerWithKeySupplier<unknown, unknown, unknown>;
  /** The stores the transformer reads, connected to the operator (and to whoever reads its values). */
  readonly stores: readonly string[];
  readonly store: StoreIr | undefined;
}

export interface TableToStreamIr extends UnaryBase {
  readonly op: 'table-to-stream';
}

export interface SuppressIr extends UnaryBase {
  readonly op: 'suppress';
  readonly spec: SuppressSpec;
  /** The buffer's store (logged, so a restart does not lose buffered results). */
  readonly storeName: string;
  /** The suppressed table's serdes, for the buffer's store (undefined: the defaults). */
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
}

/** The user's functions only: count has none, reduce has no initializer (its first value starts the aggregate). */
interface AggregateFns {
  readonly kind: AggregateKind;
  /** aggregate: () => VA */
  readonly initializer: InitializerFunction | undefined;
  /** aggregate: (key, value, aggregate) => VA; reduce: (aggregate, value) => V */
  readonly aggregator: AggregatorFunction | undefined;
}

export interface StreamAggregateIr extends UnaryBase, AggregateFns {
  readonly op: 'stream-aggregate';
  readonly store: StoreIr;
}

/** When a windowed aggregation emits: every update, or each window's final result once it closes. */
export type EmitStrategyType = 'on-window-update' | 'on-window-close';

export interface WindowedAggregateIr extends UnaryBase, AggregateFns {
  readonly op: 'windowed-aggregate';
  readonly windows: TimeWindowsSpec | SlidingWindowsSpec;
  readonly store: StoreIr;
  /** Undefined: on every update. */
  readonly emitStrategy?: EmitStrategyType;
}

export interface SessionAggregateIr extends UnaryBase, AggregateFns {
  readonly op: 'session-aggregate';
  readonly windows: SessionWindowsSpec;
  /** aggregate: (key, aggregate1, aggregate2) => VA, for merging sessions; count and reduce derive theirs. */
  readonly merger: MergerFunction | undefined;
  readonly store: StoreIr;
  /** Undefined: on every update. */
  readonly emitStrategy?: EmitStrategyType;
}

/**
 * Several grouped streams aggregated into one table (`cogroup`, KIP-150): one aggregating processor
 * per input (its own aggregator), all writing one store, their results merged. Plain, time, sliding or
 * session windowed.
 */
export interface CogroupAggregateIr extends Base {
  readonly op: 'cogroup-aggregate';
  /** One per parent, in order: (key, value, aggregate) => aggregate. */
  readonly aggregators: readonly AggregatorFunction[];
  /** The processors' names, one per parent; `name` is the node merging their results. */
  readonly aggregateNames: readonly string[];
  readonly initializer: InitializerFunction;
  /** Session windows: (key, aggregate1, aggregate2) => aggregate. */
  readonly merger: MergerFunction | undefined;
  readonly windows: TimeWindowsSpec | SlidingWindowsSpec | SessionWindowsSpec | undefined;
  readonly store: StoreIr;
}

/** Re-keys a table for `groupBy`: sends the old value to its old group and the new to its new one. */
export interface TableGroupByIr extends UnaryBase {
  readonly op: 'table-group-by';
  /** (key, value) => KeyValue of the new key and value. `name` is this selecting processor. */
  readonly selector: KeyValueFunction<KeyValue<unknown, unknown> | null | undefined>;
  readonly topic: string;
  readonly sinkName: string;
  /** The source reading the repartition topic back: downstream nodes hang off it. */
  readonly sourceName: string;
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
}

export interface TableAggregateIr extends UnaryBase {
  readonly op: 'table-aggregate';
  readonly kind: AggregateKind;
  readonly initializer: InitializerFunction | undefined;
  /** (key, value, aggregate) => VA; reduce: (aggregate, value) => V */
  readonly adder: AggregatorFunction | undefined;
  readonly subtractor: AggregatorFunction | undefined;
  readonly store: StoreIr;
}

export interface StreamStreamJoinIr extends BinaryBase {
  readonly op: 'stream-stream-join';
  readonly joinType: JoinType;
  readonly windows: JoinWindowsSpec;
  /** (leftValue, rightValue, key) => VR */
  readonly joiner: ValueJoinerFunction;
  readonly thisWindowName: string;
  readonly otherWindowName: string;
  readonly thisJoinName: string;
  readonly otherJoinName: string;
  readonly thisStore: StoreIr;
  readonly otherStore: StoreIr;
  /** Left/outer joins remember records that found no partner yet, to emit them when the window closes. */
  readonly outerStore: StoreIr | undefined;
  readonly keySerde: AnySerde | undefined;
  readonly thisValueSerde: AnySerde | undefined;
  readonly otherValueSerde: AnySerde | undefined;
}

export interface StreamTableJoinIr extends BinaryBase {
  readonly op: 'stream-table-join';
  readonly joinType: 'inner' | 'left';
  /** (streamValue, tableValue, key) => VR */
  readonly joiner: ValueJoinerFunction;
  /**
   * With a versioned table (KIP-914): how long stream records wait, in timestamp order, before they
   * are joined, so table updates up to that late still count.
   */
  readonly gracePeriodMs?: number;
  /** Where the waiting stream records are kept (`<name>-Buffer`), with the stream's serdes. */
  readonly bufferStore?: StoreIr;
}

export interface StreamGlobalJoinIr extends UnaryBase {
  readonly op: 'stream-global-join';
  readonly joinType: 'inner' | 'left';
  /** (key, value) => globalKey */
  readonly keySelector: KeyValueFunction<unknown>;
  /** (streamValue, globalValue, key) => VR */
  readonly joiner: ValueJoinerFunction;
  readonly globalStoreName: string;
}

export interface TableTableJoinIr extends BinaryBase {
  readonly op: 'table-table-join';
  readonly joinType: JoinType;
  /** (leftValue, rightValue, key) => VR */
  readonly joiner: ValueJoinerFunction;
  readonly thisJoinName: string;
  readonly otherJoinName: string;
  readonly store: StoreIr | undefined;
}

export interface ForeignKeyJoinIr extends BinaryBase {
  readonly op: 'fk-join';
  readonly joinType: 'inner' | 'left';
  /** (leftValue) => foreignKey */
  readonly foreignKeyExtractor: Erased<[value: unknown], unknown>;
  /** (leftValue, rightValue) => VR: a foreign-key joiner gets no key. */
  readonly joiner: Erased<[value: unknown, otherValue: unknown], unknown>;
  /** Prefix for the names of the internal nodes, topics and stores this join needs. */
  readonly prefix: string;
  readonly foreignKeySerde: AnySerde | undefined;
  /** The left table's key and value serdes (primary keys travel to the right side; values are hashed). */
  readonly keySerde: AnySerde | undefined;
  readonly valueSerde: AnySerde | undefined;
  /** The right table's value serde: its values travel back in the responses. */
  readonly otherValueSerde: AnySerde | undefined;
  readonly store: StoreIr | undefined;
}

export type IrNode =
  | StreamSourceIr
  | TableSourceIr
  | GlobalTableIr
  | FilterIr
  | MapIr
  | PeekIr
  | MergeIr
  | SplitIr
  | BranchIr
  | RepartitionIr
  | SinkIr
  | ProcessIr
  | ProcessValuesIr
  | StateStoreIr
  | ToTableIr
  | TableFilterIr
  | TableMapValuesIr
  | TableTransformValuesIr
  | TableToStreamIr
  | SuppressIr
  | StreamAggregateIr
  | WindowedAggregateIr
  | SessionAggregateIr
  | CogroupAggregateIr
  | TableGroupByIr
  | TableAggregateIr
  | StreamStreamJoinIr
  | StreamTableJoinIr
  | StreamGlobalJoinIr
  | TableTableJoinIr
  | ForeignKeyJoinIr;

export type IrOp = IrNode['op'];

/** Distributes the `Omit` over the union so each node kind keeps its own fields. */
export type IrNodeInput = IrNode extends infer N ? (N extends IrNode ? Omit<N, 'id'> : never) : never;

/**
 * The logical graph under construction. Names are generated from one counter in DSL call order, so the
 * same DSL code always yields the same names (and the same internal topic names).
 */
export class IrGraph {
  readonly nodes: IrNode[] = [];
  /** The serdes used wherever the DSL was given none. */
  readonly defaultKeySerde: AnySerde;
  readonly defaultValueSerde: AnySerde;
  private sequence = 0;

  constructor(defaults: { keySerde: AnySerde; valueSerde: AnySerde }) {
    this.defaultKeySerde = defaults.keySerde;
    this.defaultValueSerde = defaults.valueSerde;
  }

  add<N extends IrNodeInput>(node: N): N & { id: number } {
    const withId = { ...node, id: this.nodes.length };
    this.nodes.push(withId as unknown as IrNode);
    return withId;
  }

  node(id: number): IrNode {
    const node = this.nodes[id];
    if (!node) throw new TributaryError('TRIB_INTERNAL', `no IR node ${id}`);
    return node;
  }

  /** `KSTREAM-FILTER-0000000003` style names, as Kafka Streams generates them. */
  newName(prefix: string): string {
    return `${prefix}-${String(this.sequence++).padStart(10, '0')}`;
  }
}
