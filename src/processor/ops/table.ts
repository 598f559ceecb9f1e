import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, isLatest, type Change } from '../change.ts';
import { recordDropped, warn } from '../internal-context.ts';
import { withValue, type StreamRecord } from '../record.ts';
import {
  VersionedStore,
  type TimestampedKeyValueStore,
  type ValueAndTimestamp,
  type VersionedKeyValueStore,
} from '../../state/api.ts';
import type { Fn } from '../../common/functions.ts';

type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;
type ChangeRecord = StreamRecord<unknown, Change<unknown>>;

/** A table's own store, plain (timestamped) or versioned: Kafka Streams' `KeyValueStoreWrapper`. */
interface TableStore {
  /** The key's latest value. */
  get(key: unknown): ValueAndTimestamp<unknown> | undefined;
  /** Writes a row; returns the `VersionedStore` put code (a plain store always takes it as the latest). */
  put(key: unknown, value: unknown, timestamp: number): number;
}

function tableStore(
  context: ProcessorContext<unknown, unknown>,
  name: string,
  versioned: boolean,
): TableStore {
  if (versioned) {
    const store = context.getStateStore<VersionedKeyValueStore<unknown, unknown>>(name);
    return {
      get: (key) => {
        const latest = store.get(key);
        return latest && { value: latest.value, timestamp: latest.timestamp };
      },
      put: (key, value, timestamp) => store.put(key, value, timestamp),
    };
  }
  const store = context.getStateStore<TimestampedKeyValueStore<unknown, unknown>>(name);
  return {
    get: (key) => store.get(key),
    put: (key, value, timestamp) => {
      store.put(key, value === null ? null : { value, timestamp });
      return VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED;
    },
  };
}

/** Says why a versioned table did not take an update, which is then not forwarded either. */
function warnNotPut(context: ProcessorContext<unknown, unknown>, storeName: string, timestamp: number): void {
  warn(
    context,
    `skipped an update of versioned table ${storeName}: its timestamp ${timestamp} is older than the history retention`,
    { store: storeName, timestamp },
  );
}

/**
 * Turns a stream of upserts into table changes: Kafka Streams' `KTableSource`. Keeps the latest value
 * per key in `storeName` and forwards each update (a delete too, even of a key it never had), with
 * the value it replaced when old values are sent. Records with a null key cannot be a table row and
 * are dropped.
 */
export function tableSourceProcessor(
  storeName: string,
  sendOldValues: boolean,
  versioned = false,
): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: TableStore;
    const processor: Processor<unknown, unknown, unknown, unknown> = {
      init: (c) => {
        context = c;
        store = tableStore(c, storeName, versioned);
      },
      process: (record) => {
        if (record.key === null || record.key === undefined) {
          recordDropped(context, 'null-key', record);
          return;
        }
        const old = store.get(record.key);
        if (old && record.timestamp < old.timestamp)
          warn(
            context,
            `detected out-of-order table update for ${storeName}, old timestamp ${old.timestamp} new timestamp ${record.timestamp}`,
            { store: storeName, oldTimestamp: old.timestamp, newTimestamp: record.timestamp },
          );
        const value = record.value ?? null;
        // A versioned table keeps an out-of-order update in its history and forwards it as not the
        // latest (KIP-914); one older than the history retention it neither keeps nor forwards.
        const code = store.put(record.key, value, record.timestamp);
        if (code === VersionedStore.PUT_RETURN_CODE_NOT_PUT) {
          warnNotPut(context, storeName, record.timestamp);
          return;
        }
        const latest = code === VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED;
        context.forward(
          withValue(record, change(value, sendOldValues ? (old?.value ?? null) : null, latest)),
        );
      },
    };
    return processor;
  };
}

