import { TopologyError } from '../errors.ts';
import type { FixedKeyProcessorSupplier, ProcessorSupplier } from '../processor/api.ts';
import type { KeyValue } from '../processor/record.ts';
import type { Serde } from '../serde/serde.ts';
import type { StoreSpec } from '../state/api.ts';
import type { TopicNameExtractor } from '../topology/functions.ts';
import type { IrNode, JoinType, MapOperation } from '../topology/ir.ts';
import type { KeyValueFunction, ValueJoinerFunction } from '../common/functions.ts';
import { BranchedKStream } from './branched-kstream.ts';
import { connectStores, keySerdeOr, required, storeFor, valueSerdeOr, type DslContext } from './context.ts';
import { GlobalKTable } from './global-ktable.ts';
import { KGroupedStream } from './kgrouped-stream.ts';
import { KTable } from './ktable.ts';
import type {
  Grouped,
  Joined,
  Materialized,
  Named,
  Produced,
  Repartitioned,
  StreamJoined,
  TopicDefinition,
} from './options.ts';
import { repartitionNode } from './repartition.ts';
import type { JoinWindows } from './windows.ts';

export type Predicate<K, V> = (key: K, value: V) => boolean;
/** Joins two values; the key is passed last so joiners that ignore it stay short. */
export type ValueJoiner<V, VO, VR, K = unknown> = (value: V, otherValue: VO, key: K) => VR;

export interface ProcessOptions extends Named {
  /**
   * The stores the processor uses: names of stores added with `StreamsBuilder.addStateStore`, or store
   * specs (`Stores.keyValue(...)`), which are added to the topology once and connected, as
   * Kafka Streams does with the stores a processor supplier provides (`ConnectedStoreProvider`).
   */
  readonly stores?: readonly (string | StoreSpec)[];
}

/**
 * An unbounded stream of independent records: Kafka Streams' `KStream`. Operations only record nodes
 * in the topology; nothing runs until the built topology is run by a worker or the test driver. Keys
 * and values keep their TypeScript types through every operation.
 *
 * @example
 * ```ts
 * const builder = new StreamsBuilder();
 * const orders: KStream<string, Order> = builder.stream(topics.orders);
 * orders.filter((_id, order) => order.quantity > 0).to(topics.validOrders);
 * ```
 */
export class KStream<K, V> {
  /** @internal */ readonly context: DslContext;
  /** @internal */ readonly nodeId: number;
  /** @internal */ readonly keySerde: Serde<K> | undefined;
  /** @internal */ readonly valueSerde: Serde<V> | undefined;
  /** @internal True once an operation may have changed the key: grouping or joining must repartition first. */
  readonly repartitionRequired: boolean;

  /** @internal */
  constructor(
    context: DslContext,
    nodeId: number,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    repartitionRequired: boolean,
  ) {
    this.context = context;
    this.nodeId = nodeId;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.repartitionRequired = repartitionRequired;
  }

  /**
   * The name of the processor that produces this stream (as `describe()` shows it).
   *
   * @example
   * ```ts
   * builder.stream(topics.orders).filter(isBig, { name: 'big-orders' }).name; // 'big-orders'
   * ```
   */
  get name(): string {
    return this.context.graph.node(this.nodeId).name;
  }

  /**
   * Keeps the records for which the predicate holds (Kafka Streams' `filter`).
   *
   * @example
   * ```ts
   * orders.filter((_id, order) => order.state === 'CREATED');
   * ```
   */
  filter(predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    return this.filtered(predicate, false, named);
  }

  /**
   * Drops the records for which the predicate holds: `filter` with the predicate negated.
   *
   * @example
   * ```ts
   * orders.filterNot((_id, order) => order.quantity < 1);
   * ```
   */
  filterNot(predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    return this.filtered(predicate, true, named);
  }

  /**
   * Changes key and value of each record. The mapper returns a `keyValue`; grouping or joining
   * afterwards repartitions the stream, since the key may have changed.
   *
   * @example
   * ```ts
   * orders.map((id, order) => keyValue(order.customerId, { id, total: order.quantity * order.price }));
   * ```
   */
  map<K2, V2>(mapper: (key: K, value: V) => KeyValue<K2, V2>, named?: Named): KStream<K2, V2> {
    const id = this.addMapNode({ op: 'map', mapper }, 'KSTREAM-MAP', named);
    return new KStream<K2, V2>(this.context, id, undefined, undefined, true);
  }

