import type { Serde } from '../serde/serde.ts';
import { longSerde } from '../serde/primitives.ts';
import type { AggregateKind, TableGroupByIr } from '../topology/ir.ts';
import type { AggregatorFunction, InitializerFunction } from '../common/functions.ts';
import { keySerdeOr, required, storeFor, valueSerdeOr, type DslContext } from './context.ts';
import type { Initializer, Reducer } from './kgrouped-stream.ts';
import { KTable } from './ktable.ts';
import type { Materialized } from './options.ts';

export interface TableGrouping<K, V> {
  readonly parent: number;
  readonly selector: TableGroupByIr['selector'];
  readonly name: string;
  /** The name the user gave the grouping: it names the repartition topic (else the store does). */
  readonly repartitionName: string | undefined;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
}

/**
 * A table re-grouped by a new key: Kafka Streams' `KGroupedTable`. Aggregations take an adder for new
 * values and a subtractor for values that left the group (updated or deleted rows).
 *
 * @example
 * ```ts
 * const customersPerLevel = customers.groupBy((_id, c) => keyValue(c.level, c), { keySerde: Serdes.String() });
 * ```
 */
export class KGroupedTable<K, V> {
  /** @internal */ readonly context: DslContext;
  private readonly grouping: TableGrouping<K, V>;

  /** @internal */
  constructor(context: DslContext, grouping: TableGrouping<K, V>) {
    this.context = context;
    this.grouping = grouping;
  }

  /**
   * Counts the rows in each group; a row that moves to another group is counted there instead.
   *
   * @example
   * ```ts
   * customers.groupBy((_id, c) => keyValue(c.level, c), { keySerde: Serdes.String() }).count();
   * ```
   */
  count(materialized?: Materialized<K, number>): KTable<K, number> {
    return this.aggregated<number>('count', undefined, undefined, undefined, materialized, longSerde());
  }

  /**
   * Combines the values of each group: `adder` for a row that joins it, `subtractor` for one that leaves it.
   *
   * @example
   * ```ts
   * stockByWarehouse
   *   .groupBy((_key, s) => keyValue(s.product, s.units), { keySerde: Serdes.String(), valueSerde: Serdes.Int() })
   *   .reduce((total, units) => total + units, (total, units) => total - units);
   * ```
   */
  reduce(adder: Reducer<V>, subtractor: Reducer<V>, materialized?: Materialized<K, V>): KTable<K, V> {
    required(adder, 'an adder', 'KGroupedTable.reduce');
    required(subtractor, 'a subtractor', 'KGroupedTable.reduce');
    return this.aggregated<V>('reduce', undefined, adder, subtractor, materialized, this.grouping.valueSerde);
  }

  /**
   * Aggregates each group into another type, with an adder and a subtractor.
   *
   * @example
   * ```ts
   * customers
   *   .groupBy((_id, c) => keyValue(c.level, c), { keySerde: Serdes.String() })
   *   .aggregate(
   *     () => [] as string[],
   *     (_level, c, emails) => [...emails, c.email],
   *     (_level, c, emails) => emails.filter((e) => e !== c.email),
   *   );
   * ```
   */
  aggregate<VA>(
    initializer: Initializer<VA>,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA,
    materialized?: Materialized<K, VA>,
  ): KTable<K, VA> {
    required(initializer, 'an initializer', 'KGroupedTable.aggregate');
    required(adder, 'an adder', 'KGroupedTable.aggregate');
    required(subtractor, 'a subtractor', 'KGroupedTable.aggregate');
    return this.aggregated<VA>('aggregate', initializer, adder, subtractor, materialized, undefined);
  }

  private aggregated<VA>(
    kind: AggregateKind,
    initializer: InitializerFunction | undefined,
    adder: AggregatorFunction | undefined,
    subtractor: AggregatorFunction | undefined,
    materialized: Materialized<K, VA> | undefined,
    defaultValueSerde: Serde<VA> | undefined,
  ): KTable<K, VA> {
    const graph = this.context.graph;
    const prefix = kind === 'reduce' ? 'KTABLE-REDUCE' : 'KTABLE-AGGREGATE';
    const name = materialized?.name ?? graph.newName(prefix);
    const keySerde = keySerdeOr(this.context, this.grouping.keySerde);
    const valueSerde = valueSerdeOr(this.context, materialized?.valueSerde ?? defaultValueSerde);
    const store = storeFor(this.context, materialized, prefix, { keySerde, valueSerde });
    const groupBy = graph.add({
      op: 'table-group-by',
      name: this.grouping.name,
      parents: [this.grouping.parent],
      selector: this.grouping.selector,
      // As Kafka Streams: named after the grouping when it has a name, else after the store.
      topic: `${this.grouping.repartitionName ?? store.name}-repartition`,
      sinkName: graph.newName('KSTREAM-SINK'),
      sourceName: graph.newName('KSTREAM-SOURCE'),
      keySerde: keySerde,
      valueSerde: valueSerdeOr(this.context, this.grouping.valueSerde),
    });
    const node = graph.add({
      op: 'table-aggregate',
      name,
      parents: [groupBy.id],
      kind,
      initializer,
      adder,
      subtractor,
      store,
    });
    return new KTable<K, VA>(
      this.context,
      node.id,
      this.grouping.keySerde,
      valueSerde,
      store.generated ? undefined : store.name,
    );
  }
}
