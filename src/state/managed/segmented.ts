import { StoreError } from '../../errors.ts';
import type { SessionStoreSpec, WindowStoreSpec } from '../api.ts';
import { toBinaryKey, type BinaryKey, type ChangelogRecord, type KeyValueBytesStore } from '../bytes.ts';
import { NO_PENDING_CHANGES, type ChangeLogger } from '../change-logger.ts';
import type { ManagedStore } from '../managed-store.ts';
import { SegmentedBytes } from '../segmented/segmented-bytes.ts';
import type { SegmentedStore } from '../typed/segmented-store.ts';

/** The time segments a window or session store keeps its data in, sized by the store's retention. */
export function timeSegments(
  spec: WindowStoreSpec | SessionStoreSpec,
  bytes: KeyValueBytesStore,
): SegmentedBytes {
  return new SegmentedBytes(bytes, spec.retentionMs, SegmentedBytes.segmentInterval(spec.retentionMs));
}

export interface SegmentedChangelog {
  /** The changelog key of a stored key. */
  readonly keyOf: (storeKey: BinaryKey) => Uint8Array;
  /** How many bytes follow the record key in a changelog key (times, a sequence number). */
  readonly suffixLength: number;
  /** Applies one changelog record; `suffix` holds the bytes after its record key. */
  readonly restore: (recordKey: BinaryKey, suffix: Uint8Array, record: ChangelogRecord) => void;
}

/**
 * A window or session store as a task manages it: changelog keys are the record key followed by a
 * fixed-length suffix, split apart again on restore; commits save the store's bookkeeping (stream
 * time, sequence number) in the same batch as the data.
 */
export function managedSegmentedStore(
  spec: WindowStoreSpec | SessionStoreSpec,
  bytes: KeyValueBytesStore,
  logger: ChangeLogger | undefined,
  store: SegmentedStore<unknown, unknown>,
  changelog: SegmentedChangelog,
): ManagedStore {
  return {
    spec,
    store,
    get checkpoint() {
      return bytes.checkpoint;
    },
    get pendingChanges() {
      return logger?.backlog ?? NO_PENDING_CHANGES;
    },
    drainChangelog: () => logger?.drain(changelog.keyOf) ?? [],
    restore: (records) => {
      for (const record of records) {
        const { key } = record;
        if (key.byteLength < changelog.suffixLength)
          throw new StoreError(
            `store "${spec.name}": changelog key of ${key.byteLength} bytes is too short for a ${spec.kind} key`,
          );
        const keyLength = key.byteLength - changelog.suffixLength;
        changelog.restore(toBinaryKey(key.subarray(0, keyLength)), key.subarray(keyLength), record);
      }
    },
    commit: (checkpoint) => bytes.commit(checkpoint, () => store.prepareCommit()),
    close: () => bytes.close(),
  };
}
