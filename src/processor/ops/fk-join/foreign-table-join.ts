import type { Processor, ProcessorContext, ProcessorSupplier } from '../../api.ts';
import { isLatest, type Change } from '../../change.ts';
import { recordDropped } from '../../internal-context.ts';
import { withKeyValue } from '../../record.ts';
import type { Serde } from '../../../serde/serde.ts';
import type { TimestampedKeyValueStore } from '../../../state/api.ts';
import { absent } from '../join-common.ts';
import type { CombinedKey, Subscription, SubscriptionResponse } from './wrappers.ts';

/**
 * A change of a right row fans out to every left row subscribed to its key (one prefix scan of the
 * subscription store): each gets the new value, or null when the row was deleted, together with the
 * hash its own subscription carried. A right row without a key is dropped and counted.
 */
export function foreignTableJoinProcessor<KO, VO, K>(options: {
  readonly storeName: string;
  /** Serializes a foreign key as the prefix of the subscription store's keys. */
  readonly prefixSerde: Serde<KO>;
  /** The right table is versioned: its out-of-order updates are skipped (KIP-914). */
  readonly versionedSemantics?: boolean;
}): ProcessorSupplier<KO, Change<VO>, K, SubscriptionResponse<VO>> {
  return () => {
    let context: ProcessorContext<K, SubscriptionResponse<VO>>;
    let store: TimestampedKeyValueStore<CombinedKey<KO, K>, Subscription<K>>;
    const processor: Processor<KO, Change<VO>, K, SubscriptionResponse<VO>> = {
      init: (c) => {
        context = c;
        store = c.getStateStore(options.storeName);
      },
      process: (record) => {
        if (absent(record.key)) {
          recordDropped(context, 'null-key', record);
          return;
        }
        if (options.versionedSemantics && !isLatest(record.value)) {
          recordDropped(context, 'out-of-order-version', record);
          return;
        }
        const { newValue, oldValue } = record.value;
        if (absent(newValue) && absent(oldValue)) return;
        for (const { key, value } of store.prefixScan(record.key, options.prefixSerde)) {
          const response: SubscriptionResponse<VO> = {
            hash: value.value.hash,
            foreignValue: absent(newValue) ? null : newValue,
            primaryPartition: value.value.primaryPartition,
          };
          context.forward(withKeyValue(record, key.primaryKey, response));
        }
      },
    };
    return processor;
  };
}
