import type { Serde } from '../serde/serde.ts';
import type { StoreBackend } from '../state/api.ts';
import type { StreamPartitioner, TimestampExtractor } from '../topology/functions.ts';

/** Names the operator, so `describe()`, metrics and internal topics show a name you chose. */
export interface Named {
  readonly name?: string;
}

/** A topic with its serdes: pass it to `stream()`, `table()` or `to()` and the types follow. */
export interface TopicDefinition<K, V> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

/**
 * A topic with its serdes, so the types of its keys and values follow it through `stream()`, `table()`,
 * `to()` and the test driver's topics.
 *
 * @example
 * ```ts
 * export const orders = defineTopic('orders', Serdes.String(), schemas.serde<Order>('Order'));
 * builder.stream(orders); // KStream<string, Order>
 * ```
 */
export function defineTopic<K, V>(
  name: string,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
): TopicDefinition<K, V> {
  return { name, keySerde, valueSerde };
}

/** How a source reads its topic: Kafka Streams' `Consumed`. */
export interface Consumed<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly timestampExtractor?: TimestampExtractor<K, V>;
}

/** How a sink writes its topic: Kafka Streams' `Produced`. */
export interface Produced<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly partitioner?: StreamPartitioner<K, V>;
}

/** Serdes and name for the repartition topic a grouping may need: Kafka Streams' `Grouped`. */
export interface Grouped<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

/** An explicit repartition: Kafka Streams' `Repartitioned`. */
export interface Repartitioned<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly partitions?: number;
  readonly partitioner?: StreamPartitioner<K, V>;
}

/** How a table or aggregation result is stored: Kafka Streams' `Materialized`. */
export interface Materialized<K, V> extends Named {
  /** Naming the store makes it queryable and fixes its changelog topic name. */
  readonly storeName?: string;
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  /** 'leveldb' (default) or 'memory'. */
  readonly backend?: StoreBackend;
  /** Changelog on (default) or off, or on with extra topic configs. */
  readonly logging?: boolean | { readonly topicConfig: Readonly<Record<string, string>> };
  /** Window and session stores: how long windows are kept (default: window size or gap, plus grace). */
  readonly retentionMs?: number;
  /**
   * The record cache, on (default) or off: Kafka Streams' `withCachingEnabled`/`withCachingDisabled`.
   * With it on, a table's or aggregation's updates of a key between two commits reach downstream once,
   * as the key's latest value with the value it had at the previous commit as old value (and its
   * changelog gets one record), when the commit flushes the cache or when the cache is full. Its size
   * is the worker setting `--record-cache-max-bytes` (Kafka Streams' `statestore.cache.max.bytes`,
   * 10 MiB by default; 0 turns caching off everywhere). It applies to the stores of `count`, `reduce`
   * and `aggregate` of grouped streams and tables, windowed and session ones too (per window or
   * session; not when emitting on window close), of materialized table-table join results, of
   * `filter`, `mapValues` and `transformValues` results with a `storeName`, and of `builder.table`,
   * `toTable` and foreign-key join results when Kafka Streams materializes them (named, looked up by
   * a join, or sending old values, as to a `groupBy`); other stores do not cache.
   */
  readonly caching?: boolean;
  /**
   * Materializes a table in a versioned key-value store (KIP-889/914) keeping `historyRetentionMs` of
   * old versions: the table can then be joined as of a stream record's time, and out-of-order updates
   * are kept in its history instead of replacing newer ones. For any table, as in Kafka Streams:
   * `builder.table`, `toTable`, `filter`, `mapValues`, aggregations and table joins; not for global
   * tables or windowed aggregations.
   */
  readonly versioned?: { readonly historyRetentionMs: number };
}

/** Serdes for a stream-table join's repartition: Kafka Streams' `Joined`. */
export interface Joined<K, V, VO> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly otherValueSerde?: Serde<VO>;
  /**
   * Stream-table joins with a versioned table (KIP-914): stream records wait this long (in stream
   * time, in timestamp order) before they are joined with the table as of their own timestamp, so
   * table updates that arrive up to this late still meet them. At most the table's history retention.
   */
  readonly gracePeriodMs?: number;
}

/** Serdes and stores of a stream-stream join: Kafka Streams' `StreamJoined`. */
export interface StreamJoined<K, V, VO> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly otherValueSerde?: Serde<VO>;
  /** Base name of the join's window stores (`<storeName>-this-join-store`, `<storeName>-other-join-store`). */
  readonly storeName?: string;
  readonly backend?: StoreBackend;
  /** Changelogs on (default) or off, or on with extra topic configs for both stores' changelogs. */
  readonly logging?: boolean | { readonly topicConfig: Readonly<Record<string, string>> };
}

/** Options of a foreign-key table-table join. */
export interface ForeignKeyJoined<K, VR, KO> extends Materialized<K, VR> {
  /** Serde of the foreign key, for the subscription topic (defaults to the other table's key serde). */
  readonly foreignKeySerde?: Serde<KO>;
}
