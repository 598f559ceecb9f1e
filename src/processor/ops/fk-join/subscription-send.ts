import type { Processor, ProcessorContext, ProcessorSupplier } from '../../api.ts';
import { isLatest, type Change } from '../../change.ts';
import { recordDropped } from '../../internal-context.ts';
import { withKeyValue } from '../../record.ts';
import type { Serde, SerdeContext } from '../../../serde/serde.ts';
import { absent } from '../join-common.ts';
import { hashOf, sameHash } from './value-hash.ts';
import type { Subscription, SubscriptionInstruction, SubscriptionResponse } from './wrappers.ts';

export interface SubscriptionSendOptions<V, KO> {
  readonly leftJoin: boolean;
  readonly foreignKeyExtractor: (value: V) => KO | null | undefined;
  readonly foreignKeySerde: Serde<KO>;
  readonly foreignKeyContext: SerdeContext;
  /** Serializes left values for their hash. */
  readonly valueSerde: Serde<V>;
  readonly valueContext: SerdeContext;
  /** The sink writing to the subscription topic. */
  readonly sinkName: string;
  /** The response resolver: results known without asking the right side go straight to it. */
  readonly resolverName: string;
  /** The left table is versioned: its out-of-order updates are skipped (KIP-914). */
  readonly versionedSemantics?: boolean;
}

/**
 * The left side of a foreign-key join: turns each change of a left row into subscriptions keyed by
 * foreign key. A row whose foreign key changes unsubscribes from the old key. When the result is known
 * without the right side (the row was deleted, or its foreign key is null) it goes straight to the
 * resolver: a tombstone, or for a left join the row joined with null.
 *
 * Dropped and counted: rows without a key, and for an inner join rows whose foreign key is null (they
 * can never join; a result they had before is still withdrawn).
 */
/**
 * Forwards subscriptions (keyed by foreign key) to the subscription sink, and results known without
 * the right side (keyed by the row's key) to the resolver.
 */
export function subscriptionSendProcessor<K, V, KO>(
  options: SubscriptionSendOptions<V, KO>,
): ProcessorSupplier<K, Change<V>, KO | K, Subscription<K> | SubscriptionResponse<never>> {
  const { leftJoin, foreignKeyExtractor, foreignKeySerde, foreignKeyContext } = options;
  const sameKey = (a: KO, b: KO) =>
    sameHash(
      foreignKeySerde.serialize(a, foreignKeyContext),
      foreignKeySerde.serialize(b, foreignKeyContext),
    );
  return () => {
    let context: ProcessorContext<KO | K, Subscription<K> | SubscriptionResponse<never>>;
    const processor: Processor<K, Change<V>, KO | K, Subscription<K> | SubscriptionResponse<never>> = {
      init: (c) => {
        context = c;
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
        const oldKey = absent(oldValue) ? null : foreignKeyExtractor(oldValue);
        const newKey = absent(newValue) ? null : foreignKeyExtractor(newValue);
        if (!leftJoin && !absent(newValue) && absent(newKey))
          recordDropped(context, 'null-join-key-or-value', record);
        const wasSubscribed = !absent(oldKey);
        const subscribes = !absent(newKey);
        const keyUnchanged = wasSubscribed && subscribes && sameKey(oldKey, newKey);
        const hash = hashOf(newValue, options.valueSerde, options.valueContext);
        const partition = context.taskId.partition;
        const send = (foreignKey: KO, instruction: SubscriptionInstruction) => {
          const subscription: Subscription<K> = {
            hash,
            instruction,
            primaryKey: record.key,
            primaryPartition: partition,
          };
          context.forward(withKeyValue(record, foreignKey, subscription), options.sinkName);
        };

        if (wasSubscribed && !keyUnchanged) send(oldKey, 'unsubscribe');
        if (subscribes) {
          // An inner join must hear back even without a match when the row moved away from a key that
          // may have joined: its old result has to be withdrawn.
          const mayHaveJoined = wasSubscribed && !keyUnchanged;
          send(newKey, leftJoin || mayHaveJoined ? 'respond-always' : 'respond-if-match');
          return;
        }
        // No foreign row to ask for: the row is gone, or its foreign key is null.
        const hadResult = leftJoin ? !absent(oldValue) : wasSubscribed;
        const hasResult = leftJoin && !absent(newValue);
        if (!hadResult && !hasResult) return;
        const response: SubscriptionResponse<never> = {
          hash,
          foreignValue: null,
          primaryPartition: partition,
        };
        context.forward(withKeyValue(record, record.key, response), options.resolverName);
      },
    };
    return processor;
  };
}
