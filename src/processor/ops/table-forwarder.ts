import type { ProcessorContext } from '../api.ts';
import { change, type Change } from '../change.ts';
import type { StreamRecord } from '../record.ts';
import { isCachedStore, type StateStore, type ValueAndTimestamp } from '../../state/api.ts';

/**
 * How a table or aggregation hands on its updates: Kafka Streams' `TimestampedTupleForwarder`. Over a
 * plain store every update is forwarded at once. Over a caching store nothing is forwarded while
 * processing; the cache's flush forwards each key's latest value once, with the value the store held
 * before the cache took the key as old value (when old values are sent), stamped with the value's own
 * timestamp (a delete: its record's) and the headers of the record that last wrote it.
 */
export interface TableForwarder<K = unknown, V = unknown> {
  maybeForward(record: StreamRecord<K, Change<V>>): void;
}

export function tableForwarder<K = unknown, V = unknown>(
  context: ProcessorContext<K, Change<V>>,
  store: StateStore,
  sendOldValues: boolean,
): TableForwarder<K, V> {
  if (!isCachedStore<K, ValueAndTimestamp<V>>(store))
    return { maybeForward: (record) => context.forward(record) };
  store.setFlushListener(({ newValue, oldValue, ...flushed }) => {
    context.forward({
      key: flushed.key,
      value: change(newValue?.value ?? null, oldValue?.value ?? null),
      timestamp: newValue ? newValue.timestamp : flushed.timestamp,
      headers: flushed.headers,
    });
  }, sendOldValues);
  return { maybeForward: () => undefined };
}