  /**
   * Changes each record's value; the key stays, so no repartitioning follows. Note the argument order:
   * the value first, the key second (Kafka Streams' `ValueMapperWithKey` takes the key first).
   *
   * @example
   * ```ts
   * orders.mapValues((order) => order.quantity * order.price);
   * orders.mapValues((order, id) => `${id}: ${order.state}`);
   * ```
   */
  mapValues<V2>(mapper: (value: V, key: K) => V2, named?: Named): KStream<K, V2> {
    const id = this.addMapNode({ op: 'map-values', mapper }, 'KSTREAM-MAPVALUES', named);
    return new KStream<K, V2>(this.context, id, this.keySerde, undefined, this.repartitionRequired);
  }

  /**
   * Turns each record into zero or more records with new keys and values; grouping or joining
   * afterwards repartitions the stream.
   *
   * @example
   * ```ts
   * sentences.flatMap((_key, line) => line.split(' ').map((word) => keyValue(word, 1)));
   * ```
   */
  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<KeyValue<K2, V2>>, named?: Named): KStream<K2, V2> {
    const id = this.addMapNode({ op: 'flat-map', mapper }, 'KSTREAM-FLATMAP', named);
    return new KStream<K2, V2>(this.context, id, undefined, undefined, true);
  }

  /**
   * Turns each record into zero or more records with the same key; the value comes first, then the key.
   *
   * @example
   * ```ts
   * sentences.flatMapValues((line) => line.toLowerCase().split(/\s+/));
   * ```
   */
  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>, named?: Named): KStream<K, V2> {
    const id = this.addMapNode({ op: 'flat-map-values', mapper }, 'KSTREAM-FLATMAPVALUES', named);
    return new KStream<K, V2>(this.context, id, this.keySerde, undefined, this.repartitionRequired);
  }

  /**
   * Sets a new key computed from each record; grouping or joining afterwards repartitions the stream.
   *
   * @example
   * ```ts
   * orders.selectKey((_id, order) => order.product); // KStream<Product, Order>
   * ```
   */
  selectKey<K2>(mapper: (key: K, value: V) => K2, named?: Named): KStream<K2, V> {
    const id = this.addMapNode({ op: 'select-key', mapper }, 'KSTREAM-KEY-SELECT', named);
    return new KStream<K2, V>(this.context, id, undefined, this.valueSerde, true);
  }

  /**
   * Runs an action on each record and passes it on unchanged (for logging or metrics, not for state).
   *
   * @example
   * ```ts
   * orders.peek((id, order) => console.log(id, order.state)).to(topics.audit);
   * ```
   */
  peek(action: (key: K, value: V) => void, named?: Named): KStream<K, V> {
    const node = this.context.graph.add({
      op: 'peek',
      name: this.nameOr(named, 'KSTREAM-PEEK'),
      parents: [this.nodeId],
      action,
    });
    return this.derived(node.id);
  }

  /**
   * Runs an action on each record; a terminal operation (nothing follows it).
   *
   * @example
   * ```ts
   * orders.foreach((id, order) => metrics.count(order.state));
   * ```
   */
  foreach(action: (key: K, value: V) => void, named?: Named): void {
    this.context.graph.add({
      op: 'foreach',
      name: this.nameOr(named, 'KSTREAM-FOREACH'),
      parents: [this.nodeId],
      action,
    });
  }

  /**
   * Merges two streams of the same types into one; the records of both, each in its own order. Grouping
   * or joining afterwards repartitions when either side needed it.
   *
   * @example
   * ```ts
   * const allPayments = cardPayments.merge(bankPayments);
   * ```
   */
  merge(other: KStream<K, V>, named?: Named): KStream<K, V> {
    this.assertSameBuilder(other);
    const node = this.context.graph.add({
      op: 'merge',
      name: this.nameOr(named, 'KSTREAM-MERGE'),
      parents: [this.nodeId, other.nodeId],
    });
    return new KStream<K, V>(
      this.context,
      node.id,
      this.keySerde ?? other.keySerde,
      this.valueSerde ?? other.valueSerde,
      this.repartitionRequired || other.repartitionRequired,
    );
  }

  /**
   * Splits the stream into named branches: each record goes to the first branch whose predicate holds
   * (Kafka Streams' `split()` with `Branched`). Returns a `BranchedKStream`; end it with
   * `defaultBranch()` or `noDefaultBranch()` to get the branches by name.
   *
   * @example
   * ```ts
   * const { big, small } = orders
   *   .split()
   *   .branch('big', (_id, order) => order.quantity * order.price >= 1000)
   *   .defaultBranch('small');
   * ```
   */
  split(named?: Named): BranchedKStream<K, V> {
    return new BranchedKStream<K, V>(this, this.nameOr(named, 'KSTREAM-BRANCH'));
  }

  /**
   * Writes the stream through an internal repartition topic, partitioned by its current key (or by a
   * partitioner), and reads it back: Kafka Streams' `repartition(Repartitioned)`.
   *
   * @example
   * ```ts
   * orders.selectKey((_id, order) => order.customerId).repartition({ name: 'by-customer', partitions: 6 });
   * ```
   */
  repartition(options: Repartitioned<K, V> = {}): KStream<K, V> {
    const keySerde = options.keySerde ?? this.keySerde;
    const valueSerde = options.valueSerde ?? this.valueSerde;
    const baseName = options.name ?? this.context.graph.newName('KSTREAM-REPARTITION');
    const id = repartitionNode(this.context, this.nodeId, baseName, {
      keySerde: keySerdeOr(this.context, keySerde),
      valueSerde: valueSerdeOr(this.context, valueSerde),
      partitions: options.partitions,
      partitioner: options.partitioner,
    });
    return new KStream<K, V>(this.context, id, keySerde, valueSerde, false);
  }

  /**
   * Writes every record to a topic: a typed topic definition, a topic name (serdes from `produced`, the
   * stream, or the builder's defaults), or a function choosing the topic per record. A terminal operation.
   *
   * @example
   * ```ts
   * orders.to(topics.orders);
   * orders.to('orders-archive', { keySerde: Serdes.String(), valueSerde: Serdes.Json() });
   * orders.to((_id, order) => `orders-${order.product.toLowerCase()}`);
   * ```
   */
  to(topic: string | TopicDefinition<K, V> | TopicNameExtractor<K, V>, produced: Produced<K, V> = {}): void {
    const definition = typeof topic === 'object' ? topic : undefined;
    const keySerde = produced.keySerde ?? definition?.keySerde ?? this.keySerde;
    const valueSerde = produced.valueSerde ?? definition?.valueSerde ?? this.valueSerde;
    this.context.graph.add({
      op: 'to',
      name: this.nameOr(produced, 'KSTREAM-SINK'),
      parents: [this.nodeId],
      topic: typeof topic === 'object' ? topic.name : topic,
      keySerde: keySerdeOr(this.context, keySerde),
      valueSerde: valueSerdeOr(this.context, valueSerde),
      partitioner: produced.partitioner,
    });
  }

  /**
   * Turns the stream into a table: each record is an upsert of its key, a null value a delete. The
   * table is kept in a store (named by `materialized.storeName`, so it can be queried).
   *
   * @example
   * ```ts
   * const latest = orders.toTable({ storeName: 'latest-orders' });
   * ```
   */
  toTable(materialized: Materialized<K, V> = {}): KTable<K, V> {
    const store = storeFor(this.context, materialized, 'KSTREAM-TOTABLE', {
      keySerde: keySerdeOr(this.context, this.keySerde),
      valueSerde: valueSerdeOr(this.context, this.valueSerde),
    });
    const source = this.repartitionRequired ? this.repartition() : this;
    const node = this.context.graph.add({
      op: 'to-table',
      name: this.nameOr(materialized, 'KSTREAM-TOTABLE'),
      parents: [source.nodeId],
      store,
    });
    return new KTable<K, V>(
      this.context,
      node.id,
      source.keySerde,
      source.valueSerde,
      store.generated ? undefined : store.name,
    );
  }

  /**
   * Runs a custom processor (the Processor API) on each record, with access to the stores named in
   * `options.stores` (added with `StreamsBuilder.addStateStore`) and to punctuation. The result may have
   * any key, so grouping or joining afterwards repartitions it.
   *
   * @example
   * ```ts
   * builder.addStateStore(Stores.keyValue({ name: 'seen', keySerde: Serdes.String(), valueSerde: Serdes.Long() }));
   * orders.process(() => new DeduplicateProcessor('seen'), { stores: ['seen'] });
   * ```
   */
  process<KOut = never, VOut = never>(
    supplier: ProcessorSupplier<K, V, KOut, VOut>,
    options: ProcessOptions = {},
  ): KStream<KOut, VOut> {
    required(supplier, 'a processor supplier', 'KStream.process');
    const node = this.context.graph.add({
      op: 'process',
      name: this.nameOr(options, 'KSTREAM-PROCESSOR'),
      parents: [this.nodeId],
      supplier,
      stores: connectStores(this.context, options.stores),
    });
    return new KStream<KOut, VOut>(this.context, node.id, undefined, undefined, true);
  }

  /**
   * Runs a fixed-key processor (Kafka Streams' `processValues`, KIP-820) on each record: it may change
   * values, timestamps and headers and forward any number of records, but every record keeps its key,
   * so the result groups and joins without repartitioning (unless this stream needed it already).
   *
   * @example
   * ```ts
   * const statuses = orders.processValues<string>(() => {
   *   let context: FixedKeyProcessorContext<string, string>;
   *   return {
   *     init: (c) => (context = c),
   *     process: (record) => context.forward(withValue(record, record.value.status)),
   *   };
   * });
   * ```
   */
  processValues<VOut = never>(
    supplier: FixedKeyProcessorSupplier<K, V, VOut>,
    options: ProcessOptions = {},
  ): KStream<K, VOut> {
    required(supplier, 'a fixed-key processor supplier', 'KStream.processValues');
    const node = this.context.graph.add({
      op: 'process-values',
      name: this.nameOr(options, 'KSTREAM-PROCESSVALUES'),
      parents: [this.nodeId],
      supplier,
      stores: connectStores(this.context, options.stores),
    });
    return new KStream<K, VOut>(this.context, node.id, this.keySerde, undefined, this.repartitionRequired);
  }

  /**
   * Groups the records by their current key, for `count`, `reduce`, `aggregate` and windowing.
   * Repartitions first when an earlier operation may have changed the key.
   *
   * @example
   * ```ts
   * const ordersPerCustomer = orders.selectKey((_id, o) => o.customerId).groupByKey().count();
   * ```
   */
  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStream<K, V>(
      this.context,
      this.nodeId,
      grouped.keySerde ?? this.keySerde,
      grouped.valueSerde ?? this.valueSerde,
      this.repartitionRequired,
      grouped.name,
    );
  }

  /**
   * Groups the records by a new key computed from each record (a repartition topic carries them to the
   * task of their group). `grouped.keySerde` serializes the new key.
   *
   * @example
   * ```ts
   * orders.groupBy((_id, order) => order.product, { keySerde: Serdes.String() }).count();
   * ```
   */
  groupBy<K2>(selector: (key: K, value: V) => K2, grouped: Grouped<K2, V> = {}): KGroupedStream<K2, V> {
    const selected = this.selectKey(selector);
    return new KGroupedStream<K2, V>(
      this.context,
      selected.nodeId,
      grouped.keySerde,
      grouped.valueSerde ?? this.valueSerde,
      true,
      grouped.name,
    );
  }

  /**
   * Windowed inner join with another stream: records of the two streams with the same key whose
   * timestamps are at most the window apart are joined. The joiner gets this stream's value, the other's
   * value, then the key.
   *
   * @example
   * ```ts
   * orders.join(
   *   payments,
   *   (order, payment) => ({ ...order, paid: payment.amount }),
   *   JoinWindows.ofTimeDifferenceWithNoGrace(5 * 60_000),
   * );
   * ```
   */
  join<VO, VR>(
    other: KStream<K, VO>,
    joiner: ValueJoiner<V, VO, VR, K>,
    windows: JoinWindows,
    options?: StreamJoined<K, V, VO>,
  ): KStream<K, VR>;
  /**
   * Inner join with a table: each stream record looks up the table's current value for its key; records
   * whose key is not in the table are dropped. Table updates trigger nothing.
   *
   * @example
   * ```ts
   * orders.join(customersTable, (order, customer) => ({ ...order, email: customer.email }));
   * ```
   */
  join<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V, VO, VR, K>,
    options?: Joined<K, V, VO>,
  ): KStream<K, VR>;
  /**
   * Inner join with a global table, looked up by a key computed from each record (no repartitioning:
   * every task has the whole table).
   *
   * @example
   * ```ts
   * orders.join(
   *   customers,
   *   (_id, order) => order.customerId,
   *   (order, customer) => ({ ...order, level: customer.level }),
   * );
   * ```
   */
  join<GK, GV, VR>(
    other: GlobalKTable<GK, GV>,
    keySelector: (key: K, value: V) => NoInfer<GK> | null,
    joiner: ValueJoiner<V, GV, VR, K>,
    named?: Named,
  ): KStream<K, VR>;
  join(...args: JoinArguments<K, V>): KStream<K, unknown> {
    return this.dispatchJoin('inner', args);
  }

  /**
   * Windowed left join with another stream: like `join`, and a record without a partner within the
   * window is emitted with null for the other value once its window closes.
   *
   * @example
   * ```ts
   * orders.leftJoin(
   *   payments,
   *   (order, payment) => ({ ...order, paid: payment?.amount ?? 0 }),
   *   JoinWindows.ofTimeDifferenceAndGrace(5 * 60_000, 60_000),
   * );
   * ```
   */
  leftJoin<VO, VR>(
    other: KStream<K, VO>,
    joiner: ValueJoiner<V, VO | null, VR, K>,
    windows: JoinWindows,
    options?: StreamJoined<K, V, VO>,
  ): KStream<K, VR>;
  /**
   * Left join with a table: every stream record is emitted, with null for the table's value when its
   * key is not in the table.
   *
   * @example
   * ```ts
   * orders.leftJoin(customersTable, (order, customer) => ({ ...order, email: customer?.email ?? null }));
   * ```
   */
  leftJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V, VO | null, VR, K>,
    options?: Joined<K, V, VO>,
  ): KStream<K, VR>;
  /**
   * Left join with a global table by a key computed from each record: every stream record is emitted,
   * with null when the global table has no row for the computed key.
   *
   * @example
   * ```ts
   * orders.leftJoin(
   *   customers,
   *   (_id, order) => order.customerId,
   *   (order, customer) => ({ ...order, level: customer?.level ?? 'bronze' }),
   * );
   * ```
   */
  leftJoin<GK, GV, VR>(
    other: GlobalKTable<GK, GV>,
    keySelector: (key: K, value: V) => NoInfer<GK> | null,
    joiner: ValueJoiner<V, GV | null, VR, K>,
    named?: Named,
  ): KStream<K, VR>;
  leftJoin(...args: JoinArguments<K, V>): KStream<K, unknown> {
    return this.dispatchJoin('left', args);
  }

  /**
   * Windowed outer join with another stream: unmatched records of either side are emitted with null
   * for the missing value once their window closes.
   *
   * @example
   * ```ts
   * clicks.outerJoin(
   *   views,
   *   (click, view) => ({ clicked: click !== null, viewed: view !== null }),
   *   JoinWindows.ofTimeDifferenceWithNoGrace(10_000),
   * );
   * ```
   */
  outerJoin<VO, VR>(
    other: KStream<K, VO>,
    joiner: (value: V | null, otherValue: VO | null, key: K) => VR,
    windows: JoinWindows,
    options?: StreamJoined<K, V, VO>,
  ): KStream<K, VR> {
    return this.streamStreamJoin('outer', other, joiner, windows, options);
  }

  private dispatchJoin(joinType: 'inner' | 'left', args: JoinArguments<K, V>): KStream<K, unknown> {
    if (joinsStream(args)) return this.streamStreamJoin(joinType, ...args);
    if (joinsTable(args)) return this.streamTableJoin(joinType, ...args);
    if (joinsGlobalTable(args)) return this.streamGlobalJoin(joinType, ...args);
    throw new TopologyError(`${this.name}: can only join a KStream, KTable or GlobalKTable`);
  }

  private streamStreamJoin<VO, VR>(
    joinType: JoinType,
    other: KStream<K, VO>,
    joiner: ValueJoinerFunction,
    windows: JoinWindows,
    options: StreamJoined<K, V, VO> = {},
  ): KStream<K, VR> {
    this.assertSameBuilder(other);
    if (!windows || windows.spec?.type !== 'join') {
      throw new TopologyError(`${this.name}: a stream-stream join needs JoinWindows`);
    }
    const graph = this.context.graph;
    const keySerde = options.keySerde ?? this.keySerde ?? other.keySerde;
    const valueSerde = options.valueSerde ?? this.valueSerde;
    const otherValueSerde = options.otherValueSerde ?? other.valueSerde;
    const joinName =
      options.name ??
      graph.newName(
        joinType === 'inner'
          ? 'KSTREAM-JOIN'
          : joinType === 'left'
            ? 'KSTREAM-LEFTJOIN'
            : 'KSTREAM-OUTERJOIN',
      );
    const left = this.repartitionForJoin(`${joinName}-left`, keySerde, valueSerde);
    const right = other.repartitionForJoin(`${joinName}-right`, keySerde, otherValueSerde);
    const { beforeMs, afterMs, graceMs } = windows.spec;
    const retentionMs = beforeMs + afterMs + graceMs;
    const joinStore = (suffix: string, serde: Serde<unknown> | undefined) =>
      storeFor(
        this.context,
        {
          storeName: options.storeName ? `${options.storeName}-${suffix}` : undefined,
          backend: options.backend,
          logging: options.logging,
          retentionMs,
        },
        `KSTREAM-JOIN${suffix.toUpperCase()}`,
        { keySerde: keySerdeOr(this.context, keySerde), valueSerde: valueSerdeOr(this.context, serde) },
      );
    const node = graph.add({
      op: 'stream-stream-join',
      name: joinName,
      parents: [left, right],
      joinType,
      windows: windows.spec,
      joiner,
      thisWindowName: graph.newName('KSTREAM-JOINTHIS-WINDOWED'),
      otherWindowName: graph.newName('KSTREAM-JOINOTHER-WINDOWED'),
      thisJoinName: graph.newName(joinType === 'outer' ? 'KSTREAM-OUTERTHIS' : 'KSTREAM-JOINTHIS'),
      otherJoinName: graph.newName(joinType === 'inner' ? 'KSTREAM-JOINOTHER' : 'KSTREAM-OUTEROTHER'),
      thisStore: joinStore('this-join-store', valueSerde),
      otherStore: joinStore('other-join-store', otherValueSerde),
      outerStore:
        joinType === 'inner'
          ? undefined
          : storeFor(
              this.context,
              {
                storeName: options.storeName ? `${options.storeName}-outer-shared-join-store` : undefined,
                backend: options.backend,
                logging: options.logging,
                retentionMs,
              },
              'KSTREAM-OUTERSHARED-JOIN',
              { keySerde: undefined, valueSerde: undefined },
            ),
      keySerde: keySerdeOr(this.context, keySerde),
      thisValueSerde: valueSerdeOr(this.context, valueSerde),
      otherValueSerde: valueSerdeOr(this.context, otherValueSerde),
    });
    return new KStream<K, VR>(this.context, node.id, keySerde, undefined, false);
  }

  private streamTableJoin<VO, VR>(
    joinType: 'inner' | 'left',
    table: KTable<K, VO>,
    joiner: ValueJoinerFunction,
    options: Joined<K, V, VO> = {},
  ): KStream<K, VR> {
    this.assertSameBuilder(table);
    const graph = this.context.graph;
    const name = options.name ?? graph.newName(joinType === 'inner' ? 'KSTREAM-JOIN' : 'KSTREAM-LEFTJOIN');
    // The stream is re-keyed to the table's key type, so the table's key serde is the right one for
    // the repartition topic when the caller gave none: otherwise equal keys could land on different partitions.
    const keySerde = options.keySerde ?? this.keySerde ?? table.keySerde;
    const streamSide = this.repartitionForJoin(name, keySerde, options.valueSerde ?? this.valueSerde);
    const grace = options.gracePeriodMs;
    if (grace !== undefined) checkJoinGrace(graph.node(table.nodeId), grace);
    const node = graph.add({
      op: 'stream-table-join',
      name,
      parents: [streamSide, table.nodeId],
      joinType,
      joiner,
      ...(grace === undefined
        ? {}
        : {
            gracePeriodMs: grace,
            bufferStore: {
              ...storeFor(this.context, { storeName: `${name}-Buffer` }, 'KSTREAM-JOIN-BUFFER', {
                keySerde: keySerdeOr(this.context, keySerde),
                valueSerde: valueSerdeOr(this.context, options.valueSerde ?? this.valueSerde),
              }),
              // Internal: it holds waiting records, not something to query.
              generated: true,
            },
          }),
    });
    return new KStream<K, VR>(this.context, node.id, keySerde, undefined, false);
  }

  private streamGlobalJoin<GK, GV, VR>(
    joinType: 'inner' | 'left',
    table: GlobalKTable<GK, GV>,
    keySelector: KeyValueFunction<unknown>,
    joiner: ValueJoinerFunction,
    named?: Named,
  ): KStream<K, VR> {
    const node = this.context.graph.add({
      op: 'stream-global-join',
      name: this.nameOr(named, joinType === 'inner' ? 'KSTREAM-JOIN' : 'KSTREAM-LEFTJOIN'),
      parents: [this.nodeId],
      joinType,
      keySelector,
      joiner,
      globalStoreName: table.storeName,
    });
    return new KStream<K, VR>(this.context, node.id, this.keySerde, undefined, this.repartitionRequired);
  }

  /** @internal The node id to join from: this stream, or its repartitioned copy when the key changed. */
  repartitionForJoin(
    baseName: string,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<unknown> | undefined,
  ): number {
    if (!this.repartitionRequired) return this.nodeId;
    return repartitionNode(this.context, this.nodeId, baseName, {
      keySerde: keySerdeOr(this.context, keySerde),
      valueSerde: valueSerdeOr(this.context, valueSerde),
      partitions: undefined,
      partitioner: undefined,
    });
  }

  private filtered(predicate: Predicate<K, V>, negate: boolean, named: Named | undefined): KStream<K, V> {
    const node = this.context.graph.add({
      op: 'filter',
      name: this.nameOr(named, negate ? 'KSTREAM-FILTERNOT' : 'KSTREAM-FILTER'),
      parents: [this.nodeId],
      predicate,
      negate,
    });
    return this.derived(node.id);
  }

  private addMapNode(operation: MapOperation, prefix: string, named: Named | undefined): number {
    return this.context.graph.add({ ...operation, name: this.nameOr(named, prefix), parents: [this.nodeId] })
      .id;
  }

  /** @internal A stream with the same key, value and serdes, produced by another node. */
  derived(nodeId: number): KStream<K, V> {
    return new KStream<K, V>(this.context, nodeId, this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  /** The names of a processor's stores, adding those given as specs that the topology does not have yet. */
  private nameOr(named: Named | undefined, prefix: string): string {
    return named?.name ?? this.context.graph.newName(prefix);
  }

  private assertSameBuilder(other: { context: DslContext }): void {
    if (other.context.graph !== this.context.graph) {
      throw new TopologyError(
        `${this.name}: cannot combine streams or tables from different StreamsBuilders`,
      );
    }
  }
}

/** The arguments of `join` and `leftJoin`, one tuple per overload, with the joined side's types erased. */
type StreamJoinArguments<K, V> = [
  other: KStream<K, unknown>,
  joiner: ValueJoinerFunction,
  windows: JoinWindows,
  options?: StreamJoined<K, V, unknown>,
];
type TableJoinArguments<K, V> = [
  other: KTable<K, unknown>,
  joiner: ValueJoinerFunction,
  options?: Joined<K, V, unknown>,
];
type GlobalJoinArguments = [
  other: GlobalKTable<unknown, unknown>,
  keySelector: KeyValueFunction<unknown>,
  joiner: ValueJoinerFunction,
  named?: Named,
];
type JoinArguments<K, V> = StreamJoinArguments<K, V> | TableJoinArguments<K, V> | GlobalJoinArguments;

// Which overload was called is told by what is joined: JavaScript callers may pass anything, hence the checks.
function joinsStream<K, V>(args: JoinArguments<K, V>): args is StreamJoinArguments<K, V> {
  return args[0] instanceof KStream;
}
function joinsTable<K, V>(args: JoinArguments<K, V>): args is TableJoinArguments<K, V> {
  return args[0] instanceof KTable;
}
function joinsGlobalTable<K, V>(args: JoinArguments<K, V>): args is GlobalJoinArguments {
  return args[0] instanceof GlobalKTable;
}

/**
 * A stream-table join's grace period needs a versioned table. A table materialized in a plain store is
 * refused at once, as Kafka Streams does; whether a table that is not materialized is versioned is
 * known when the topology is built, and checked then.
 */
function checkJoinGrace(table: IrNode, graceMs: number): void {
  if (!Number.isFinite(graceMs) || graceMs < 0)
    throw new TopologyError(
      `the grace period of a stream-table join must be a non-negative number of ms, got ${graceMs}`,
    );
  const store = 'store' in table ? table.store : undefined;
  if (store && store.historyRetentionMs === undefined)
    throw new TopologyError('KTable must be versioned to use a grace period in a stream table join.');
}
