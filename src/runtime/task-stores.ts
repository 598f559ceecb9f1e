import { join } from 'node:path';
import type { StateStore } from '../state/api.ts';
import type { TimestampSource } from '../state/change-logger.ts';
import { openStore, type ManagedStore } from '../state/managed-store.ts';
import type { Subtopology } from '../topology/topology.ts';

/** The directory of a task's stores: `<stateDir>/<applicationId>/<subtopology>_<partition>`. */
export function taskDirectory(
  stateDir: string,
  applicationId: string,
  subtopology: number,
  partition: number,
): string {
  return join(stateDir, applicationId, `${subtopology}_${partition}`);
}

/** Opens every store of a task; if one fails, the ones already open are closed again. */
export async function openTaskStores(
  subtopology: Subtopology,
  directory: string | undefined,
  now: TimestampSource,
): Promise<Map<string, ManagedStore>> {
  const stores = new Map<string, ManagedStore>();
  try {
    for (const spec of subtopology.stores) stores.set(spec.name, await openStore(spec, { directory, now }));
  } catch (error) {
    await Promise.allSettled([...stores.values()].map((s) => s.close()));
    throw error;
  }
  return stores;
}

export function typedStores(stores: ReadonlyMap<string, ManagedStore>): Map<string, StateStore> {
  return new Map([...stores].map(([name, managed]) => [name, managed.store]));
}
