import type { ProcessorContext } from '../api.ts';
import { warn } from '../internal-context.ts';
import {
  VersionedStore,
  type TimestampedKeyValueStore,
  type ValueAndTimestamp,
  type VersionedKeyValueStore,
} from '../../state/api.ts';

/** A table's own store, plain (timestamped) or versioned: Kafka Streams' `KeyValueStoreWrapper`. */
export interface TableStore {
  /** The key's latest value. */
  get(key: unknown): ValueAndTimestamp<unknown> | undefined;
  /** Writes a row; returns the `VersionedStore` put code (a plain store always takes it as the latest). */
  put(key: unknown, value: unknown, timestamp: number): number;
}

export function tableStore(
  context: ProcessorContext<unknown, unknown>,
  name: string,
  versioned: boolean,
): TableStore {
  if (versioned) {
    const store = context.getStateStore<VersionedKeyValueStore<unknown, unknown>>(name);
    return {
      get: (key) => {
        const latest = store.get(key);
        return latest && { value: latest.value, timestamp: latest.timestamp };
      },
      put: (key, value, timestamp) => store.put(key, value, timestamp),
    };
  }
  const store = context.getStateStore<TimestampedKeyValueStore<unknown, unknown>>(name);
  return {
    get: (key) => store.get(key),
    put: (key, value, timestamp) => {
      store.put(key, value === null ? null : { value, timestamp });
      return VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED;
    },
  };
}

/** Says why a versioned table did not take an update, which is then not forwarded either. */
export function warnNotPut(
  context: ProcessorContext<unknown, unknown>,
  storeName: string,
  timestamp: number,
): void {
  warn(
    context,
    `skipped an update of versioned table ${storeName}: its timestamp ${timestamp} is older than the history retention`,
    { store: storeName, timestamp },
  );
}
