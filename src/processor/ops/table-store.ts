import type { ProcessorContext } from '../api.ts';
import { warn } from '../internal-context.ts';
import {
  VersionedStore,
  type TimestampedKeyValueStore,
  type ValueAndTimestamp,
  type VersionedKeyValueStore,
} from '../../state/api.ts';

/**
 * What writing a row did: it is now the key's latest, it went into the key's history (a versioned
 * store, older than the latest), or it was refused (a versioned store, older than its history
 * retention; the table then forwards nothing either, as Kafka Streams does).
 */
export type TableWrite = 'latest' | 'history' | 'refused';

/** A table's own store, plain (timestamped) or versioned: Kafka Streams' `KeyValueStoreWrapper`. */
export interface TableStore<K = unknown, V = unknown> {
  /** The key's latest value. */
  get(key: K): ValueAndTimestamp<V> | undefined;
  /** Writes a row (null: a delete); a plain store always takes it as the latest. */
  put(key: K, value: V | null, timestamp: number): TableWrite;
}

export function tableStore<K = unknown, V = unknown>(
  context: ProcessorContext<unknown, unknown>,
  name: string,
  versioned: boolean,
): TableStore<K, V> {
  if (versioned) {
    const store = context.getStateStore<VersionedKeyValueStore<K, V>>(name);
    return {
      get: (key) => {
        const latest = store.get(key);
        return latest && { value: latest.value, timestamp: latest.timestamp };
      },
      put: (key, value, timestamp) => {
        const code = store.put(key, value, timestamp);
        if (code !== VersionedStore.PUT_RETURN_CODE_NOT_PUT)
          return code === VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED ? 'latest' : 'history';
        warn(
          context,
          `skipped an update of versioned table ${name}: its timestamp ${timestamp} is older than the history retention`,
          { store: name, timestamp },
        );
        return 'refused';
      },
    };
  }
  const store = context.getStateStore<TimestampedKeyValueStore<K, V>>(name);
  return {
    get: (key) => store.get(key),
    put: (key, value, timestamp) => {
      store.put(key, value === null ? null : { value, timestamp });
      return 'latest';
    },
  };
}
