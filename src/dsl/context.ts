import type { Serde } from '../serde/serde.ts';
import type { AnySerde, IrGraph, StoreIr } from '../topology/ir.ts';
import type { Materialized } from './options.ts';

/** What every DSL object shares: the graph being recorded (which also holds the default serdes). */
export interface DslContext {
  readonly graph: IrGraph;
}

/** The serde to use when the DSL knows none: the builder's default. */
export function keySerdeOr<K>(context: DslContext, serde: Serde<K> | undefined): Serde<K> {
  return serde ?? (context.graph.defaultKeySerde as Serde<K>);
}

export function valueSerdeOr<V>(context: DslContext, serde: Serde<V> | undefined): Serde<V> {
  return serde ?? (context.graph.defaultValueSerde as Serde<V>);
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
    name: materialized?.storeName ?? context.graph.newName(`${generatedPrefix}-STATE-STORE`),
    generated: materialized?.storeName === undefined,
    backend: materialized?.backend ?? 'leveldb',
    logging: logging !== false,
    loggingConfig: typeof logging === 'object' ? logging.topicConfig : {},
    keySerde: (materialized?.keySerde ?? serdes.keySerde) as AnySerde | undefined,
    valueSerde: (materialized?.valueSerde ?? serdes.valueSerde) as AnySerde | undefined,
    retentionMs: materialized?.retentionMs,
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
    materialized.logging !== undefined
  );
}
