import { TopologyError } from '../errors.ts';
import type { KeyValue } from '../processor/record.ts';
import type { Serde } from '../serde/serde.ts';
import type { AnySerde, Fn, JoinType } from '../topology/ir.ts';
import { keySerdeOr, storeFor, valueSerdeOr, wantsStore, type DslContext } from './context.ts';
import { KGroupedTable } from './kgrouped-table.ts';
import { KStream } from './kstream.ts';
import type { ForeignKeyJoined, Grouped, Materialized, Named } from './options.ts';
import type { Suppressed } from './suppressed.ts';

/**
 * A changelog stream read as a table: the latest value per key, where a null value deletes the key.
 * Kafka Streams' `KTable`. Updates flow downstream with their old value, so aggregations and joins
 * can retract what they had counted.
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

  get name(): string {
    return this.context.graph.node(this.nodeId).name;
  }

  filter(predicate: (key: K, value: V) => boolean, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.filtered(predicate, false, materialized);
  }

  filterNot(predicate: (key: K, value: V) => boolean, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.filtered(predicate, true, materialized);
  }

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

  /** The table's changes as a stream: every update, and a null value for every delete. */
  toStream(named?: Named): KStream<K, V> {
    const node = this.context.graph.add({
      op: 'table-to-stream',
      name: this.nameOr(named, 'KTABLE-TOSTREAM'),
      parents: [this.nodeId],
    });
    return new KStream<K, V>(this.context, node.id, this.keySerde, this.valueSerde, false);
  }

  /** Re-groups the table by a new key; each update retracts the old value from its old group. */
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

  /** Holds back updates until a window closes or a time limit passes (see `Suppressed`). */
  suppress(suppressed: Suppressed, named?: Named): KTable<K, V> {
    const graph = this.context.graph;
    const name = this.nameOr(named, 'KTABLE-SUPPRESS');
    const node = graph.add({
      op: 'suppress',
      name,
      parents: [this.nodeId],
      spec: suppressed.spec,
      storeName: `${name}-store`,
      keySerde: this.keySerde as AnySerde | undefined,
      valueSerde: this.valueSerde as AnySerde | undefined,
    });
    return new KTable<K, V>(this.context, node.id, this.keySerde, this.valueSerde, undefined);
  }

  /** Inner join with another table on the same key. */
  join<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V, otherValue: VO, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
  /** Foreign-key inner join: each row of this table joins the row of `other` whose key its value names. */
  join<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: (value: V) => KO | null,
    joiner: (value: V, otherValue: VO) => VR,
    options?: ForeignKeyJoined<K, VR, KO>,
  ): KTable<K, VR>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  join(other: KTable<any, any>, a: Fn, b?: unknown, c?: unknown): KTable<K, unknown> {
    return typeof b === 'function'
      ? this.foreignKeyJoin(
          'inner',
          other,
          a,
          b as Fn,
          c as ForeignKeyJoined<K, unknown, unknown> | undefined,
        )
      : this.tableTableJoin(
          'inner',
          other as KTable<K, unknown>,
          a,
          b as Materialized<K, unknown> | undefined,
        );
  }

  leftJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V, otherValue: VO | null, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
  leftJoin<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: (value: V) => KO | null,
    joiner: (value: V, otherValue: VO | null) => VR,
    options?: ForeignKeyJoined<K, VR, KO>,
  ): KTable<K, VR>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  leftJoin(other: KTable<any, any>, a: Fn, b?: unknown, c?: unknown): KTable<K, unknown> {
    return typeof b === 'function'
      ? this.foreignKeyJoin('left', other, a, b as Fn, c as ForeignKeyJoined<K, unknown, unknown> | undefined)
      : this.tableTableJoin(
          'left',
          other as KTable<K, unknown>,
          a,
          b as Materialized<K, unknown> | undefined,
        );
  }

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
    joiner: Fn,
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
    foreignKeyExtractor: Fn,
    joiner: Fn,
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
      foreignKeySerde: keySerdeOr(this.context, options.foreignKeySerde ?? other.keySerde) as AnySerde,
      keySerde: this.keySerde as AnySerde | undefined,
      valueSerde: this.valueSerde as AnySerde | undefined,
      otherValueSerde: other.valueSerde as AnySerde | undefined,
      store,
    });
    return new KTable<K, VR>(this.context, node.id, this.keySerde, options.valueSerde, queryable(store));
  }

  private filtered(
    predicate: Fn,
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
      keySerde: keySerdeOr(this.context, this.keySerde) as AnySerde,
      valueSerde: valueSerdeOr(this.context, this.valueSerde) as AnySerde,
    };
  }
}

function queryable(store: { name: string; generated: boolean } | undefined): string | undefined {
  return store && !store.generated ? store.name : undefined;
}
