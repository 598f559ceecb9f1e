import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, type Change } from '../change.ts';
import { recordDropped, warn } from '../internal-context.ts';
import { withValue, type StreamRecord } from '../record.ts';
import type { TimestampedKeyValueStore } from '../../state/api.ts';
import type { Fn } from '../../topology/ir.ts';

type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;
type ChangeRecord = StreamRecord<unknown, Change<unknown>>;

/**
 * Turns a stream of upserts into table changes: Kafka Streams' `KTableSource`. Keeps the latest value
 * per key in `storeName` and forwards each update (a delete too, even of a key it never had), with
 * the value it replaced when old values are sent. Records with a null key cannot be a table row and
 * are dropped.
 */
export function tableSourceProcessor(storeName: string, sendOldValues: boolean): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: TimestampedKeyValueStore<unknown, unknown>;
    const processor: Processor<unknown, unknown, unknown, unknown> = {
      init: (c) => {
        context = c;
        store = c.getStateStore(storeName);
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
        store.put(record.key, value === null ? null : { value, timestamp: record.timestamp });
        context.forward(withValue(record, change(value, sendOldValues ? (old?.value ?? null) : null)));
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
  readonly storeName: string | undefined;
  readonly sendOldValues: boolean;
  /** A filter holds back changes that leave nothing (no new and no old value), when it can see old values. */
  readonly skipEmptyChanges: boolean;
}

function derivedTableProcessor(table: DerivedTable): AnySupplier {
  const { compute, storeName, sendOldValues, skipEmptyChanges } = table;
  const computed = (key: unknown, value: unknown | null) =>
    value === null ? null : (compute(key, value) ?? null);
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: TimestampedKeyValueStore<unknown, unknown> | undefined;
    const processor: Processor<unknown, Change<unknown>, unknown, unknown> = {
      init: (c) => {
        context = c;
        if (storeName) store = c.getStateStore(storeName);
      },
      process: (record: ChangeRecord) => {
        const newValue = computed(record.key, record.value.newValue);
        const oldValue = !sendOldValues
          ? null
          : store
            ? (store.get(record.key)?.value ?? null)
            : computed(record.key, record.value.oldValue);
        if (skipEmptyChanges && sendOldValues && newValue === null && oldValue === null) return;
        store?.put(record.key, newValue === null ? null : { value: newValue, timestamp: record.timestamp });
        context.forward(withValue(record, change(newValue, oldValue)));
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
  storeName: string | undefined,
  sendOldValues: boolean,
): AnySupplier {
  return derivedTableProcessor({
    compute: (key, value) => (Boolean(predicate(key, value)) !== negate ? value : null),
    storeName,
    sendOldValues,
    skipEmptyChanges: true,
  });
}

/** Kafka Streams' `KTableMapValues`: every change is forwarded, a delete of an absent row included. */
export function tableMapValuesProcessor(
  mapper: Fn,
  storeName: string | undefined,
  sendOldValues: boolean,
): AnySupplier {
  return derivedTableProcessor({
    compute: (key, value) => mapper(value, key),
    storeName,
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
