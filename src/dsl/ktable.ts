import { TopologyError } from '../errors.ts';
import type { KeyValue } from '../processor/record.ts';
import type { Serde } from '../serde/serde.ts';
import type { AnySerde, ForeignKeyJoinIr, JoinType } from '../topology/ir.ts';
import type { KeyValueFunction, ValueJoinerFunction } from '../common/functions.ts';
import type { ValueTransformerWithKeySupplier } from '../processor/api.ts';
import type { StoreSpec } from '../state/api.ts';
import {
  connectStores,
  keySerdeOr,
  required,
  storeFor,
  valueSerdeOr,
  wantsStore,
  type DslContext,
} from './context.ts';
import { KGroupedTable } from './kgrouped-table.ts';
import { KStream } from './kstream.ts';
import type { ForeignKeyJoined, Grouped, Materialized, Named } from './options.ts';
import type { Suppressed } from './suppressed.ts';

/**
 * Options of `KTable.transformValues`: where to keep the results (`Materialized`; none: not
 * materialized) and the stores the transformer uses.
 */
export interface TransformValuesOptions<K, V> extends Materialized<K, V> {
  /**
   * The stores the transformer reads or writes: names of stores added with
   * `StreamsBuilder.addStateStore`, or store specs, which are added to the topology once.
   */
  readonly stores?: readonly (string | StoreSpec)[];
}
/**
 * A changelog stream read as a table: the latest value per key, where a null value deletes the key.
 * Kafka Streams' `KTable`. Updates flow downstream with their old value, so aggregations and joins
 * can retract what they had counted.
 *
 * @example
 * ```ts
 * const inventory: KTable<string, number> = builder.table(topics.warehouseInventory, {
 *   storeName: 'inventory',
 * });
 * ```
 */
export class KTable<K, V> {
  /** @internal */ readonly context: DslContext;
  /** @internal */ readonly nodeId: number;
  /** @internal */ readonly keySerde: Serde<K> | undefined;
  /** @internal */ readonly valueSerde: Serde<V> | undefined;
  /** The name of the store holding this table, when it was materialized under a name you gave. */
  readonly queryableStoreName: string | undefined;

  /** @internal */
  constructor(
    context: DslContext,
    nodeId: number,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    queryableStoreName: string | undefined,
  ) {
    this.context = context;
    this.nodeId = nodeId;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.queryableStoreName = queryableStoreName;
  }

  /**
   * The name of the processor that produces this table (as `describe()` shows it).
   *
   * @example
   * ```ts
   * builder.table(topics.customers).name; // 'KTABLE-SOURCE-0000000001'
   * ```
   */
  get name(): string {
    return this.context.graph.node(this.nodeId).name;
  }

  /**
   * Keeps the rows for which the predicate holds; a row that stops matching is deleted downstream (a
   * null value). Materialize the result (`storeName`) to query it.
   *
   * @example
   * ```ts
   * const goldCustomers = customers.filter((_id, customer) => customer.level === 'gold');
   * ```
   */
  filter(predicate: (key: K, value: V) => boolean, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.filtered(predicate, false, materialized);
  }

  /**
   * Drops the rows for which the predicate holds: `filter` with the predicate negated.
   *
   * @example
   * ```ts
   * const inStock = inventory.filterNot((_product, units) => units <= 0);
   * ```
   */
  filterNot(predicate: (key: K, value: V) => boolean, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.filtered(predicate, true, materialized);
  }

  /**
   * Changes each row's value; the key stays. The value comes first, then the key (Kafka Streams'
   * `ValueMapperWithKey` takes the key first).
   *
   * @example
   * ```ts
   * const emails = customers.mapValues((customer) => customer.email, { storeName: 'customer-emails' });
   * ```
   */
  mapValues<V2>(mapper: (value: V, key: K) => V2, materialized?: Materialized<K, V2>): KTable<K, V2> {
    const store = wantsStore(materialized)
      ? storeFor(this.context, materialized, 'KTABLE-MAPVALUES', {
          keySerde: this.keySerde,
          valueSerde: undefined,
        })
      : undefined;
    const node = this.context.graph.add({
      op: 'table-map-values',
      name: this.nameOr(materialized, 'KTABLE-MAPVALUES'),
      parents: [this.nodeId],
      mapper,
      store,
    });
    return new KTable<K, V2>(
      this.context,
      node.id,
      this.keySerde,
      materialized?.valueSerde,
      queryable(store),
    );
  }

