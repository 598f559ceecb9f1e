import type { WindowStoreSpec } from '../api.ts';
import type { KeyValueBytesStore } from '../bytes.ts';
import type { ChangeLogger, TimestampSource } from '../change-logger.ts';
import type { ManagedStore } from '../managed-store.ts';
import { readChangelogSeq, readChangelogTime } from '../segmented/keys.ts';
import {
  timestampedChangelogForm,
  timestampedFromChangelog,
  valueAndTimestampSerde,
} from '../typed/key-value-store.ts';
import { TypedWindowStore } from '../typed/window-store.ts';
import { managedSegmentedStore, timeSegments } from './segmented.ts';

/**
 * A window store over a bytes store, restored from changelog records keyed `key ‖ window start ‖ seq`
 * (8 and 4 bytes). A timestamped store keeps each value with its timestamp but logs, like timestamped
 * key-value stores, the bare value with that timestamp as the changelog record's.
 */
export function managedWindowStore(
  spec: WindowStoreSpec,
  bytes: KeyValueBytesStore,
  logger: ChangeLogger | undefined,
  now: TimestampSource,
): ManagedStore {
  const store = new TypedWindowStore({
    name: spec.name,
    segments: timeSegments(spec, bytes),
    keySerde: spec.keySerde,
    valueSerde: spec.timestamped ? valueAndTimestampSerde(spec.valueSerde) : spec.valueSerde,
    toChangelog: spec.timestamped ? timestampedChangelogForm : undefined,
    windowSizeMs: spec.windowSizeMs,
    retainDuplicates: spec.retainDuplicates,
    logger,
    now,
  });
  return managedSegmentedStore(spec, bytes, logger, store, {
    keyOf: TypedWindowStore.changelogKey,
    suffixLength: 8 + 4,
    restore: (recordKey, suffix, { value, timestamp }) =>
      store.restore(
        recordKey,
        readChangelogTime(suffix, 0),
        readChangelogSeq(suffix, 8),
        value === null ? undefined : spec.timestamped ? timestampedFromChangelog(value, timestamp) : value,
      ),
  });
}
