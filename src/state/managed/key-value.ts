import type { KeyValueStoreSpec } from '../api.ts';
import { toBinaryKey, type KeyValueBytesStore } from '../bytes.ts';
import { NO_PENDING_CHANGES, type ChangeLogger, type TimestampSource } from '../change-logger.ts';
import type { ChangelogLoad, ManagedStore } from '../managed-store.ts';
import {
  TypedKeyValueStore,
  timestampedChangelogForm,
  timestampedFromChangelog,
  valueAndTimestampSerde,
} from '../typed/key-value-store.ts';

/** A key-value store (timestamped or not) over a bytes store; its changelog records are its own key and value. */
export function managedKeyValueStore(
  spec: KeyValueStoreSpec,
  bytes: KeyValueBytesStore,
  logger: ChangeLogger | undefined,
  now: TimestampSource,
): ManagedStore {
  const timestamped = spec.kind === 'timestamped-key-value';
  const store = new TypedKeyValueStore({
    name: spec.name,
    bytes,
    keySerde: spec.keySerde,
    valueSerde: timestamped ? valueAndTimestampSerde(spec.valueSerde) : spec.valueSerde,
    logger,
    now,
    toChangelog: timestamped ? timestampedChangelogForm : undefined,
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
      // A store with `putRestored` keeps no restored value in memory past its commit (it copies what
      // it caches), so the values may come from Node's buffer pool.
      const restored = bytes.putRestored !== undefined;
      const allocate = restored ? pooledBytes : undefined;
      for (const record of records) {
        const value =
          record.value === null
            ? undefined
            : timestamped
              ? timestampedFromChangelog(record.value, record.timestamp, allocate)
              : record.value;
        if (restored) bytes.putRestored!(toBinaryKey(record.key), value);
        else bytes.put(toBinaryKey(record.key), value);
      }
    },
    ...(bytes.bulkLoad === undefined
      ? {}
      : {
          bulkRestore: async (): Promise<ChangelogLoad | undefined> => {
            const load = await bytes.bulkLoad!();
            if (!load) return undefined;
            return {
              apply: (changes) => {
                // The load copies each value into its batch at once: pooled bytes are enough.
                for (const { key, value, timestamp } of changes)
                  load.put(
                    key,
                    value === null
                      ? null
                      : timestamped
                        ? timestampedFromChangelog(value, timestamp, pooledBytes)
                        : value,
                  );
              },
              save: (position) => load.save(position),
              recordsPerSave: load.recordsPerSave,
              saveDue: () => load.saveDue(),
              finish: (checkpoint) => load.finish(checkpoint),
            };
          },
        }),
    commit: (checkpoint) => bytes.commit(checkpoint),
    close: () => bytes.close(),
  };
}

function pooledBytes(size: number): Uint8Array {
  return Buffer.allocUnsafe(size);
}