  /**
   * Changes each row's value with a transformer that may use state stores: Kafka Streams'
   * `KTable.transformValues`. Each task gets its own transformer (`supplier` must return a new one on
   * each call), initialized with a context that reads the stores listed in `options.stores` and
   * cannot forward. Deletes go through it too (a null value), so it may turn them into values. With
   * a store (any `Materialized` option), the table keeps its results and reads its old values from
   * there; without, a reader of its values (a join, or old values sent downstream) gets the parent's
   * value through a transformer of its own, so the old value of a change is the transformer's result
   * for the parent's old value.
   *
   * @example
   * ```ts
   * // Each customer row with the number of times it changed, kept in a store of the transformer's.
   * const versions = customers.transformValues(
   *   () => {
   *     let seen: KeyValueStore<number, number>;
   *     return {
   *       init: (context) => (seen = context.getStateStore('changes-seen')),
   *       transform: (id, customer) => {
   *         const count = (seen.get(id) ?? 0) + 1;
   *         seen.put(id, count);
   *         return customer === null ? null : { ...customer, version: count };
   *       },
   *     };
   *   },
   *   { stores: [Stores.keyValue({ name: 'changes-seen', keySerde: Serdes.Long(), valueSerde: Serdes.Long() })] },
   * );
   * ```
   */
  transformValues<V2>(
    supplier: ValueTransformerWithKeySupplier<K, V, V2>,
    options: TransformValuesOptions<K, V2> = {},
  ): KTable<K, V2> {
    required(supplier, 'a ValueTransformerWithKeySupplier', 'KTable.transformValues');
    const store = wantsStore(options)
      ? storeFor(this.context, options, 'KTABLE-TRANSFORMVALUES', {
          keySerde: this.keySerde,
          valueSerde: undefined,
        })
      : undefined;
    const node = this.context.graph.add({
      op: 'table-transform-values',
      name: this.nameOr(options, 'KTABLE-TRANSFORMVALUES'),
      parents: [this.nodeId],
      supplier,
      stores: connectStores(this.context, options.stores),
      store,
    });
    return new KTable<K, V2>(this.context, node.id, this.keySerde, options.valueSerde, queryable(store));
  }

  /**
   * The table's changes as a stream: every update, and a null value for every delete.
   *
   * @example
   * ```ts
   * orderCounts.toStream().to(topics.orderCounts);
   * ```
   */
  toStream(named?: Named): KStream<K, V> {
    const node = this.context.graph.add({
      op: 'table-to-stream',
      name: this.nameOr(named, 'KTABLE-TOSTREAM'),
      parents: [this.nodeId],
    });
    return new KStream<K, V>(this.context, node.id, this.keySerde, this.valueSerde, false);
  }

  /**
   * Re-groups the table by a new key (and value) for `count`, `reduce` or `aggregate`; each update
   * retracts the old value from its old group and adds the new one to its new group.
   *
   * @example
   * ```ts
   * customers.groupBy((_id, customer) => keyValue(customer.level, customer), { keySerde: Serdes.String() }).count();
   * ```
   */
  groupBy<K2, V2>(
    selector: (key: K, value: V) => KeyValue<K2, V2>,
    grouped: Grouped<K2, V2> = {},
  ): KGroupedTable<K2, V2> {
    const graph = this.context.graph;
    const name = grouped.name ?? graph.newName('KTABLE-SELECT');
    return new KGroupedTable<K2, V2>(this.context, {
      parent: this.nodeId,
      selector,
      name,
      repartitionName: grouped.name,
      keySerde: grouped.keySerde,
      valueSerde: grouped.valueSerde,
    });
  }

