import { TopologyError } from '../errors.ts';
import { sessionWindowedSerde, timeWindowedSerde } from '../serde/windowed.ts';
import type { Serde } from '../serde/serde.ts';
import type { Windowed } from '../state/api.ts';
import type { SessionWindowsSpec, SlidingWindowsSpec, TimeWindowsSpec } from '../topology/ir.ts';
import type { AggregatorFunction } from '../common/functions.ts';
import { keySerdeOr, required, storeFor, valueSerdeOr, type DslContext } from './context.ts';
import { KGroupedStream, type Aggregator, type Initializer, type Merger } from './kgrouped-stream.ts';
import { KTable } from './ktable.ts';
import type { Materialized } from './options.ts';
import { repartitionNode } from './repartition.ts';
import { SessionWindows, type SlidingWindows, type TimeWindows } from './windows.ts';

type Windows = TimeWindowsSpec | SlidingWindowsSpec | SessionWindowsSpec;

/** One grouped stream taking part in a cogroup, with its aggregator. */
/**
 * What a cogroup reads of each grouped stream: where its records are and how to repartition them. The
 * inputs' value types differ, so they are kept erased; each one's aggregator was typed against it when
 * it was added.
 */
interface CogroupSource {
  readonly nodeId: number;
  readonly repartitionRequired: boolean;
  readonly groupedName: string | undefined;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
}

interface CogroupInput {
  readonly grouped: CogroupSource;
  readonly aggregator: AggregatorFunction;
}

/**
 * Grouped streams of the same key aggregated into one table, each with its own aggregator: Kafka
 * Streams' `CogroupedKStream` (KIP-150). Start one with `KGroupedStream.cogroup(aggregator)`, add
 * streams with `cogroup(grouped, aggregator)`, then `aggregate` (or window it first). Every record of
 * every input updates the shared aggregate of its key and the table forwards it: one store and one
 * result, where joining separate aggregations would need several of each.
 *
 * @example
 * ```ts
 * const activity = clicks
 *   .groupByKey()
 *   .cogroup<number>((_user, _click, total) => total + 1)
 *   .cogroup(purchases.groupByKey(), (_user, purchase, total) => total + purchase.points)
 *   .aggregate(() => 0, { storeName: 'activity-per-user' });
 * ```
 */
export class CogroupedKStream<K, VOut> {
  /** @internal */ readonly context: DslContext;
  /** @internal The key serde of the first grouped stream, which the result table's store defaults to. */
  readonly keySerde: Serde<K> | undefined;
  /** @internal */ readonly inputs: readonly CogroupInput[];
  /**
   * @internal The node each input is read from once repartitioned, shared by every aggregation of this
   * cogroup (and of cogroups extended from it), so aggregating twice reads one repartition topic, as in
   * Kafka Streams.
   */
  readonly repartitioned: Map<CogroupSource, number>;

  /** @internal */
  constructor(
    context: DslContext,
    keySerde: Serde<K> | undefined,
    inputs: readonly CogroupInput[],
    repartitioned: Map<CogroupSource, number> = new Map(),
  ) {
    this.context = context;
    this.keySerde = keySerde;
    this.inputs = inputs;
    this.repartitioned = repartitioned;
  }

  /**
   * Adds another grouped stream with its aggregator and returns the extended cogroup (this one is left
   * as it was). Each grouped stream may take part once: Kafka Streams silently replaces the aggregator
   * of a stream added twice, Tributary refuses it.
   *
   * @example
   * ```ts
   * const both = clicks.groupByKey().cogroup<number>((_k, _v, n) => n + 1).cogroup(views.groupByKey(), (_k, _v, n) => n + 1);
   * ```
   */
  cogroup<V>(grouped: KGroupedStream<K, V>, aggregator: Aggregator<K, V, VOut>): CogroupedKStream<K, VOut> {
    if (!(grouped instanceof KGroupedStream))
      throw new TopologyError(`CogroupedKStream.cogroup needs a grouped stream, got ${String(grouped)}`);
    required(aggregator, 'an aggregator', 'CogroupedKStream.cogroup');
    if (grouped.context.graph !== this.context.graph)
      throw new TopologyError('cogroup: cannot combine grouped streams from different StreamsBuilders');
    if (this.inputs.some((input) => input.grouped === grouped))
      throw new TopologyError('cogroup: this grouped stream is already cogrouped');
    return new CogroupedKStream<K, VOut>(
      this.context,
      this.keySerde,
      [...this.inputs, { grouped, aggregator }],
      this.repartitioned,
    );
  }

