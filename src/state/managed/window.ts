import { StoreError } from '../../errors.ts';
import type { WindowStoreSpec } from '../api.ts';
import { toBinaryKey, type KeyValueBytesStore } from '../bytes.ts';
import type { ChangeLogger, TimestampSource } from '../change-logger.ts';
import type { ManagedStore } from '../managed-store.ts';
import { readChangelogSeq, readChangelogTime } from '../segmented/keys.ts';
import { SegmentedBytes } from '../segmented/segmented-bytes.ts';
import {
  timestampedChangelogForm,
  timestampedFromChangelog,
  valueAndTimestampSerde,
} from '../typed/key-value-store.ts';
import { TypedWindowStore } from '../typed/window-store.ts';

/** Changelog keys of window stores end with the 8-byte window start and the 4-byte sequence number. */
const CHANGELOG_SUFFIX = 12;

/**
 * A window store over a bytes store, restored from changelog records keyed `key ‖ window start ‖ seq`.
 * A timestamped store keeps each value with its timestamp but logs, like timestamped key-value stores,
 * the bare value with that timestamp as the changelog record's.
 */
export function managedWindowStore(
  spec: WindowStoreSpec,
  bytes: KeyValueBytesStore,
  logger: ChangeLogger | undefined,
  now: TimestampSource,
): ManagedStore {
  const segments = new SegmentedBytes(
    bytes,
    spec.retentionMs,
    SegmentedBytes.segmentInterval(spec.retentionMs),
  );
  const store = new TypedWindowStore({
    name: spec.name,
    segments,
    keySerde: spec.keySerde,
    valueSerde: spec.timestamped ? valueAndTimestampSerde(spec.valueSerde) : spec.valueSerde,
    toChangelog: spec.timestamped ? timestampedChangelogForm : undefined,
    windowSizeMs: spec.windowSizeMs,
    retainDuplicates: spec.retainDuplicates,
    logger,
    now,
  });
  return {
    spec,
    store,
    get checkpoint() {
      return bytes.checkpoint;
    },
    drainChangelog: () => logger?.drain(TypedWindowStore.changelogKey) ?? [],
    restore: (records) => {
      for (const { key, value, timestamp } of records) {
        if (key.byteLength < CHANGELOG_SUFFIX)
          throw new StoreError(
            `store "${spec.name}": changelog key of ${key.byteLength} bytes is too short for a window key`,
          );
        const keyLength = key.byteLength - CHANGELOG_SUFFIX;
        store.restore(
          toBinaryKey(key.subarray(0, keyLength)),
          readChangelogTime(key, keyLength),
          readChangelogSeq(key, keyLength + 8),
          value === null ? undefined : spec.timestamped ? timestampedFromChangelog(value, timestamp) : value,
        );
      }
    },
    commit: (checkpoint) => bytes.commit(checkpoint, () => store.prepareCommit()),
    close: () => bytes.close(),
  };
}
