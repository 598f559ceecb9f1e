import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, type Change } from '../change.ts';
import { recordDropped } from '../internal-context.ts';
import { withValue, type StreamRecord } from '../record.ts';
import type { TimestampedKeyValueStore } from '../../state/api.ts';
import type { Fn } from '../../topology/ir.ts';

type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;
type ChangeRecord = StreamRecord<unknown, Change<unknown>>;

/**
 * Turns a stream of upserts into table changes: keeps the latest value per key in `storeName` and
 * forwards each update with the value it replaced. Records with a null key cannot be a table row and
 * are dropped, as in Kafka Streams.
 */
export function tableSourceProcessor(storeName: string): AnySupplier {
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
        const value = record.value ?? null;
        store.put(record.key, value === null ? null : { value, timestamp: record.timestamp });
        context.forward(withValue(record, change(value, old?.value ?? null)));
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
 * Applies `compute` to both the new and the old value of each change (so downstream can retract what
 * was there before), optionally materializes the result, and forwards it unless nothing is left.
 */
function tableTransform(
  compute: (key: unknown, value: unknown) => unknown | null,
  storeName: string | undefined,
): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: TimestampedKeyValueStore<unknown, unknown> | undefined;
    const processor: Processor<unknown, Change<unknown>, unknown, unknown> = {
      init: (c) => {
        context = c;
        if (storeName) store = c.getStateStore(storeName);
      },
      process: (record: ChangeRecord) => {
        const newValue = record.value.newValue === null ? null : compute(record.key, record.value.newValue);
        const oldValue = record.value.oldValue === null ? null : compute(record.key, record.value.oldValue);
        if (newValue === null && oldValue === null) return;
        store?.put(record.key, newValue === null ? null : { value: newValue, timestamp: record.timestamp });
        context.forward(withValue(record, change(newValue, oldValue)));
      },
    };
    return processor as Processor<unknown, unknown, unknown, unknown>;
  };
}

export function tableFilterProcessor(
  predicate: Fn,
  negate: boolean,
  storeName: string | undefined,
): AnySupplier {
  return tableTransform(
    (key, value) => (Boolean(predicate(key, value)) !== negate ? value : null),
    storeName,
  );
}

export function tableMapValuesProcessor(mapper: Fn, storeName: string | undefined): AnySupplier {
  return tableTransform((key, value) => mapper(value, key), storeName);
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
