import { TopologyError } from '../errors.ts';
import type { Serde } from '../serde/serde.ts';
import { longSerde } from '../serde/primitives.ts';
import { sessionWindowedSerde, timeWindowedSerde } from '../serde/windowed.ts';
import type { Windowed } from '../state/api.ts';
import type {
  AggregateKind,
  EmitStrategyType,
  IrNodeInput,
  SessionWindowsSpec,
  SlidingWindowsSpec,
  StoreIr,
  TimeWindowsSpec,
} from '../topology/ir.ts';
import type { AggregatorFunction, InitializerFunction, MergerFunction } from '../common/functions.ts';
import { CogroupedKStream } from './cogrouped-kstream.ts';
import { keySerdeOr, required, storeFor, valueSerdeOr, type DslContext } from './context.ts';
import { KTable } from './ktable.ts';
import type { Materialized } from './options.ts';
import { repartitionNode } from './repartition.ts';
import type { EmitStrategy } from './emit-strategy.ts';
import { SessionWindows, SlidingWindows, TimeWindows } from './windows.ts';

export type Initializer<VA> = () => VA;
export type Aggregator<K, V, VA> = (key: K, value: V, aggregate: VA) => VA;
export type Reducer<V> = (aggregate: V, value: V) => V;
export type Merger<K, VA> = (key: K, aggregate1: VA, aggregate2: VA) => VA;

/**
 * Shared by grouped and windowed streams: where the records come from, and the repartition step that
 * grouping by a changed key needs before any aggregation.
 */
class GroupedStreamBase<K, V> {
  /** @internal */ readonly context: DslContext;
  /** @internal */ readonly nodeId: number;
  /** @internal */ readonly keySerde: Serde<K> | undefined;
  /** @internal */ readonly valueSerde: Serde<V> | undefined;
  /** @internal */ readonly repartitionRequired: boolean;
  /** @internal */ readonly groupedName: string | undefined;

  /** @internal */
  constructor(
    context: DslContext,
    nodeId: number,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    repartitionRequired: boolean,
    groupedName: string | undefined,
  ) {
    this.context = context;
    this.nodeId = nodeId;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.repartitionRequired = repartitionRequired;
    this.groupedName = groupedName;
  }

  /** @internal The node the aggregation reads: repartitioned (named after the grouping or the store) when the key changed. */
  protected aggregationSource(store: StoreIr): number {
    if (!this.repartitionRequired) return this.nodeId;
    return repartitionNode(this.context, this.nodeId, this.groupedName ?? store.name, {
      keySerde: keySerdeOr(this.context, this.keySerde),
      valueSerde: valueSerdeOr(this.context, this.valueSerde),
      partitions: undefined,
      partitioner: undefined,
    });
  }

  /** @internal Refuses a missing initializer, aggregator or reducer, naming the operation, as Kafka Streams does. */
  protected checkFunctions(
    operation: string,
    kind: AggregateKind,
    initializer: InitializerFunction | undefined,
    aggregator: AggregatorFunction | undefined,
  ): void {
    if (kind === 'aggregate') {
      required(initializer, 'an initializer', `${operation}.aggregate`);
      required(aggregator, 'an aggregator', `${operation}.aggregate`);
    } else if (kind === 'reduce') required(aggregator, 'a reducer', `${operation}.reduce`);
  }

  /**
   * @internal Adds an aggregation: its store (named, or generated from the operation), the repartition step when the
   * key changed, and the node `build` describes; returns the result table.
   */
  protected addAggregation<KR, VA>(options: {
    kind: AggregateKind;
    materialized: Materialized<K, VA> | undefined;
    defaultValueSerde: Serde<VA> | undefined;
    retentionMs?: number;
    build: (name: string, source: number, store: StoreIr) => IrNodeInput;
    resultKeySerde: (keySerde: Serde<K>) => Serde<KR> | undefined;
  }): KTable<KR, VA> {
    const { kind, materialized } = options;
    const prefix = kind === 'reduce' ? 'KSTREAM-REDUCE' : 'KSTREAM-AGGREGATE';
    const name = materialized?.name ?? this.context.graph.newName(prefix);
    const keySerde = keySerdeOr(this.context, this.keySerde);
    const valueSerde = valueSerdeOr(this.context, materialized?.valueSerde ?? options.defaultValueSerde);
    const store = storeFor(
      this.context,
      options.retentionMs === undefined
        ? materialized
        : { ...materialized, retentionMs: options.retentionMs },
      prefix,
      { keySerde, valueSerde },
    );
    const node = this.context.graph.add(options.build(name, this.aggregationSource(store), store));
    return new KTable<KR, VA>(
      this.context,
      node.id,
      options.resultKeySerde(keySerde),
      valueSerde,
      store.generated ? undefined : store.name,
    );
  }
}

