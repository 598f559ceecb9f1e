import type { Processor, ProcessorContext, ProcessorSupplier } from '../../api.ts';
import { recordDropped } from '../../internal-context.ts';
import { withKeyValue } from '../../record.ts';
import type { TimestampedKeyValueStore } from '../../../state/api.ts';
import type { TableValueGetter, TableValueGetterSupplier } from '../value-getter.ts';
import { absent } from '../join-common.ts';
import type { CombinedKey, Subscription, SubscriptionResponse } from './wrappers.ts';

/**
 * The right side receiving subscriptions (keyed by foreign key): it records who subscribed in the
 * subscription store, so later changes of the foreign row reach them, and answers with the foreign
 * row's current value, keyed by the left row's key. A subscription without a foreign key or without a
 * value (the left side never sends one) is dropped and counted.
 */
export function subscriptionReceiveProcessor<KO, VO, K>(options: {
  readonly storeName: string;
  readonly foreignGetter: TableValueGetterSupplier<KO, VO>;
}): ProcessorSupplier<KO, Subscription<K>, K, SubscriptionResponse<VO>> {
  return () => {
    let context: ProcessorContext<K, SubscriptionResponse<VO>>;
    let store: TimestampedKeyValueStore<CombinedKey<KO, K>, Subscription<K>>;
    let foreign: TableValueGetter<KO, VO>;
    const processor: Processor<KO, Subscription<K>, K, SubscriptionResponse<VO>> = {
      init: (c) => {
        context = c;
        store = c.getStateStore(options.storeName);
        foreign = options.foreignGetter.get();
        foreign.init(c);
      },
      process: (record) => {
        const subscription = record.value;
        if (absent(record.key) || absent(subscription)) {
          recordDropped(context, 'null-join-key-or-value', record);
          return;
        }
        const key = { foreignKey: record.key, primaryKey: subscription.primaryKey };
        if (subscription.instruction === 'unsubscribe') {
          store.delete(key);
          return;
        }
        store.put(key, { value: subscription, timestamp: record.timestamp });
        const row = foreign.get(record.key);
        const found = row !== undefined && !absent(row.value);
        if (!found && subscription.instruction === 'respond-if-match') return;
        const response: SubscriptionResponse<VO> = {
          hash: subscription.hash,
          foreignValue: found ? row.value : null,
          primaryPartition: subscription.primaryPartition,
        };
        context.forward({
          ...withKeyValue(record, subscription.primaryKey, response),
          timestamp: found ? Math.max(record.timestamp, row.timestamp) : record.timestamp,
        });
      },
      close: () => foreign.close?.(),
    };
    return processor;
  };
}
