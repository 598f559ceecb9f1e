import { TopologyError } from '../errors.ts';
import { jsonSerde } from '../serde/primitives.ts';
import type { Serde } from '../serde/serde.ts';
import type { StoreSpec } from '../state/api.ts';
import { compile } from '../topology/compile.ts';
import type { CompileOptions } from '../topology/compile-options.ts';
import { IrGraph } from '../topology/ir.ts';
import type { Topology } from '../topology/topology.ts';
import { keySerdeOr, storeFor, valueSerdeOr, type DslContext } from './context.ts';
import { GlobalKTable } from './global-ktable.ts';
import { KStream } from './kstream.ts';
import { KTable } from './ktable.ts';
import type { Consumed, Materialized, TopicDefinition } from './options.ts';

export interface StreamsBuilderOptions {
  /** Serde for keys wherever none was given or could be inferred (default: JSON). */
  readonly defaultKeySerde?: Serde<unknown>;
  /** Serde for values wherever none was given or could be inferred (default: JSON). */
  readonly defaultValueSerde?: Serde<unknown>;
}

export type TableOptions<K, V> = Consumed<K, V> & Omit<Materialized<K, V>, 'name'>;

/**
 * The entry point of the DSL: Kafka Streams' `StreamsBuilder`. It records sources and operations, and
 * `build()` compiles them into a `Topology`. In a topology file, `defineApp({ topology: (builder) => ...})`
 * hands you one.
 *
 * @example
 * ```ts
 * const builder = new StreamsBuilder();
 * builder.stream(topics.orders).filter((_id, o) => o.quantity > 0).to(topics.validOrders);
 * const topology = builder.build();
 * ```
 */
export class StreamsBuilder {
  private readonly context: DslContext;

  /**
   * A builder; `defaultKeySerde` and `defaultValueSerde` serialize wherever no serde was given or could
   * be inferred (JSON unless you say otherwise, where Kafka Streams has `default.key.serde`).
   *
   * @example
   * ```ts
   * const builder = new StreamsBuilder({ defaultKeySerde: Serdes.String() });
   * ```
   */
  constructor(options: StreamsBuilderOptions = {}) {
    this.context = {
      graph: new IrGraph({
        keySerde: options.defaultKeySerde ?? jsonSerde(),
        valueSerde: options.defaultValueSerde ?? jsonSerde(),
      }),
    };
  }

  /**
   * A stream of the records of a topic, typed by its definition (`defineTopic`): Kafka Streams'
   * `builder.stream(topic, Consumed)`.
   *
   * @example
   * ```ts
   * const orders = builder.stream(topics.orders); // KStream<string, Order>
   * ```
   */
  stream<K, V>(topic: TopicDefinition<K, V>, consumed?: Consumed<K, V>): KStream<K, V>;
  /**
   * A stream of the records of one or more topics by name; serdes from `consumed`, else the builder's
   * defaults. `consumed.timestampExtractor` takes event time from the value.
   *
   * @example
   * ```ts
   * const clicks = builder.stream<string, Click>(['clicks-web', 'clicks-app'], {
   *   keySerde: Serdes.String(),
   *   valueSerde: Serdes.Json<Click>(),
   *   timestampExtractor: (record) => record.value.at,
   * });
   * ```
   */
  stream<K, V>(topics: string | readonly string[], consumed?: Consumed<K, V>): KStream<K, V>;
  stream<K, V>(
    topic: TopicDefinition<K, V> | string | readonly string[],
    consumed: Consumed<K, V> = {},
  ): KStream<K, V> {
    const { names, keySerde, valueSerde } = this.resolveTopic(topic, consumed);
    if (names.length === 0) throw new TopologyError('stream() needs at least one topic');
    const graph = this.context.graph;
    const node = graph.add({
      op: 'stream-source',
      name: consumed.name ?? graph.newName('KSTREAM-SOURCE'),
      parents: [],
      topics: names,
      keySerde: keySerde,
      valueSerde: valueSerde,
      timestampExtractor: consumed.timestampExtractor,
    });
    return new KStream<K, V>(this.context, node.id, keySerde, valueSerde, false);
  }