/**
 * A stream grouped by key, ready to aggregate or window: Kafka Streams' `KGroupedStream`.
 *
 * @example
 * ```ts
 * const perProduct = orders.groupBy((_id, order) => order.product, { keySerde: Serdes.String() });
 * ```
 */
export class KGroupedStream<K, V> extends GroupedStreamBase<K, V> {
  /**
   * Counts records per key (records with a null key or value are skipped), as a table.
   *
   * @example
   * ```ts
   * const orderCounts = orders.groupByKey().count({ storeName: 'order-counts' });
   * ```
   */
  count(materialized?: Materialized<K, number>): KTable<K, number> {
    return this.aggregated<number>('count', undefined, undefined, materialized, longSerde());
  }

  /**
   * Combines the values of each key; the first value is the initial aggregate.
   *
   * @example
   * ```ts
   * const largest = orders.groupByKey().reduce((a, b) => (a.quantity >= b.quantity ? a : b));
   * ```
   */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.aggregated<V>('reduce', undefined, reducer, materialized, this.valueSerde);
  }

  /**
   * Aggregates the values of each key into a value of another type: the initializer gives the empty
   * aggregate, the aggregator adds a record (key, value, aggregate). Name the store and give its value
   * serde to query or persist it in another format.
   *
   * @example
   * ```ts
   * const spent = orders
   *   .groupBy((_id, o) => o.customerId, { keySerde: Serdes.Long() })
   *   .aggregate(
   *     () => 0,
   *     (_customer, order, total) => total + order.quantity * order.price,
   *     { storeName: 'spent-per-customer', valueSerde: Serdes.Double() },
   *   );
   * ```
   */
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
  ): KTable<K, VA> {
    return this.aggregated<VA>('aggregate', initializer, aggregator, materialized, undefined);
  }

  /**
   * Starts a cogroup (KIP-150): this stream's records fold into a shared aggregate with `aggregator`;
   * add other grouped streams with `cogroup(grouped, aggregator)` on the result, then `aggregate`.
   *
   * @example
   * ```ts
   * const totals = clicks
   *   .groupByKey()
   *   .cogroup<number>((_key, _click, total) => total + 1)
   *   .cogroup(purchases.groupByKey(), (_key, purchase, total) => total + purchase.amount)
   *   .aggregate(() => 0);
   * ```
   */
  cogroup<VOut>(aggregator: Aggregator<K, V, VOut>): CogroupedKStream<K, VOut> {
    required(aggregator, 'an aggregator', 'KGroupedStream.cogroup');
    return new CogroupedKStream<K, VOut>(this.context, this.keySerde, [{ grouped: this, aggregator }]);
  }

  /**
   * Aggregates in time windows (tumbling, hopping or sliding): the keys of the result are `Windowed<K>`.
   *
   * @example
   * ```ts
   * orders.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count();
   * ```
   */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  /**
   * Aggregates in session windows: activity periods of a key separated by gaps of inactivity.
   *
   * @example
   * ```ts
   * orders.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000)).count();
   * ```
   */
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(
    windows: TimeWindows | SlidingWindows | SessionWindows,
  ): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (typeof windows !== 'object' || windows === null)
      throw new TopologyError(`KGroupedStream.windowedBy needs windows, got ${String(windows)}`);
    const args = [
      this.context,
      this.nodeId,
      this.keySerde,
      this.valueSerde,
      this.repartitionRequired,
      this.groupedName,
    ] as const;
    if (windows instanceof SessionWindows) return new SessionWindowedKStream<K, V>(...args, windows.spec);
    return new TimeWindowedKStream<K, V>(...args, windows.spec);
  }

  private aggregated<VA>(
    kind: AggregateKind,
    initializer: InitializerFunction | undefined,
    aggregator: AggregatorFunction | undefined,
    materialized: Materialized<K, VA> | undefined,
    defaultValueSerde: Serde<VA> | undefined,
  ): KTable<K, VA> {
    this.checkFunctions('KGroupedStream', kind, initializer, aggregator);
    return this.addAggregation<K, VA>({
      kind,
      materialized,
      defaultValueSerde,
      build: (name, source, store) => ({
        op: 'stream-aggregate',
        name,
        parents: [source],
        kind,
        initializer,
        aggregator,
        store,
      }),
      // The key keeps the serde it had (undefined stays undefined: the default applies downstream).
      resultKeySerde: () => this.keySerde,
    });
  }
}

