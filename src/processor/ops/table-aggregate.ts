import { ProcessingError } from '../../errors.ts';
import type { Serde } from '../../serde/serde.ts';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, isLatest, type Change } from '../change.ts';
import { withKeyValue, withTimestamp, withValue, type KeyValue } from '../record.ts';
import { isNullish } from './aggregate.ts';
import type { TableAggregation } from './aggregation-functions.ts';
import { tableForwarder, type TableForwarder } from './table-forwarder.ts';
import { tableStore, type TableStore } from './table-store.ts';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The first half of a table's `groupBy`: maps the new and the old value of each change to their groups.
 * When both land in the same group, one change carries both (the aggregate then subtracts and adds in
 * one step, so it never shows an intermediate result); otherwise the old value goes to its group as a
 * retraction first, then the new value to its group. Pairs whose selected key or value is null are
 * left out. Keys are compared by their serialized bytes, as the repartition topic would see them.
 */
export function tableGroupByProcessor<K, V, KR, VR>(
  name: string,
  selector: (key: K, value: V) => KeyValue<KR, VR> | null | undefined,
  keySerde: Serde<KR>,
  versionedSemantics = false,
): ProcessorSupplier<K, Change<V>, KR, Change<VR>> {
  return () => {
    let context: ProcessorContext<KR, Change<VR>>;
    const select = (key: K, value: V | null): KeyValue<KR, VR> | undefined => {
      if (value === null) return undefined;
      const pair = selector(key, value);
      return pair && !isNullish(pair.key) && !isNullish(pair.value) ? pair : undefined;
    };
    const processor: Processor<K, Change<V>, KR, Change<VR>> = {
      init: (c) => {
        context = c;
      },
      process: (record) => {
        if (isNullish(record.key))
          throw new ProcessingError(name, `${name}: a table row has a null key, which cannot be grouped`);
        // An aggregate of a versioned table takes only its latest versions (KIP-914).
        if (versionedSemantics && !isLatest(record.value)) return;
        const newPair = select(record.key, record.value.newValue);
        const oldPair = select(record.key, record.value.oldValue);
        if (
          newPair &&
          oldPair &&
          sameBytes(keySerde.serialize(newPair.key), keySerde.serialize(oldPair.key))
        ) {
          context.forward(withKeyValue(record, newPair.key, change(newPair.value, oldPair.value)));
          return;
        }
        if (oldPair) context.forward(withKeyValue(record, oldPair.key, change(null, oldPair.value)));
        if (newPair) context.forward(withKeyValue(record, newPair.key, change(newPair.value, null)));
      },
    };
    return processor;
  };
}

/**
 * The second half of a table's `groupBy`: Kafka Streams' `KTableAggregate`/`KTableReduce`. Keeps one
 * aggregate per group, subtracting each change's old value and then adding its new one; a result of
 * null deletes the group's row. Every change is forwarded (with the aggregate it replaced, when old
 * values are sent), also one that leaves an empty group empty. The result's timestamp is the
 * record's, or the later of the record's and the stored aggregate's once the aggregate is touched.
 */
export function tableAggregateProcessor<K, V, VA>(
  name: string,
  storeName: string,
  aggregation: TableAggregation<K, V, VA>,
  sendOldValues: boolean,
  versioned = false,
): ProcessorSupplier<K, Change<V>, K, Change<VA>> {
  return () => {
    let store: TableStore<K, VA>;
    let forwarder: TableForwarder<K, VA>;
    const processor: Processor<K, Change<V>, K, Change<VA>> = {
      init: (c) => {
        store = tableStore(c, storeName, versioned);
        forwarder = tableForwarder(c, c.getStateStore(storeName), sendOldValues);
      },
      process: (record) => {
        if (isNullish(record.key))
          throw new ProcessingError(name, `${name}: a grouped table record has a null key`);
        const old = store.get(record.key);
        const oldAggregate = old?.value ?? null;
        const { newValue, oldValue } = record.value;
        let timestamp = record.timestamp;
        let aggregate = oldAggregate;
        if (old && oldValue !== null && oldAggregate !== null) {
          aggregate = aggregation.subtractor(record.key, oldValue, oldAggregate) ?? null;
          timestamp = Math.max(record.timestamp, old.timestamp);
        }
        if (newValue !== null) {
          const base = aggregate ?? aggregation.initializer();
          aggregate = aggregation.aggregator(record.key, newValue, base) ?? null;
          if (old) timestamp = Math.max(record.timestamp, old.timestamp);
        }
        // A versioned result store may refuse the aggregate (older than its history retention):
        // Kafka Streams then forwards nothing either.
        const written = store.put(record.key, aggregate, timestamp);
        if (written === 'refused') return;
        const previous = sendOldValues ? oldAggregate : null;
        const updated = withValue(record, change(aggregate, previous, written === 'latest'));
        forwarder.maybeForward(withTimestamp(updated, timestamp));
      },
    };
    return processor;
  };
}
