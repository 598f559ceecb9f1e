import type { SessionStoreSpec } from '../api.ts';
import type { KeyValueBytesStore } from '../bytes.ts';
import type { ChangeLogger, TimestampSource } from '../change-logger.ts';
import type { ManagedStore } from '../managed-store.ts';
import { readChangelogTime } from '../segmented/keys.ts';
import { TypedSessionStore } from '../typed/session-store.ts';
import { managedSegmentedStore, timeSegments } from './segmented.ts';

/** A session store over a bytes store, restored from changelog records keyed `key ‖ end ‖ start` (8 bytes each). */
export function managedSessionStore(
  spec: SessionStoreSpec,
  bytes: KeyValueBytesStore,
  logger: ChangeLogger | undefined,
  now: TimestampSource,
): ManagedStore {
  const store = new TypedSessionStore({
    name: spec.name,
    segments: timeSegments(spec, bytes),
    keySerde: spec.keySerde,
    valueSerde: spec.valueSerde,
    logger,
    now,
  });
  return managedSegmentedStore(spec, bytes, logger, store, {
    keyOf: TypedSessionStore.changelogKey,
    suffixLength: 8 + 8,
    restore: (recordKey, suffix, { value }) =>
      store.restore(
        recordKey,
        readChangelogTime(suffix, 8),
        readChangelogTime(suffix, 0),
        value ?? undefined,
      ),
  });
}