  /**
   * Holds back updates until a window closes (a windowed table's final result) or until a time limit
   * passes, then emits the latest value per key: Kafka Streams' `suppress`.
   *
   * @example
   * ```ts
   * clicks
   *   .groupByKey()
   *   .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
   *   .count()
   *   .suppress(Suppressed.untilWindowCloses());
   * ```
   */
  suppress(suppressed: Suppressed, named?: Named): KTable<K, V> {
    const graph = this.context.graph;
    const name = this.nameOr(named, 'KTABLE-SUPPRESS');
    const node = graph.add({
      op: 'suppress',
      name,
      parents: [this.nodeId],
      spec: suppressed.spec,
      storeName: `${name}-store`,
      keySerde: this.keySerde,
      valueSerde: this.valueSerde,
    });
    return new KTable<K, V>(this.context, node.id, this.keySerde, this.valueSerde, undefined);
  }

  /**
   * Inner join with another table on the same key: a row exists in the result while both sides have
   * one, and is updated when either side changes.
   *
   * @example
   * ```ts
   * const enriched = orders.join(payments, (order, payment) => ({ ...order, paid: payment.amount }));
   * ```
   */
  join<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V, otherValue: VO, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
  /**
   * Foreign-key inner join: each row of this table joins the row of `other` whose key the extractor
   * reads from its value (Kafka Streams' KIP-213 join). The result keeps this table's keys.
   *
   * @example
   * ```ts
   * const ordersWithCustomer = orders.join(
   *   customers,
   *   (order) => order.customerId,
   *   (order, customer) => ({ ...order, email: customer.email }),
   * );
   * ```
   */
  join<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: (value: V) => NoInfer<KO> | null,
    joiner: (value: V, otherValue: VO) => VR,
    options?: ForeignKeyJoined<K, VR, KO>,
  ): KTable<K, VR>;
  join(...args: TableJoinArguments<K>): KTable<K, unknown> {
    return joinsByForeignKey(args)
      ? this.foreignKeyJoin('inner', ...args)
      : this.tableTableJoin('inner', ...args);
  }

  /**
   * Left join with another table on the same key: every row of this table, with null where `other` has none.
   *
   * @example
   * ```ts
   * const withPayment = orders.leftJoin(payments, (order, payment) => ({ ...order, paid: payment?.amount ?? 0 }));
   * ```
   */
  leftJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V, otherValue: VO | null, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
  /**
   * Foreign-key left join: every row of this table, with null where the row it names is missing.
   *
   * @example
   * ```ts
   * const withCustomer = orders.leftJoin(
   *   customers,
   *   (order) => order.customerId,
   *   (order, customer) => ({ ...order, email: customer?.email ?? null }),
   * );
   * ```
   */
  leftJoin<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: (value: V) => NoInfer<KO> | null,
    joiner: (value: V, otherValue: VO | null) => VR,
    options?: ForeignKeyJoined<K, VR, KO>,
  ): KTable<K, VR>;
  leftJoin(...args: TableJoinArguments<K>): KTable<K, unknown> {
    return joinsByForeignKey(args)
      ? this.foreignKeyJoin('left', ...args)
      : this.tableTableJoin('left', ...args);
  }

  /**
   * Outer join with another table on the same key: a row wherever either side has one, with null for the other.
   *
   * @example
   * ```ts
   * const both = stock.outerJoin(reserved, (units, held) => (units ?? 0) - (held ?? 0));
   * ```
   */
  outerJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V | null, otherValue: VO | null, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR> {
    return this.tableTableJoin('outer', other, joiner, materialized);
  }

  private tableTableJoin<VO, VR>(
    joinType: JoinType,
    other: KTable<K, VO>,
    joiner: ValueJoinerFunction,
    materialized: Materialized<K, VR> | undefined,
  ): KTable<K, VR> {
    this.assertSameBuilder(other);
    const graph = this.context.graph;
    const name = this.nameOr(
      materialized,
      joinType === 'inner' ? 'KTABLE-JOIN' : joinType === 'left' ? 'KTABLE-LEFTJOIN' : 'KTABLE-OUTERJOIN',
    );
    const keySerde = this.keySerde ?? other.keySerde;
    const store = wantsStore(materialized)
      ? storeFor(this.context, materialized, 'KTABLE-JOIN', { keySerde, valueSerde: undefined })
      : undefined;
    const node = graph.add({
      op: 'table-table-join',
      name,
      parents: [this.nodeId, other.nodeId],
      joinType,
      joiner,
      thisJoinName: graph.newName(joinType === 'outer' ? 'KTABLE-OUTERTHIS' : 'KTABLE-JOINTHIS'),
      otherJoinName: graph.newName(joinType === 'inner' ? 'KTABLE-JOINOTHER' : 'KTABLE-OUTEROTHER'),
      store,
    });
    return new KTable<K, VR>(this.context, node.id, keySerde, materialized?.valueSerde, queryable(store));
  }

  private foreignKeyJoin<KO, VO, VR>(
    joinType: 'inner' | 'left',
    other: KTable<KO, VO>,
    foreignKeyExtractor: ForeignKeyJoinIr['foreignKeyExtractor'],
    joiner: ForeignKeyJoinIr['joiner'],
    options: ForeignKeyJoined<K, VR, KO> = {},
  ): KTable<K, VR> {
    this.assertSameBuilder(other);
    const graph = this.context.graph;
    const prefix = options.name ?? graph.newName('KTABLE-FK-JOIN');
    const store = wantsStore(options)
      ? storeFor(this.context, options, 'KTABLE-FK-JOIN-OUTPUT', {
          keySerde: this.keySerde,
          valueSerde: undefined,
        })
      : undefined;
    const node = graph.add({
      op: 'fk-join',
      name: `${prefix}-OUTPUT`,
      parents: [this.nodeId, other.nodeId],
      joinType,
      foreignKeyExtractor,
      joiner,
      prefix,
      foreignKeySerde: keySerdeOr(this.context, options.foreignKeySerde ?? other.keySerde),
      keySerde: this.keySerde,
      valueSerde: this.valueSerde,
      otherValueSerde: other.valueSerde,
      store,
    });
    return new KTable<K, VR>(this.context, node.id, this.keySerde, options.valueSerde, queryable(store));
  }

  private filtered(
    predicate: KeyValueFunction<unknown>,
    negate: boolean,
    materialized: Materialized<K, V> | undefined,
  ): KTable<K, V> {
    const store = wantsStore(materialized)
      ? storeFor(this.context, materialized, 'KTABLE-FILTER', {
          keySerde: this.keySerde,
          valueSerde: this.valueSerde,
        })
      : undefined;
    const node = this.context.graph.add({
      op: 'table-filter',
      name: this.nameOr(materialized, negate ? 'KTABLE-FILTERNOT' : 'KTABLE-FILTER'),
      parents: [this.nodeId],
      predicate,
      negate,
      store,
    });
    return new KTable<K, V>(this.context, node.id, this.keySerde, this.valueSerde, queryable(store));
  }

  private nameOr(named: Named | undefined, prefix: string): string {
    return named?.name ?? this.context.graph.newName(prefix);
  }

  private assertSameBuilder(other: { context: DslContext }): void {
    if (other.context.graph !== this.context.graph) {
      throw new TopologyError(`${this.name}: cannot join tables from different StreamsBuilders`);
    }
  }

  /** @internal Key and value serdes, falling back to the builder's defaults. */
  resolvedSerdes(): { keySerde: AnySerde; valueSerde: AnySerde } {
    return {
      keySerde: keySerdeOr(this.context, this.keySerde),
      valueSerde: valueSerdeOr(this.context, this.valueSerde),
    };
  }
}

function queryable(store: { name: string; generated: boolean } | undefined): string | undefined {
  return store && !store.generated ? store.name : undefined;
}

/** The arguments of `join` and `leftJoin`, one tuple per overload, with the joined side's types erased. */
type SameKeyJoinArguments<K> = [
  other: KTable<K, unknown>,
  joiner: ValueJoinerFunction,
  materialized?: Materialized<K, unknown>,
];
type ForeignKeyJoinArguments<K> = [
  other: KTable<unknown, unknown>,
  foreignKeyExtractor: ForeignKeyJoinIr['foreignKeyExtractor'],
  joiner: ForeignKeyJoinIr['joiner'],
  options?: ForeignKeyJoined<K, unknown, unknown>,
];
type TableJoinArguments<K> = SameKeyJoinArguments<K> | ForeignKeyJoinArguments<K>;

/** A foreign-key join is the overload with two functions: the extractor, then the joiner. */
function joinsByForeignKey<K>(args: TableJoinArguments<K>): args is ForeignKeyJoinArguments<K> {
  return typeof args[2] === 'function';
}