/**
 * A grouped stream in time windows (tumbling, hopping or sliding): Kafka Streams' `TimeWindowedKStream`.
 *
 * @example
 * ```ts
 * const perMinute = clicks.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(60_000, 5_000));
 * ```
 */
export class TimeWindowedKStream<K, V> extends GroupedStreamBase<K, V> {
  /** @internal */
  readonly windows: TimeWindowsSpec | SlidingWindowsSpec;
  private readonly emit: EmitStrategyType;

  /** @internal */
  constructor(
    context: DslContext,
    nodeId: number,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    repartitionRequired: boolean,
    groupedName: string | undefined,
    windows: TimeWindowsSpec | SlidingWindowsSpec,
    emit: EmitStrategyType = 'on-window-update',
  ) {
    super(context, nodeId, keySerde, valueSerde, repartitionRequired, groupedName);
    this.windows = windows;
    this.emit = emit;
  }

  /**
   * When the aggregation emits: every update (the default) or, with `EmitStrategy.onWindowClose()`,
   * each window's final result once, when it closes (KIP-825; see `EmitStrategy`).
   *
   * @example
   * ```ts
   * clicks
   *   .groupByKey()
   *   .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
   *   .emitStrategy(EmitStrategy.onWindowClose())
   *   .count();
   * ```
   */
  emitStrategy(strategy: EmitStrategy): TimeWindowedKStream<K, V> {
    return new TimeWindowedKStream<K, V>(
      this.context,
      this.nodeId,
      this.keySerde,
      this.valueSerde,
      this.repartitionRequired,
      this.groupedName,
      this.windows,
      strategy.type,
    );
  }

  /**
   * Counts records per key and window.
   *
   * @example
   * ```ts
   * clicks.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count().toStream().to(topics.clicksPerMinute);
   * ```
   */
  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number> {
    return this.aggregated<number>('count', undefined, undefined, materialized, longSerde());
  }

  /**
   * Combines the values of each key in each window.
   *
   * @example
   * ```ts
   * readings.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).reduce((a, b) => Math.max(a, b));
   * ```
   */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<Windowed<K>, V> {
    return this.aggregated<V>('reduce', undefined, reducer, materialized, this.valueSerde);
  }

  /**
   * Aggregates the values of each key in each window: a fresh aggregate from the initializer per window.
   *
   * @example
   * ```ts
   * readings
   *   .groupByKey()
   *   .windowedBy(TimeWindows.ofSizeWithNoGrace(60_000).advanceBy(10_000))
   *   .aggregate(() => ({ n: 0, sum: 0 }), (_k, v, a) => ({ n: a.n + 1, sum: a.sum + v }));
   * ```
   */
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA> {
    return this.aggregated<VA>('aggregate', initializer, aggregator, materialized, undefined);
  }

  private aggregated<VA>(
    kind: AggregateKind,
    initializer: InitializerFunction | undefined,
    aggregator: AggregatorFunction | undefined,
    materialized: Materialized<K, VA> | undefined,
    defaultValueSerde: Serde<VA> | undefined,
  ): KTable<Windowed<K>, VA> {
    this.checkFunctions('TimeWindowedKStream', kind, initializer, aggregator);
    const windows = this.windows;
    const sizeMs = windows.type === 'time' ? windows.sizeMs : windows.timeDifferenceMs;
    // Sliding windows look back up to twice the time difference to build new windows from old ones.
    const retentionMs =
      materialized?.retentionMs ?? (windows.type === 'time' ? sizeMs : 2 * sizeMs) + windows.graceMs;
    return this.addAggregation<Windowed<K>, VA>({
      kind,
      materialized,
      defaultValueSerde,
      retentionMs,
      build: (name, source, store) => ({
        op: 'windowed-aggregate',
        name,
        parents: [source],
        kind,
        initializer,
        aggregator,
        windows,
        store,
        ...(this.emit === 'on-window-close' ? { emitStrategy: this.emit } : {}),
      }),
      resultKeySerde: (keySerde) => timeWindowedSerde(keySerde, sizeMs),
    });
  }
}

