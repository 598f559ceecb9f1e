import type { ProcessorContext } from '../api.ts';
import type { TimestampedKeyValueStore, ValueAndTimestamp } from '../../state/api.ts';

/** Reads a table's current value for a key, whether the table has its own store or derives from one. */
export interface TableValueGetter<K, V> {
  init(context: ProcessorContext<unknown, unknown>): void;
  get(key: K): ValueAndTimestamp<V> | undefined;
}

/** Makes getters for the tasks; `storeNames` are the stores a processor using it must be connected to. */
export interface TableValueGetterSupplier<K, V> {
  readonly storeNames: readonly string[];
  get(): TableValueGetter<K, V>;
}

/** The getter of a table materialized in a timestamped key-value store. */
export function storeValueGetter<K, V>(storeName: string): TableValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName],
    get: () => {
      let store: TimestampedKeyValueStore<K, V> | undefined;
      return {
        init: (context) => {
          store = context.getStateStore(storeName);
        },
        get: (key) => store!.get(key),
      };
    },
  };
}

/** A getter that reads the parent table's value and transforms it (filter, mapValues, ...). */
export function derivedValueGetter<K, VIn, VOut>(
  parent: TableValueGetterSupplier<K, VIn>,
  transform: (key: K, value: ValueAndTimestamp<VIn>) => ValueAndTimestamp<VOut> | undefined,
): TableValueGetterSupplier<K, VOut> {
  return {
    storeNames: parent.storeNames,
    get: () => {
      const upstream = parent.get();
      return {
        init: (context) => upstream.init(context),
        get: (key) => {
          const value = upstream.get(key);
          return value === undefined ? undefined : transform(key, value);
        },
      };
    },
  };
}
