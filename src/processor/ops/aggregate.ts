import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change } from '../change.ts';
import { recordDropped } from '../internal-context.ts';
import { withTimestamp, withValue } from '../record.ts';
import type { TimestampedKeyValueStore } from '../../state/api.ts';
import type { Aggregation } from './aggregation-functions.ts';

type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;

export function isNullish(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/**
 * Aggregates a grouped stream into a table (count, reduce, aggregate): reads the key's aggregate from
 * `storeName`, folds the record in, writes the result back and forwards it as a change with the
 * aggregate it replaced. Records with a null key or value cannot be grouped and are dropped (and
 * counted). The
 * result carries the latest timestamp that went into it (record or stored, whichever is larger).
 */
export function streamAggregateProcessor(
  storeName: string,
  aggregation: Aggregation<unknown, unknown, unknown>,
): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: TimestampedKeyValueStore<unknown, unknown>;
    const processor: Processor<unknown, unknown, unknown, unknown> = {
      init: (c) => {
        context = c;
        store = c.getStateStore(storeName);
      },
      process: (record) => {
        if (isNullish(record.key) || isNullish(record.value)) {
          recordDropped(context, 'null-key-or-value', record);
          return;
        }
        const old = store.get(record.key);
        const oldAggregate = old?.value ?? null;
        const timestamp = old ? Math.max(record.timestamp, old.timestamp) : record.timestamp;
        const start = oldAggregate ?? aggregation.initializer();
        const newAggregate = aggregation.aggregator(record.key, record.value, start) ?? null;
        store.put(record.key, newAggregate === null ? null : { value: newAggregate, timestamp });
        context.forward(withTimestamp(withValue(record, change(newAggregate, oldAggregate)), timestamp));
      },
    };
    return processor;
  };
}
