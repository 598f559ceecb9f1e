import type { AppRunner } from '../runtime/worker/app-runner.ts';
import type { Serde } from '../serde/serde.ts';
import type { StoreSpec } from '../state/api.ts';
import { HttpError } from '../http/types.ts';
import { badRequest } from './errors.ts';

export type QueryStoreKind = 'key-value' | 'versioned' | 'window' | 'session';

/** A store some application on this worker has, as queries see it. */
export interface StoreEntry {
  readonly name: string;
  readonly applicationId: string;
  readonly kind: QueryStoreKind;
  /** Table stores keep each value's timestamp; queries show it beside the value. */
  readonly timestamped: boolean;
  /** The serde of the (bare) values. */
  readonly valueSerde: Serde<unknown>;
  /** Global stores are complete on every worker: always answered locally. */
  readonly global: boolean;
  readonly spec: StoreSpec;
  /** The sub-topology whose tasks hold the store (undefined for global stores). */
  readonly subtopology: number | undefined;
  readonly runner: AppRunner;
}

/** Every store of the applications on this worker, found by name (and application, when names repeat). */
export class StoreCatalog {
  private readonly entries: StoreEntry[] = [];

  constructor(runners: readonly AppRunner[]) {
    for (const runner of runners) {
      const { topology, applicationId } = runner;
      for (const spec of topology.stores.values()) {
        const sub = topology.subtopologies.find((s) => s.stores.some((st) => st.name === spec.name));
        this.entries.push(entry(spec, runner, applicationId, sub?.id, false));
      }
      for (const global of topology.globalStores.values())
        this.entries.push(entry(global.store, runner, applicationId, undefined, true));
    }
  }

  list(): readonly StoreEntry[] {
    return this.entries;
  }

  /** The store named so; `app` picks one when several applications here have a store of that name. */
  resolve(name: string, app?: string | null): StoreEntry {
    const named = this.entries.filter((e) => e.name === name && (!app || e.applicationId === app));
    const [only] = named;
    if (only !== undefined && named.length === 1) return only;
    if (named.length > 1)
      throw badRequest(
        `store "${name}" exists in applications ${named.map((e) => e.applicationId).join(', ')}; add ?app=<application id>`,
      );
    const known = this.entries.map((e) => (app ? `${e.name} (${e.applicationId})` : e.name));
    throw new HttpError(
      404,
      `no store "${name}"${app ? ` in application "${app}"` : ''} on this worker; known stores: ${known.join(', ') || 'none'}`,
      { code: 'TRIB_QUERY_UNKNOWN_STORE' },
    );
  }
}

function entry(
  spec: StoreSpec,
  runner: AppRunner,
  applicationId: string,
  subtopology: number | undefined,
  global: boolean,
): StoreEntry {
  const kind: QueryStoreKind =
    spec.kind === 'window'
      ? 'window'
      : spec.kind === 'session'
        ? 'session'
        : spec.kind === 'versioned-key-value'
          ? 'versioned'
          : 'key-value';
  return {
    name: spec.name,
    applicationId,
    kind,
    // Tables and windowed aggregations keep each value with its timestamp.
    timestamped:
      spec.kind === 'timestamped-key-value' || (spec.kind === 'window' && spec.timestamped === true),
    valueSerde: spec.valueSerde,
    global,
    spec,
    subtopology,
    runner,
  };
}

/**
 * The sub-topology whose tasks hold a store. A global store has none (every worker holds all of it),
 * nor has a store that no processor uses: no task holds it, so no partition of it can be asked for.
 */
export function subtopologyOf(entry: StoreEntry): number {
  if (entry.subtopology !== undefined) return entry.subtopology;
  throw new HttpError(
    404,
    `store "${entry.name}" ${entry.global ? 'is a global store' : 'is used by no processor'}: no task holds a partition of it`,
    { code: 'TRIB_QUERY_UNKNOWN_STORE' },
  );
}