/** Keeps a global table's store in step with its topic; it forwards nothing. */
export function globalTableProcessor(storeName: string): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: TimestampedKeyValueStore<unknown, unknown>;
    return {
      init: (c) => {
        context = c;
        store = c.getStateStore(storeName);
      },
      process: (record) => {
        if (record.key === null || record.key === undefined) {
          recordDropped(context, 'null-key', record);
          return;
        }
        store.put(
          record.key,
          record.value === null || record.value === undefined
            ? null
            : { value: record.value, timestamp: record.timestamp },
        );
      },
    };
  };
}

/**
 * How a derived table (filter, mapValues) handles a change: `compute` maps a present value (null:
 * the row is not in this table). With old values sent, the old value is the table's own previous
 * value (from its store when materialized, else computed from the parent's old value); without, it
 * is null and downstream cannot tell what changed.
 */
interface DerivedTable {
  readonly compute: (key: unknown, value: unknown) => unknown;
  readonly sendOldValues: boolean;
  /**
   * A filter holds back changes that leave nothing (no new and no old value), when it can see old
   * values, unless it reads a versioned table (where such a change may still matter downstream).
   */
  readonly skipEmptyChanges: boolean;
}

/** Where a derived table keeps its rows: its store, versioned or not (undefined: not materialized). */
export interface DerivedTableStore {
  readonly name: string;
  readonly versioned: boolean;
}

function derivedTableProcessor(table: DerivedTable & { store: DerivedTableStore | undefined }): AnySupplier {
  const { compute, store: storeOptions, sendOldValues, skipEmptyChanges } = table;
  const computed = (key: unknown, value: unknown | null) =>
    value === null ? null : (compute(key, value) ?? null);
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: TableStore | undefined;
    const processor: Processor<unknown, Change<unknown>, unknown, unknown> = {
      init: (c) => {
        context = c;
        if (storeOptions) store = tableStore(c, storeOptions.name, storeOptions.versioned);
      },
      process: (record: ChangeRecord) => {
        const newValue = computed(record.key, record.value.newValue);
        const oldValue = !sendOldValues
          ? null
          : store
            ? (store.get(record.key)?.value ?? null)
            : computed(record.key, record.value.oldValue);
        if (skipEmptyChanges && sendOldValues && newValue === null && oldValue === null) return;
        // A materialized table says itself whether the row is its latest; one that is not passes on
        // what its parent said.
        let latest = isLatest(record.value);
        if (store) {
          const code = store.put(record.key, newValue, record.timestamp);
          if (code === VersionedStore.PUT_RETURN_CODE_NOT_PUT) {
            warnNotPut(context, storeOptions!.name, record.timestamp);
            return;
          }
          latest = code === VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED;
        }
        context.forward(withValue(record, change(newValue, oldValue, latest)));
      },
    };
    return processor as Processor<unknown, unknown, unknown, unknown>;
  };
}

/**
 * Kafka Streams' `KTableFilter`. Without old values, a row the predicate rejects is forwarded as a
 * delete, as Kafka Streams does: downstream cannot know whether it was there before.
 */
export function tableFilterProcessor(
  predicate: Fn,
  negate: boolean,
  store: DerivedTableStore | undefined,
  sendOldValues: boolean,
  versionedSemantics = false,
): AnySupplier {
  return derivedTableProcessor({
    compute: (key, value) => (Boolean(predicate(key, value)) !== negate ? value : null),
    store,
    sendOldValues,
    skipEmptyChanges: !versionedSemantics,
  });
}

/** Kafka Streams' `KTableMapValues`: every change is forwarded, a delete of an absent row included. */
export function tableMapValuesProcessor(
  mapper: Fn,
  store: DerivedTableStore | undefined,
  sendOldValues: boolean,
): AnySupplier {
  return derivedTableProcessor({
    compute: (key, value) => mapper(value, key),
    store,
    sendOldValues,
    skipEmptyChanges: false,
  });
}

/** The table's changes as a stream of new values (null for deletes). */
export function tableToStreamProcessor(): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    return {
      init: (c) => {
        context = c;
      },
      process: (record) => context.forward(withValue(record, (record.value as Change<unknown>).newValue)),
    };
  };
}