  /**
   * Aggregates all inputs into one table, starting each key from `initializer()`.
   *
   * @example
   * ```ts
   * const counts = clicks.groupByKey().cogroup<number>((_k, _v, n) => n + 1).aggregate(() => 0);
   * ```
   */
  aggregate(initializer: Initializer<VOut>, materialized?: Materialized<K, VOut>): KTable<K, VOut> {
    return addCogroupAggregate<K, VOut, K>(
      this,
      initializer,
      undefined,
      undefined,
      materialized,
      (keySerde) => keySerde,
    );
  }

  /**
   * Aggregates in time windows (tumbling, hopping or sliding).
   *
   * @example
   * ```ts
   * const perMinute = clicks
   *   .groupByKey()
   *   .cogroup<number>((_k, _v, n) => n + 1)
   *   .windowedBy(TimeWindows.ofSizeWithNoGrace(60_000))
   *   .aggregate(() => 0);
   * ```
   */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedCogroupedKStream<K, VOut>;
  /**
   * Aggregates in session windows.
   *
   * @example
   * ```ts
   * const perSession = clicks
   *   .groupByKey()
   *   .cogroup<number>((_k, _v, n) => n + 1)
   *   .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000))
   *   .aggregate(() => 0, (_k, a, b) => a + b);
   * ```
   */
  windowedBy(windows: SessionWindows): SessionWindowedCogroupedKStream<K, VOut>;
  windowedBy(
    windows: TimeWindows | SlidingWindows | SessionWindows,
  ): TimeWindowedCogroupedKStream<K, VOut> | SessionWindowedCogroupedKStream<K, VOut> {
    if (typeof windows !== 'object' || windows === null)
      throw new TopologyError(`CogroupedKStream.windowedBy needs windows, got ${String(windows)}`);
    if (windows instanceof SessionWindows)
      return new SessionWindowedCogroupedKStream<K, VOut>(this, windows.spec);
    return new TimeWindowedCogroupedKStream<K, VOut>(this, windows.spec);
  }
}

/**
 * A cogroup in time windows: Kafka Streams' `TimeWindowedCogroupedKStream`.
 *
 * @example
 * ```ts
 * const windowed = clicks.groupByKey().cogroup<number>((_k, _v, n) => n + 1).windowedBy(TimeWindows.ofSizeWithNoGrace(60_000));
 * ```
 */
export class TimeWindowedCogroupedKStream<K, VOut> {
  private readonly cogrouped: CogroupedKStream<K, VOut>;
  readonly windows: TimeWindowsSpec | SlidingWindowsSpec;

  /** @internal */
  constructor(cogrouped: CogroupedKStream<K, VOut>, windows: TimeWindowsSpec | SlidingWindowsSpec) {
    this.cogrouped = cogrouped;
    this.windows = windows;
  }

  /**
   * Aggregates each window of each key, starting it from `initializer()`; emits every update.
   *
   * @example
   * ```ts
   * windowed.aggregate(() => 0, { storeName: 'activity-per-minute' }).toStream().to(topics.activityPerMinute);
   * ```
   */
  aggregate(initializer: Initializer<VOut>, materialized?: Materialized<K, VOut>): KTable<Windowed<K>, VOut> {
    const windows = this.windows;
    const sizeMs = windows.type === 'time' ? windows.sizeMs : windows.timeDifferenceMs;
    return addCogroupAggregate<K, VOut, Windowed<K>>(
      this.cogrouped,
      initializer,
      undefined,
      windows,
      materialized,
      (keySerde) => timeWindowedSerde(keySerde, sizeMs),
    );
  }
}

/**
 * A cogroup in session windows: Kafka Streams' `SessionWindowedCogroupedKStream`.
 *
 * @example
 * ```ts
 * const sessions = clicks
 *   .groupByKey()
 *   .cogroup<number>((_k, _v, n) => n + 1)
 *   .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000));
 * ```
 */
