import type { ProcessorContext } from '../api.ts';
import type {
  TimestampedKeyValueStore,
  ValueAndTimestamp,
  VersionedKeyValueStore,
  VersionedRecord,
} from '../../state/api.ts';

/** Reads a table's current value for a key, whether the table has its own store or derives from one. */
export interface TableValueGetter<K, V> {
  init(context: ProcessorContext<unknown, unknown>): void;
  get(key: K): ValueAndTimestamp<V> | undefined;
  /** Versioned tables: the value the key had at `asOfTimestamp` (KIP-914 stream-table joins). */
  getAsOf?(key: K, asOfTimestamp: number): ValueAndTimestamp<V> | undefined;
  /**
   * Called when the processor reading through the getter closes (with its task): a getter that holds
   * a transformer closes it, and every getter closes its parent's (Kafka Streams' `KTableValueGetter.close`).
   */
  close?(): void;
}

/** Makes getters for the tasks; `storeNames` are the stores a processor using it must be connected to. */
export interface TableValueGetterSupplier<K, V> {
  readonly storeNames: readonly string[];
  /** Set when the table's values come from a versioned store: its history retention. */
  readonly versioned?: { readonly historyRetentionMs: number };
  get(): TableValueGetter<K, V>;
}

function valueAndTimestamp<V>(record: VersionedRecord<V> | undefined): ValueAndTimestamp<V> | undefined {
  return record === undefined ? undefined : { value: record.value, timestamp: record.timestamp };
}

/** The getter of a table materialized in a versioned store: its latest values, or those as of a time. */
export function versionedStoreValueGetter<K, V>(
  storeName: string,
  historyRetentionMs: number,
): TableValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName],
    versioned: { historyRetentionMs },
    get: () => {
      let store: VersionedKeyValueStore<K, V>;
      return {
        init: (context) => {
          store = context.getStateStore(storeName);
        },
        get: (key) => valueAndTimestamp(store.get(key)),
        getAsOf: (key, asOfTimestamp) => valueAndTimestamp(store.get(key, asOfTimestamp)),
      };
    },
  };
}

/** The getter of a table materialized in a timestamped key-value store. */
export function storeValueGetter<K, V>(storeName: string): TableValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName],
    get: () => {
      let store: TimestampedKeyValueStore<K, V>;
      return {
        init: (context) => {
          store = context.getStateStore(storeName);
        },
        get: (key) => store.get(key),
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
    ...(parent.versioned ? { versioned: parent.versioned } : {}),
    get: () => {
      const upstream = parent.get();
      const transformed = (key: K, value: ValueAndTimestamp<VIn> | undefined) =>
        value === undefined ? undefined : transform(key, value);
      return {
        init: (context) => upstream.init(context),
        get: (key) => transformed(key, upstream.get(key)),
        ...(upstream.getAsOf
          ? { getAsOf: (key: K, asOf: number) => transformed(key, upstream.getAsOf?.(key, asOf)) }
          : {}),
        close: () => upstream.close?.(),
      };
    },
  };
}
