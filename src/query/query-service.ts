import type { Logger } from '../common/logger.ts';
import { toError } from '../common/to-error.ts';
import type { AppRunner } from '../runtime/worker/app-runner.ts';
import type { StateStore } from '../state/api.ts';
import { StoreCatalog, subtopologyOf, type StoreEntry } from './catalog.ts';
import { ChangeBus } from './change-bus.ts';
import { QueryUnavailableError } from './errors.ts';
import { PeerClient, type PeerResponse, type PeerSecurity } from './peer-client.ts';
import { keyPartition, ownersOf, taskId } from './routing.ts';
import { fromSibling, type Siblings } from './siblings.ts';

/** Where a partition of a store can be read. */
export type Location =
  | {
      readonly where: 'local';
      readonly store: StateStore;
      readonly partition: number;
      readonly standby: boolean;
    }
  | {
      readonly where: 'remote';
      /** The workers to ask, in order: at least one. */
      readonly endpoints: readonly [string, ...string[]];
      readonly partition: number;
    };

export interface RouteOptions {
  /** A standby replica may answer (possibly behind the active task). */
  readonly standby?: boolean;
  /** The request was forwarded by another worker: answer locally or not at all. */
  readonly forwarded?: boolean;
}

/**
 * Finds where each key and partition of a store lives: here (an active task, or a standby when
 * allowed), at another worker (by the group's assignment), or nowhere right now (503).
 */
export class QueryService {
  readonly catalog: StoreCatalog;
  readonly bus: ChangeBus;
  readonly peers: PeerClient;
  /** This worker's advertised endpoint. */
  readonly self: string;
  readonly runners: readonly AppRunner[];
  /** The other stream threads of this process, when it runs several. */
  readonly siblings: Siblings | undefined;
  private readonly closing = new AbortController();

  constructor(options: {
    runners: readonly AppRunner[];
    self: string;
    logger: Logger;
    /** How to reach the other workers (HTTPS, a token). */
    peers?: PeerSecurity;
    siblings?: Siblings;
  }) {
    this.runners = options.runners;
    this.self = options.self;
    this.siblings = options.siblings;
    this.catalog = new StoreCatalog(options.runners);
    this.bus = new ChangeBus(options.logger);
    for (const runner of options.runners) this.bus.watch(runner, this.catalog);
    const siblings = options.siblings;
    this.peers = new PeerClient(options.self, {
      ...options.peers,
      // Sibling threads listen on loopback in plain HTTP, behind the process's endpoint.
      plain: siblings && ((endpoint) => siblings.endpoints().includes(endpoint)),
    });
  }

  serializeKey(entry: StoreEntry, key: unknown): Uint8Array {
    return entry.spec.keySerde.serialize(key);
  }

  /** The partition (task) that holds a key: murmur2 of its bytes modulo the task count. */
  partitionOf(entry: StoreEntry, keyBytes: Uint8Array): number {
    return keyPartition(keyBytes, this.taskCount(entry));
  }

  /** Every partition of the store: 0 … task count − 1. */
  partitions(entry: StoreEntry): number[] {
    return Array.from({ length: this.taskCount(entry) }, (_v, i) => i);
  }

  locateKey(entry: StoreEntry, keyBytes: Uint8Array, options: RouteOptions = {}): Location {
    if (entry.global) return this.locateGlobal(entry);
    return this.locatePartition(entry, this.partitionOf(entry, keyBytes), options);
  }

  locatePartition(entry: StoreEntry, partition: number, options: RouteOptions = {}): Location {
    if (entry.global) return this.locateGlobal(entry);
    const { runner } = entry;
    const subtopology = subtopologyOf(entry);
    const what = `partition ${partition} of store "${entry.name}"`;
    if (!options.standby && runner.state !== 'running')
      throw new QueryUnavailableError(
        `application "${entry.applicationId}" is ${runner.state}; ${what} cannot be read until it is running again`,
      );
    const id = taskId(subtopology, partition);
    const owners = ownersOf(runner.assignment, id);
    // As the task's processors see it, so that a caching store's reads see what its record cache holds.
    const active = runner.activeTasks.has(id) ? runner.store(entry.name, partition) : undefined;
    const standby = options.standby ? runner.standbyTasks.get(id)?.stores.get(entry.name)?.store : undefined;
    if (owners.active === this.self) {
      if (active) return { where: 'local', store: active, partition, standby: false };
      if (standby) return { where: 'local', store: standby, partition, standby: true };
      const sibling = fromSibling.getStore()
        ? undefined
        : this.siblings?.activeOwner(entry.applicationId, id);
      if (sibling) return { where: 'remote', endpoints: [sibling], partition };
      throw new QueryUnavailableError(`${what} is being restored on this worker`);
    }
    if (options.standby) {
      if (active) return { where: 'local', store: active, partition, standby: false };
      if (standby) return { where: 'local', store: standby, partition, standby: true };
    }
    if (options.forwarded)
      throw new QueryUnavailableError(
        `${what} is not on this worker (any more); the assignment is changing, ask again shortly`,
      );
    const [first, ...others] = [owners.active, ...(options.standby ? owners.standby : [])].filter(
      (e): e is string => e !== undefined && e !== this.self,
    );
    if (first === undefined)
      throw new QueryUnavailableError(
        `no worker serving queries runs ${what} (task ${id}): a rebalance is under way, or its worker was started without --http`,
      );
    return { where: 'remote', endpoints: [first, ...others], partition };
  }

  /** Forwards a GET to the first worker that answers with something other than 503. */
  async forward(
    endpoints: readonly string[],
    pathAndQuery: string,
    signal?: AbortSignal,
  ): Promise<PeerResponse> {
    // What the last worker asked said: a 503 is passed on, a failure thrown.
    let last: PeerResponse | Error = new QueryUnavailableError('no worker to forward the request to');
    for (const endpoint of endpoints) {
      try {
        const response = await this.peers.getJson(endpoint, pathAndQuery, signal);
        if (response.status !== 503) return response;
        last = response;
      } catch (error) {
        last = toError(error);
      }
    }
    if (last instanceof Error) throw last;
    return last;
  }

  /** Aborted when the worker stops serving queries: long polls end then. */
  get closed(): AbortSignal {
    return this.closing.signal;
  }

  close(): void {
    this.closing.abort();
    this.bus.close();
    this.peers.close();
  }

  private locateGlobal(entry: StoreEntry): Location {
    const store = entry.runner.store(entry.name, 0);
    if (!store)
      throw new QueryUnavailableError(`global store "${entry.name}" is still loading on this worker`);
    return { where: 'local', store, partition: 0, standby: false };
  }

  private taskCount(entry: StoreEntry): number {
    const count = entry.subtopology === undefined ? 1 : entry.runner.taskCount(entry.subtopology);
    if (count === undefined)
      throw new QueryUnavailableError(
        `application "${entry.applicationId}" is ${entry.runner.state}; its partitions are not known yet`,
      );
    return count;
  }
}
