import { TopologyError } from '../errors.ts';
import type { Serde } from '../serde/serde.ts';
import type { StoreSpec } from '../state/api.ts';
import type { IrGraph, StoreIr } from '../topology/ir.ts';
import type { Materialized } from './options.ts';

/** What every DSL object shares: the graph being recorded (which also holds the default serdes). */
export interface DslContext {
  readonly graph: IrGraph;
}

/**
 * The serde to use when the DSL knows none: the builder's default. Defaults are configured without a
 * type (as Kafka Streams' `default.key.serde` is), so they are taken to serve the stream's type here:
 * the one place where the DSL trusts a serde it cannot type-check.
 */
export function keySerdeOr<K>(context: DslContext, serde: Serde<K> | undefined): Serde<K> {
  return serde ?? (context.graph.defaultKeySerde as Serde<K>);
}

export function valueSerdeOr<V>(context: DslContext, serde: Serde<V> | undefined): Serde<V> {
  return serde ?? (context.graph.defaultValueSerde as Serde<V>);
}

/**
 * A store's name becomes part of its changelog topic's name, so it must be a legal topic name, as Kafka
 * Streams' `Materialized.as` checks.
 */
export function checkStoreName(name: string): string {
  if (name === '' || name === '.' || name === '..' || !/^[a-zA-Z0-9._-]+$/.test(name))
    throw new TopologyError(
      `store name "${name}" is illegal: use only ASCII letters, digits, '.', '_' and '-' (it becomes part of a topic name)`,
    );
  if (name.length > 249)
    throw new TopologyError(
      `store name "${name.slice(0, 40)}…" is longer than the 249 characters a topic name may have`,
    );
  return name;
}

/** Functions a DSL operation cannot do without (JavaScript callers may pass none): a clear error at once. */
export function required<F>(fn: F | null | undefined, what: string, operation: string): F {
  if (typeof fn !== 'function') throw new TopologyError(`${operation} needs ${what}, got ${String(fn)}`);
  return fn;
}

/**
 * The names of the stores a processor (or transformer) uses: names of stores added with
 * `StreamsBuilder.addStateStore`, or store specs, which are added to the topology once.
 */
export function connectStores(
  context: DslContext,
  stores: readonly (string | StoreSpec)[] | undefined,
): string[] {
  const graph = context.graph;
  return (stores ?? []).map((store) => {
    if (typeof store === 'string') return store;
    const added = graph.nodes.find((node) => node.op === 'state-store' && node.name === store.name);
    if (!added) graph.add({ op: 'state-store', name: store.name, parents: [], spec: store });
    else if (added.op === 'state-store' && added.spec !== store)
      throw new TopologyError(`store "${store.name}" is added twice, with two different specs`);
    return store.name;
  });
}

/** Turns `Materialized` options into the store the IR records, generating a name when none is given. */
export function storeFor<K, V>(
  context: DslContext,
  materialized: Materialized<K, V> | undefined,
  generatedPrefix: string,
  serdes: { keySerde: Serde<K> | undefined; valueSerde: Serde<V> | undefined },
): StoreIr {
  const logging = materialized?.logging ?? true;
  return {
    name:
      materialized?.storeName !== undefined
        ? checkStoreName(materialized.storeName)
        : context.graph.newName(`${generatedPrefix}-STATE-STORE`),
    generated: materialized?.storeName === undefined,
    backend: materialized?.backend ?? 'leveldb',
    logging: logging !== false,
    loggingConfig: typeof logging === 'object' ? logging.topicConfig : {},
    keySerde: materialized?.keySerde ?? serdes.keySerde,
    valueSerde: materialized?.valueSerde ?? serdes.valueSerde,
    retentionMs: materialized?.retentionMs,
    ...(materialized?.versioned ? { historyRetentionMs: materialized.versioned.historyRetentionMs } : {}),
    ...(materialized?.caching === false ? { caching: false as const } : {}),
  };
}

/** True when the caller asked for a store (any store option, not just a name). */
export function wantsStore<K, V>(materialized: Materialized<K, V> | undefined): boolean {
  if (!materialized) return false;
  return (
    materialized.storeName !== undefined ||
    materialized.backend !== undefined ||
    materialized.keySerde !== undefined ||
    materialized.valueSerde !== undefined ||
    materialized.logging !== undefined ||
    materialized.caching !== undefined ||
    materialized.versioned !== undefined
  );
}
