import type { Processor, ProcessorContext, ProcessorSupplier } from '../../api.ts';
import { recordDropped } from '../../internal-context.ts';
import { withValue } from '../../record.ts';
import type { Serde, SerdeContext } from '../../../serde/serde.ts';
import type { TableValueGetter, TableValueGetterSupplier } from '../value-getter.ts';
import { absent } from '../join-common.ts';
import { hashOf, sameHash } from './value-hash.ts';
import type { SubscriptionResponse } from './wrappers.ts';

/**
 * Back on the left side: an answer counts only if it was asked for by the row's current value (same
 * hash); older answers are stale and dropped. It then emits the joined value, or a tombstone when the
 * row is gone or, for an inner join, has no foreign row. A response without key or value (never sent
 * by the join itself) is dropped and counted; stale answers are expected and not counted.
 */
export function responseJoinProcessor<K, V, VO, VR>(options: {
  readonly leftJoin: boolean;
  readonly leftGetter: TableValueGetterSupplier<K, V>;
  readonly valueSerde: Serde<V>;
  readonly valueContext: SerdeContext;
  /** (leftValue, rightValue) => result; a left join's right value is null without a foreign row. */
  readonly joiner: (value: V, foreignValue: VO | null) => VR;
}): ProcessorSupplier<K, SubscriptionResponse<VO>, K, VR | null> {
  const { leftJoin, valueSerde, valueContext, joiner } = options;
  return () => {
    let context: ProcessorContext<K, VR | null>;
    let left: TableValueGetter<K, V>;
    const processor: Processor<K, SubscriptionResponse<VO>, K, VR | null> = {
      init: (c) => {
        context = c;
        left = options.leftGetter.get();
        left.init(c);
      },
      process: (record) => {
        if (absent(record.key) || absent(record.value)) {
          recordDropped(context, 'null-join-key-or-value', record);
          return;
        }
        const current = left.get(record.key);
        const currentValue = current === undefined || absent(current.value) ? null : current.value;
        if (!sameHash(record.value.hash, hashOf(currentValue, valueSerde, valueContext))) return;
        const foreignValue = record.value.foreignValue;
        const result =
          currentValue === null || (absent(foreignValue) && !leftJoin)
            ? null
            : joiner(currentValue, absent(foreignValue) ? null : foreignValue);
        context.forward(withValue(record, result));
      },
      close: () => left.close?.(),
    };
    return processor;
  };
}
