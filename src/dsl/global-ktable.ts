import type { Serde } from '../serde/serde.ts';

/**
 * A table replicated in full to every task: Kafka Streams' `GlobalKTable`. It is only joined against
 * (by a key computed from each stream record), so it needs no co-partitioning.
 *
 * @example
 * ```ts
 * const customers = builder.globalTable(topics.customers, { storeName: 'customers' });
 * orders.join(customers, (_id, order) => order.customerId, (order, customer) => ({ order, customer }));
 * ```
 */
export class GlobalKTable<K, V> {
  readonly storeName: string;
  /** @internal */ readonly keySerde: Serde<K>;
  /** @internal */ readonly valueSerde: Serde<V>;

  /** @internal */
  constructor(storeName: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.storeName = storeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /**
   * The name of the store that holds the table, for interactive queries.
   *
   * @example
   * ```ts
   * builder.globalTable(topics.customers, { storeName: 'customers' }).queryableStoreName; // 'customers'
   * ```
   */
  get queryableStoreName(): string {
    return this.storeName;
  }
}
