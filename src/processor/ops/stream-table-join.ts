import type { Processor, ProcessorContext } from '../api.ts';
import { recordDropped } from '../internal-context.ts';
import { withValue } from '../record.ts';
import type { TableValueGetter, TableValueGetterSupplier } from './value-getter.ts';
import { absent, type AnySupplier, type JoinerFn } from './join-common.ts';

export interface LookupJoinOptions {
  readonly joinType: 'inner' | 'left';
  /** Reads the table side: a (possibly derived) table's getter, or a global table's store. */
  readonly getter: TableValueGetterSupplier<unknown, unknown>;
  /** The key to look up for a stream record: the record's own key for tables, a selector for global tables. */
  readonly lookupKey: (key: unknown, value: unknown) => unknown;
  readonly joiner: JoinerFn;
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
 */
export function lookupJoinProcessor(options: LookupJoinOptions): AnySupplier {
  const { joinType, getter: getterSupplier, lookupKey, joiner } = options;
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let getter: TableValueGetter<unknown, unknown>;
    const processor: Processor<unknown, unknown, unknown, unknown> = {
      init: (c) => {
        context = c;
        getter = getterSupplier.get();
        getter.init(c);
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
        const match = absent(key) ? undefined : getter.get(key);
        const tableValue = match === undefined || absent(match.value) ? null : match.value;
        if (tableValue === null && joinType === 'inner') return;
        context.forward(withValue(record, joiner(record.value, tableValue, record.key)));
      },
    };
    return processor;
  };
}
