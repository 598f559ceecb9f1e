import type { Processor, ProcessorContext } from '../../api.ts';
import { recordDropped } from '../../internal-context.ts';
import { withValue, type StreamRecord } from '../../record.ts';
import type { Serde, SerdeContext } from '../../../serde/serde.ts';
import type { TableValueGetter, TableValueGetterSupplier } from '../value-getter.ts';
import { absent, type AnySupplier } from '../join-common.ts';
import { hashOf, sameHash } from './value-hash.ts';
import type { SubscriptionResponse } from './wrappers.ts';

/**
 * Back on the left side: an answer counts only if it was asked for by the row's current value (same
 * hash); older answers are stale and dropped. It then emits the joined value, or a tombstone when the
 * row is gone or, for an inner join, has no foreign row. A response without key or value (never sent
 * by the join itself) is dropped and counted; stale answers are expected and not counted.
 */
export function responseJoinProcessor(options: {
  readonly leftJoin: boolean;
  readonly leftGetter: TableValueGetterSupplier<unknown, unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly valueContext: SerdeContext;
  /** (leftValue, rightValue) => result */
  readonly joiner: (value: unknown, foreignValue: unknown) => unknown;
}): AnySupplier {
  const { leftJoin, valueSerde, valueContext, joiner } = options;
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let left: TableValueGetter<unknown, unknown>;
    const processor: Processor<unknown, SubscriptionResponse<unknown>, unknown, unknown> = {
      init: (c) => {
        context = c;
        left = options.leftGetter.get();
        left.init(c);
      },
      process: (record: StreamRecord<unknown, SubscriptionResponse<unknown>>) => {
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
