import type { ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, type Change } from '../change.ts';
import { recordDropped } from '../internal-context.ts';
import { withTimestamp, withValue, type StreamRecord } from '../record.ts';
import type { StateStore, ValueAndTimestamp } from '../../state/api.ts';
import type { Aggregation } from './aggregation-functions.ts';
import { tableForwarder } from './table-forwarder.ts';
import { tableStore } from './table-store.ts';

export function isNullish(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/**
 * Which records an aggregation cannot take. Kafka Streams' plain and sliding-window aggregations skip
 * records with a null key or value; its time- and session-window aggregations skip only a null key
 * and hand a null value to the aggregator (a count counts it).
 */
export type SkippedRecords = 'null-key' | 'null-key-or-value';

/**
 * What every aggregation of a grouped stream (plain, windowed, session, sliding) does around its own
 * logic: it opens its store when the task starts, and drops (and counts) the records it cannot take.
 * `create` runs once per task and returns the record handler.
 */
export function groupedStreamProcessor<S extends StateStore, K, V, KOut, VOut>(
  storeName: string,
  create: (context: ProcessorContext<KOut, VOut>, store: S) => (record: StreamRecord<K, V>) => void,
  skipped: SkippedRecords = 'null-key-or-value',
): ProcessorSupplier<K, V, KOut, VOut> {
  return () => {
    let context: ProcessorContext<KOut, VOut>;
    let aggregate: (record: StreamRecord<K, V>) => void;
    return {
      init: (c) => {
        context = c;
        aggregate = create(c, c.getStateStore<S>(storeName));
      },
      process: (record) => {
        if (isNullish(record.key) || (skipped === 'null-key-or-value' && isNullish(record.value))) {
          recordDropped(context, skipped, record);
          return;
        }
        aggregate(record);
      },
    };
  };
}

/**
 * Folds a record into an aggregate that carries the latest timestamp that went into it (record or
 * stored, whichever is larger): into `stored` when there is one, otherwise into `start` (by default
 * the initializer's). A null value means the aggregator returned nothing: the aggregate is deleted.
 * `base` is what the record was folded into: Kafka Streams forwards it as the old value (so a new
 * aggregate's old value is the initializer's, not null), when old values are sent.
 */
export function foldRecord<K, V, VA>(
  aggregation: Aggregation<K, V, VA>,
  record: StreamRecord<K, V>,
  stored: ValueAndTimestamp<VA | null> | undefined,
  start?: VA | null,
): ValueAndTimestamp<VA | null> & { readonly base: VA | null } {
  const base = stored ? stored.value : start === undefined ? aggregation.initializer() : start;
  return {
    value: aggregation.aggregator(record.key, record.value, base) ?? null,
    timestamp: stored ? Math.max(record.timestamp, stored.timestamp) : record.timestamp,
    base: base ?? null,
  };
}

/**
 * Aggregates a grouped stream into a table (count, reduce, aggregate): Kafka Streams'
 * `KStreamAggregate`/`KStreamReduce`. Reads the key's aggregate from `storeName`, folds the record in,
 * writes the result back and forwards it as a change; the old value, when old values are sent, is the
 * aggregate the record was folded into.
 */
export function streamAggregateProcessor<K, V, VA>(
  storeName: string,
  aggregation: Aggregation<K, V, VA>,
  sendOldValues: boolean,
  versioned = false,
): ProcessorSupplier<K, V, K, Change<VA>> {
  return groupedStreamProcessor<StateStore, K, V, K, Change<VA>>(storeName, (context, ownStore) => {
    const store = tableStore<K, VA>(context, storeName, versioned);
    const forwarder = tableForwarder<K, VA>(context, ownStore, sendOldValues);
    return (record) => {
      const aggregate = foldRecord(aggregation, record, store.get(record.key));
      const { value, timestamp } = aggregate;
      // A versioned result store refuses an aggregate older than its history retention (a new key's
      // first record, late): Kafka Streams then forwards nothing either.
      const written = store.put(record.key, value, timestamp);
      if (written === 'refused') return;
      const base = sendOldValues ? aggregate.base : null;
      const updated = withValue(record, change(value, base, written === 'latest'));
      forwarder.maybeForward(withTimestamp(updated, timestamp));
    };
  });
}
