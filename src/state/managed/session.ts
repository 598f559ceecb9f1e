import { StoreError } from '../../errors.ts';
import type { SessionStoreSpec } from '../api.ts';
import { toBinaryKey, type KeyValueBytesStore } from '../bytes.ts';
import type { ChangeLogger, TimestampSource } from '../change-logger.ts';
import type { ManagedStore } from '../managed-store.ts';
import { readChangelogTime } from '../segmented/keys.ts';
import { SegmentedBytes } from '../segmented/segmented-bytes.ts';
import { TypedSessionStore } from '../typed/session-store.ts';

/** Changelog keys of session stores end with the 8-byte session end and the 8-byte session start. */
const CHANGELOG_SUFFIX = 16;

/** A session store over a bytes store, restored from changelog records keyed `key ‖ end ‖ start`. */
export function managedSessionStore(
  spec: SessionStoreSpec,
  bytes: KeyValueBytesStore,
  logger: ChangeLogger | undefined,
  now: TimestampSource,
): ManagedStore {
  const segments = new SegmentedBytes(
    bytes,
    spec.retentionMs,
    SegmentedBytes.segmentInterval(spec.retentionMs),
  );
  const store = new TypedSessionStore({
    name: spec.name,
    segments,
    keySerde: spec.keySerde,
    valueSerde: spec.valueSerde,
    logger,
    now,
  });
  return {
    spec,
    store,
    get checkpoint() {
      return bytes.checkpoint;
    },
    drainChangelog: () => logger?.drain() ?? [],
    restore: (records) => {
      for (const { key, value } of records) {
        if (key.byteLength < CHANGELOG_SUFFIX)
          throw new StoreError(
            `store "${spec.name}": changelog key of ${key.byteLength} bytes is too short for a session key`,
          );
        const keyLength = key.byteLength - CHANGELOG_SUFFIX;
        store.restore(
          toBinaryKey(key.subarray(0, keyLength)),
          readChangelogTime(key, keyLength + 8),
          readChangelogTime(key, keyLength),
          value ?? undefined,
        );
      }
    },
    commit: (checkpoint) => bytes.commit(checkpoint, () => store.prepareCommit()),
    close: () => bytes.close(),
  };
}
