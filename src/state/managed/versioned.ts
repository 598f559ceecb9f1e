import type { VersionedKeyValueStoreSpec } from '../api.ts';
import { toBinaryKey, type KeyValueBytesStore } from '../bytes.ts';
import { NO_PENDING_CHANGES, type ChangeLogger } from '../change-logger.ts';
import type { ManagedStore } from '../managed-store.ts';
import { TypedVersionedKeyValueStore } from '../typed/versioned-store.ts';

/** A versioned key-value store over a bytes store; its changelog records are its rows (a key's versions). */
export function managedVersionedStore(
  spec: VersionedKeyValueStoreSpec,
  bytes: KeyValueBytesStore,
  logger: ChangeLogger | undefined,
): ManagedStore {
  const store = new TypedVersionedKeyValueStore({
    name: spec.name,
    bytes,
    keySerde: spec.keySerde,
    valueSerde: spec.valueSerde,
    historyRetentionMs: spec.historyRetentionMs,
    logger,
  });
  return {
    spec,
    store,
    get checkpoint() {
      return bytes.checkpoint;
    },
    get pendingChanges() {
      return logger?.backlog ?? NO_PENDING_CHANGES;
    },
    drainChangelog: () => logger?.drain() ?? [],
    restore: (records) => {
      for (const record of records) {
        const row = record.value ?? undefined;
        bytes.put(toBinaryKey(record.key), row);
        store.restored(row);
      }
    },
    commit: (checkpoint) => bytes.commit(checkpoint),
    close: () => bytes.close(),
  };
}