  /**
   * A table of the latest value per key of a topic. Its store is restored from the topic itself, so no
   * separate changelog topic is created (the topic should be compacted). Name the store to query it.
   *
   * @example
   * ```ts
   * const inventory = builder.table(topics.warehouseInventory, { storeName: 'warehouse-inventory' });
   * ```
   */
  table<K, V>(topic: TopicDefinition<K, V> | string, options: TableOptions<K, V> = {}): KTable<K, V> {
    const { keySerde, valueSerde } = this.resolveTopic(topic, options);
    const topicName = typeof topic === 'string' ? topic : topic.name;
    const graph = this.context.graph;
    const sourceName = options.name ?? graph.newName('KSTREAM-SOURCE');
    const name = graph.newName('KTABLE-SOURCE');
    const store = storeFor(this.context, options, topicName, { keySerde, valueSerde });
    const node = graph.add({
      op: 'table-source',
      name,
      sourceName,
      parents: [],
      topic: topicName,
      keySerde: keySerde,
      valueSerde: valueSerde,
      timestampExtractor: options.timestampExtractor,
      store,
    });
    return new KTable<K, V>(
      this.context,
      node.id,
      keySerde,
      valueSerde,
      store.generated ? undefined : store.name,
    );
  }

  /**
   * A table copied in full to every task, for joins by a key computed from each record: Kafka Streams'
   * `GlobalKTable`. It is loaded in full before processing starts.
   *
   * @example
   * ```ts
   * const customers = builder.globalTable(topics.customers, { storeName: 'customers' });
   * ```
   */
  globalTable<K, V>(
    topic: TopicDefinition<K, V> | string,
    options: TableOptions<K, V> = {},
  ): GlobalKTable<K, V> {
    const { keySerde, valueSerde } = this.resolveTopic(topic, options);
    const topicName = typeof topic === 'string' ? topic : topic.name;
    const graph = this.context.graph;
    const sourceName = options.name ?? graph.newName('KSTREAM-SOURCE');
    const name = graph.newName('KTABLE-SOURCE');
    const store = storeFor(this.context, options, topicName, { keySerde, valueSerde });
    graph.add({
      op: 'global-table',
      name,
      sourceName,
      parents: [],
      topic: topicName,
      keySerde: keySerde,
      valueSerde: valueSerde,
      store,
    });
    return new GlobalKTable<K, V>(
      store.name,
      keySerdeOr(this.context, keySerde),
      valueSerdeOr(this.context, valueSerde),
    );
  }

  /**
   * Adds a store for processors added with `KStream.process(..., { stores: [name] })` (Kafka Streams'
   * `addStateStore(StoreBuilder)`).
   *
   * @example
   * ```ts
   * builder.addStateStore(Stores.keyValue({ name: 'reserved-stock', keySerde: Serdes.String(), valueSerde: Serdes.Long() }));
   * ```
   */
  addStateStore(spec: StoreSpec): this {
    const graph = this.context.graph;
    graph.add({ op: 'state-store', name: spec.name, parents: [], spec });
    return this;
  }

  /** @internal The logical graph recorded so far (written as JSON by `topologyToJson`). */
  get graph(): IrGraph {
    return this.context.graph;
  }

  /**
   * Compiles everything recorded so far into a physical topology: sub-topologies, stores, internal
   * topics; `options.renameTopic` maps topic names (e.g. a prefix per environment).
   *
   * @example
   * ```ts
   * const topology = builder.build();
   * console.log(topology.describe().toString());
   * ```
   */
  build(options: CompileOptions = {}): Topology {
    return compile(this.context.graph, options);
  }

  private resolveTopic<K, V>(
    topic: TopicDefinition<K, V> | string | readonly string[],
    consumed: Consumed<K, V>,
  ): { names: string[]; keySerde: Serde<K> | undefined; valueSerde: Serde<V> | undefined } {
    if (typeof topic === 'string')
      return { names: [topic], keySerde: consumed.keySerde, valueSerde: consumed.valueSerde };
    if (isTopicList(topic))
      return { names: [...topic], keySerde: consumed.keySerde, valueSerde: consumed.valueSerde };
    return {
      names: [topic.name],
      keySerde: consumed.keySerde ?? topic.keySerde,
      valueSerde: consumed.valueSerde ?? topic.valueSerde,
    };
  }
}

/** `Array.isArray`, which TypeScript does not let narrow a readonly array out of a union. */
function isTopicList<K, V>(topic: TopicDefinition<K, V> | readonly string[]): topic is readonly string[] {
  return Array.isArray(topic);
}