export class SessionWindowedCogroupedKStream<K, VOut> {
  private readonly cogrouped: CogroupedKStream<K, VOut>;
  readonly windows: SessionWindowsSpec;

  /** @internal */
  constructor(cogrouped: CogroupedKStream<K, VOut>, windows: SessionWindowsSpec) {
    this.cogrouped = cogrouped;
    this.windows = windows;
  }

  /**
   * Aggregates each session of each key, starting it from `initializer()`; `merger` combines two
   * sessions' aggregates when a record bridges them. Emits every update.
   *
   * @example
   * ```ts
   * sessions.aggregate(() => 0, (_user, left, right) => left + right);
   * ```
   */
  aggregate(
    initializer: Initializer<VOut>,
    merger: Merger<K, VOut>,
    materialized?: Materialized<K, VOut>,
  ): KTable<Windowed<K>, VOut> {
    required(merger, 'a session merger', 'SessionWindowedCogroupedKStream.aggregate');
    return addCogroupAggregate<K, VOut, Windowed<K>>(
      this.cogrouped,
      initializer,
      merger,
      this.windows,
      materialized,
      (keySerde) => sessionWindowedSerde(keySerde),
    );
  }
}

/**
 * Adds the cogroup: each input that needs it repartitioned (named after its grouping, else the store,
 * as in Kafka Streams), one aggregating processor per input (`<name>-cogroup-agg-<i>` when named), and
 * the node merging their results.
 */
function addCogroupAggregate<K, VOut, KR>(
  cogrouped: CogroupedKStream<K, VOut>,
  initializer: Initializer<VOut>,
  merger: Merger<K, VOut> | undefined,
  windows: Windows | undefined,
  materialized: Materialized<K, VOut> | undefined,
  resultKeySerde: (keySerde: Serde<K>) => Serde<KR>,
): KTable<KR, VOut> {
  required(initializer, 'an initializer', 'cogroup aggregate');
  const context = cogrouped.context;
  const graph = context.graph;
  const keySerde = keySerdeOr(context, materialized?.keySerde ?? cogrouped.keySerde);
  const retentionMs =
    windows === undefined
      ? undefined
      : (materialized?.retentionMs ??
        (windows.type === 'session'
          ? windows.gapMs + windows.graceMs
          : windows.type === 'time'
            ? windows.sizeMs + windows.graceMs
            : 2 * windows.timeDifferenceMs + windows.graceMs));
  const valueSerde = valueSerdeOr(context, materialized?.valueSerde);
  const store = storeFor(
    context,
    retentionMs === undefined ? materialized : { ...materialized, retentionMs },
    'COGROUPKSTREAM-AGGREGATE',
    { keySerde, valueSerde },
  );
  const parents = cogrouped.inputs.map(({ grouped }) => {
    if (!grouped.repartitionRequired) return grouped.nodeId;
    let parent = cogrouped.repartitioned.get(grouped);
    if (parent === undefined) {
      parent = repartitionNode(context, grouped.nodeId, grouped.groupedName ?? store.name, {
        keySerde: keySerdeOr(context, grouped.keySerde),
        valueSerde: valueSerdeOr(context, grouped.valueSerde),
        partitions: undefined,
        partitioner: undefined,
      });
      cogrouped.repartitioned.set(grouped, parent);
    }
    return parent;
  });
  const named = materialized?.name;
  const aggregateNames = parents.map((_, i) =>
    named ? `${named}-cogroup-agg-${i}` : graph.newName('COGROUPKSTREAM-AGGREGATE'),
  );
  const node = graph.add({
    op: 'cogroup-aggregate',
    name: named ? `${named}-cogroup-merge` : graph.newName('COGROUPKSTREAM-MERGE'),
    parents,
    aggregators: cogrouped.inputs.map((input) => input.aggregator),
    aggregateNames,
    initializer: initializer,
    merger: merger,
    windows,
    store,
  });
  return new KTable<KR, VOut>(
    context,
    node.id,
    resultKeySerde(keySerde),
    valueSerde,
    store.generated ? undefined : store.name,
  );
}