/**
 * A grouped stream in session windows: Kafka Streams' `SessionWindowedKStream`.
 *
 * @example
 * ```ts
 * const sessions = clicks.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000));
 * ```
 */
export class SessionWindowedKStream<K, V> extends GroupedStreamBase<K, V> {
  /** @internal */
  readonly windows: SessionWindowsSpec;
  private readonly emit: EmitStrategyType;

  /** @internal */
  constructor(
    context: DslContext,
    nodeId: number,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    repartitionRequired: boolean,
    groupedName: string | undefined,
    windows: SessionWindowsSpec,
    emit: EmitStrategyType = 'on-window-update',
  ) {
    super(context, nodeId, keySerde, valueSerde, repartitionRequired, groupedName);
    this.windows = windows;
    this.emit = emit;
  }

  /**
   * When the aggregation emits: every update (the default) or, with `EmitStrategy.onWindowClose()`,
   * each session's final result once, when it closes (KIP-825; see `EmitStrategy`).
   *
   * @example
   * ```ts
   * clicks
   *   .groupByKey()
   *   .windowedBy(SessionWindows.ofInactivityGapAndGrace(30 * 60_000, 60_000))
   *   .emitStrategy(EmitStrategy.onWindowClose())
   *   .count();
   * ```
   */
  emitStrategy(strategy: EmitStrategy): SessionWindowedKStream<K, V> {
    return new SessionWindowedKStream<K, V>(
      this.context,
      this.nodeId,
      this.keySerde,
      this.valueSerde,
      this.repartitionRequired,
      this.groupedName,
      this.windows,
      strategy.type,
    );
  }

  /**
   * Counts records per key and session; merged sessions replace the ones they merge (a null for each).
   *
   * @example
   * ```ts
   * clicks.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000)).count();
   * ```
   */
  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number> {
    return this.aggregated<number>('count', undefined, undefined, undefined, materialized, longSerde());
  }

  /**
   * Combines the values of each key in each session.
   *
   * @example
   * ```ts
   * spend.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(3_600_000)).reduce((a, b) => a + b);
   * ```
   */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>): KTable<Windowed<K>, V> {
    return this.aggregated<V>('reduce', undefined, reducer, undefined, materialized, this.valueSerde);
  }

  /**
   * Aggregates each session; `merger` combines two sessions' aggregates when a record bridges them.
   *
   * @example
   * ```ts
   * orders
   *   .groupBy((_id, o) => o.customerId, { keySerde: Serdes.Long() })
   *   .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(3_600_000))
   *   .aggregate(
   *     () => 0,
   *     (_customer, order, total) => total + order.quantity * order.price,
   *     (_customer, a, b) => a + b,
   *   );
   * ```
   */
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    materialized?: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA> {
    return this.aggregated<VA>('aggregate', initializer, aggregator, merger, materialized, undefined);
  }

  private aggregated<VA>(
    kind: AggregateKind,
    initializer: InitializerFunction | undefined,
    aggregator: AggregatorFunction | undefined,
    merger: MergerFunction | undefined,
    materialized: Materialized<K, VA> | undefined,
    defaultValueSerde: Serde<VA> | undefined,
  ): KTable<Windowed<K>, VA> {
    this.checkFunctions('SessionWindowedKStream', kind, initializer, aggregator);
    if (kind === 'aggregate') required(merger, 'a session merger', 'SessionWindowedKStream.aggregate');
    const windows = this.windows;
    return this.addAggregation<Windowed<K>, VA>({
      kind,
      materialized,
      defaultValueSerde,
      retentionMs: materialized?.retentionMs ?? windows.gapMs + windows.graceMs,
      build: (name, source, store) => ({
        op: 'session-aggregate',
        name,
        parents: [source],
        kind,
        initializer,
        aggregator,
        merger,
        windows,
        store,
        ...(this.emit === 'on-window-close' ? { emitStrategy: this.emit } : {}),
      }),
      resultKeySerde: (keySerde) => sessionWindowedSerde(keySerde),
    });
  }
}

// Re-exported so the windows classes can be imported next to the streams they configure.
export { SessionWindows, SlidingWindows, TimeWindows };
