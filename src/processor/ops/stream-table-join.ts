import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { recordDropped } from '../internal-context.ts';
import { withValue, type StreamRecord } from '../record.ts';
import type { Serde } from '../../serde/serde.ts';
import type { KeyValueStore } from '../../state/api.ts';
import type { TableValueGetter, TableValueGetterSupplier } from './value-getter.ts';
import { absent, type JoinerFn } from './join-common.ts';
import { JoinGraceBuffer } from './join-grace-buffer.ts';

export interface LookupJoinOptions<K, V, KT, VT, VR> {
  readonly joinType: 'inner' | 'left';
  /** Reads the table side: a (possibly derived) table's getter, or a global table's store. */
  readonly getter: TableValueGetterSupplier<KT, VT>;
  /** The key to look up for a stream record: the record's own key for tables, a selector for global tables. */
  readonly lookupKey: (key: K, value: V) => KT | null | undefined;
  /** A left join's table value is null when the table has none. */
  readonly joiner: JoinerFn<V, VT | null, K, VR>;
  /**
   * With a versioned table and a grace period (KIP-914): the store holding stream records back until
   * stream time has passed their timestamp by `graceMs`, with the stream's serdes.
   */
  readonly buffer?: {
    readonly storeName: string;
    readonly graceMs: number;
    readonly keySerde: Serde<K>;
    readonly valueSerde: Serde<V>;
  };
}

/**
 * A stream record joined with the current value of a table: only stream records trigger output, table
 * updates merely change what later stream records see. The result keeps the stream record's key and
 * timestamp.
 *
 * Records with a null value are dropped (a null value is "no record", and a left join's null argument
 * would be ambiguous), and so are records whose lookup key is null, as Kafka Streams'
 * `KStreamKTableJoinProcessor` does. The one exception: a left join emits a record whose own key is
 * null joined with the table's value for its lookup key, or with null when there is none.
 *
 * A versioned table is read as of the stream record's timestamp (KIP-914). With a grace period, stream
 * records wait in a buffer and are joined in timestamp order once stream time has passed them by the
 * grace period, so that table updates up to that late are seen; a record already that late is joined
 * at once.
 */
export function lookupJoinProcessor<K, V, KT, VT, VR>(
  options: LookupJoinOptions<K, V, KT, VT, VR>,
): ProcessorSupplier<K, V, K, VR> {
  const { joinType, getter: getterSupplier, lookupKey, joiner } = options;
  return () => {
    let context: ProcessorContext<K, VR>;
    let getter: TableValueGetter<KT, VT>;
    let buffer: JoinGraceBuffer<K, V> | undefined;
    const join = (record: StreamRecord<K, V>, key: KT | null | undefined) => {
      const match = absent(key)
        ? undefined
        : getter.getAsOf
          ? getter.getAsOf(key, record.timestamp)
          : getter.get(key);
      const tableValue = match === undefined || absent(match.value) ? null : match.value;
      if (tableValue === null && joinType === 'inner') return;
      context.forward(withValue(record, joiner(record.value, tableValue, record.key)));
    };
    const processor: Processor<K, V, K, VR> = {
      init: (c) => {
        context = c;
        getter = getterSupplier.get();
        getter.init(c);
        if (options.buffer)
          buffer = new JoinGraceBuffer({
            ...options.buffer,
            store: c.getStateStore<KeyValueStore<Uint8Array, Uint8Array>>(options.buffer.storeName),
          });
      },
      process: (record) => {
        if (absent(record.value)) {
          recordDropped(context, 'null-join-key-or-value', record);
          return;
        }
        const key = lookupKey(record.key, record.value);
        if (absent(key) && !(joinType === 'left' && absent(record.key))) {
          recordDropped(context, 'null-join-key-or-value', record);
          return;
        }
        // A record without a key of its own (a left join's) cannot be buffered by key: it is joined now.
        if (!buffer || absent(record.key) || !buffer.put(record)) {
          join(record, key);
          return;
        }
        for (const waited of buffer.evict()) join(waited, lookupKey(waited.key, waited.value));
      },
      close: () => getter.close?.(),
    };
    return processor;
  };
}
