/**
 * Broker-free clusters for query tests: "runners" shaped like AppRunner that hold real in-memory stores
 * for the tasks a shared assignment gives them, each behind a real QueryServer on a local port. Records
 * are "processed" by writing to the stores, which raises the same change events a task would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpSecurity } from '../../src/http/security.ts';
import type { AppHttp } from '../../src/query/api.ts';
import { QueryServer } from '../../src/worker/server.ts';
import { SseParser, type SseEvent } from '../../src/query/sse.ts';
import type { AssignmentInfo } from '../../src/runtime/assignment/group-protocol.ts';
import { Histogram, LATENCY_BUCKETS_SECONDS } from '../../src/runtime/histogram.ts';
import { silentLogger } from '../../src/common/logger.ts';
import type { AppRunner, AppRunnerState } from '../../src/runtime/worker/app-runner.ts';
import { NO_ASSIGNMENT } from '../../src/runtime/worker/task-registry.ts';
import type { EventLogPort, OutgoingRecord } from '../../src/kafka/port.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { openStore, type ManagedStore } from '../../src/state/managed-store.ts';
import type { Topology } from '../../src/topology/topology.ts';

/** The parts of an active task queries use: its stores, and how far it got in its inputs (none here: always caught up). */
interface FakeTask {
  readonly partition: number;
  readonly stores: Map<string, ManagedStore>;
  readonly inputs: readonly [];
  positions(): [];
  fetchPositions(): [];
  readonly queues: { size(): number };
}

/** Stands in for an AppRunner: the parts queries use. */
export class FakeRunner {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly partitions: number;
  state: AppRunnerState = 'running';
  assignment: AssignmentInfo = NO_ASSIGNMENT;
  readonly activeTasks = new Map<string, FakeTask>();
  readonly standbyTasks = new Map<string, FakeTask>();
  readonly globalStores = new Map<string, ManagedStore>();
  readonly metrics = {
    processed: 0,
    commits: 0,
    commitMs: 0,
    restoreMs: 0,
    droppedInClosedTasks: new Map<string, number>(),
    commitSeconds: new Histogram(LATENCY_BUCKETS_SECONDS),
    recordLatencySeconds: new Histogram(LATENCY_BUCKETS_SECONDS),
  };
  private readonly listeners = new Set<() => void>();
  /** Where LevelDB stores of the tasks live (each opening gets a fresh directory). */
  private readonly stateDir = mkdtempSync(join(tmpdir(), 'tributary-query-test-'));
  private opened = 0;

  constructor(applicationId: string, topology: Topology, partitions: number) {
    this.applicationId = applicationId;
    this.topology = topology;
    this.partitions = partitions;
  }

  get asRunner(): AppRunner {
    return this as unknown as AppRunner;
  }

  taskCount(): number {
    return this.partitions;
  }

  onAssignment(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  store(name: string, partition: number) {
    const global = this.globalStores.get(name);
    if (global) return global.store;
    for (const task of this.activeTasks.values())
      if (task.partition === partition && task.stores.has(name)) return task.stores.get(name)!.store;
    return undefined;
  }

  consumerLag() {
    return [{ topic: 'events', partition: 0, lag: 3 }];
  }

  /** Stores open empty here: nothing is ever restored. */
  restoreProgress(): [] {
    return [];
  }

  readonly deadLetterTopic = undefined;

  droppedRecords(): Map<string, number> {
    return new Map([
      ['expired-window', 2],
      ['error-handler', 1],
    ]);
  }

  /** Opens the stores of the tasks and standbys named, closing those no longer named; then tells listeners. */
  async assign(assignment: AssignmentInfo): Promise<void> {
    this.assignment = assignment;
    for (const [map, ids] of [
      [this.activeTasks, assignment.active],
      [this.standbyTasks, assignment.standby],
    ] as const) {
      for (const [id, task] of map) {
        if (ids.includes(id)) continue;
        map.delete(id);
        await Promise.all([...task.stores.values()].map((s) => s.close()));
      }
      for (const id of ids) if (!map.has(id)) map.set(id, await this.openTask(id));
    }
    for (const listener of this.listeners) listener();
  }

  async openGlobal(): Promise<void> {
    for (const global of this.topology.globalStores.values())
      this.globalStores.set(
        global.store.name,
        await openStore(global.store, { directory: undefined, now: () => 0 }),
      );
  }

  async close(): Promise<void> {
    for (const task of [...this.activeTasks.values(), ...this.standbyTasks.values()])
      await Promise.all([...task.stores.values()].map((s) => s.close()));
    for (const store of this.globalStores.values()) await store.close();
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  private async openTask(id: string): Promise<FakeTask> {
    const [sub, partition] = id.split('_').map(Number) as [number, number];
    const stores = new Map<string, ManagedStore>();
    const directory = join(this.stateDir, `${id}-${this.opened++}`);
    for (const spec of this.topology.subtopologies[sub]!.stores)
      stores.set(spec.name, await openStore(spec, { directory, now: () => 0 }));
    return {
      partition,
      stores,
      inputs: [],
      positions: () => [],
      fetchPositions: () => [],
      queues: { size: () => 0 },
    };
  }
}

/** A port whose producer remembers what it was asked to send; every topic has `partitions` partitions. */
export function fakePort(partitions: number): EventLogPort & { sent: OutgoingRecord[] } {
  const sent: OutgoingRecord[] = [];
  const port = {
    description: 'fake',
    sent,
    admin: () => ({
      partitionCounts: async (topics: readonly string[]) =>
        new Map(topics.filter((t) => !t.startsWith('missing')).map((t) => [t, partitions])),
      offsets: async () => new Map(),
      close: async () => undefined,
    }),
    producer: () => ({
      send: async (records: readonly OutgoingRecord[]) => {
        const written = new Map<string, Map<number, bigint>>();
        for (const record of records) {
          sent.push(record);
          const topic = written.get(record.topic) ?? new Map<number, bigint>();
          topic.set(record.partition, BigInt(sent.length - 1));
          written.set(record.topic, topic);
        }
        return written;
      },
      close: async () => undefined,
    }),
  };
  return port as unknown as EventLogPort & { sent: OutgoingRecord[] };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface FakeWorker {
  readonly endpoint: string;
  readonly url: string;
  readonly runner: FakeRunner;
  readonly server: QueryServer;
  readonly port: EventLogPort & { sent: OutgoingRecord[] };
}

/**
 * Workers of one application that split its tasks: `tasks[i]` lists the task ids worker i runs
 * (standbys optional). Every worker gets the same assignment, as after a rebalance.
 */
export async function startCluster(options: {
  readonly applicationId: string;
  readonly topology: () => Topology;
  readonly partitions: number;
  readonly tasks: readonly { active: string[]; standby?: string[] }[];
  readonly http?: AppHttp;
  readonly renameTopic?: (name: string) => string;
  /** HTTPS and access of worker i's endpoint. */
  readonly security?: (index: number) => HttpSecurity;
}): Promise<FakeWorker[]> {
  const ports = await Promise.all(options.tasks.map(() => freePort()));
  const endpoints = ports.map((p) => `127.0.0.1:${p}`);
  const workers: FakeWorker[] = [];
  for (const [i, endpoint] of endpoints.entries()) {
    const runner = new FakeRunner(options.applicationId, options.topology(), options.partitions);
    const port = fakePort(options.partitions);
    const server = new QueryServer({
      runners: [runner.asRunner],
      applications: [
        { applicationId: options.applicationId, http: options.http, renameTopic: options.renameTopic },
      ],
      http: { host: '127.0.0.1', port: ports[i]!, advertised: endpoint },
      port,
      clientId: 'test',
      logger: silentLogger,
      security: options.security?.(i),
    });
    await server.start();
    await runner.openGlobal();
    workers.push({ endpoint, url: server.url, runner, server, port });
  }
  await reassign(workers, options.tasks);
  return workers;
}

/** Gives every worker a new assignment (a rebalance). */
export async function reassign(
  workers: readonly FakeWorker[],
  tasks: readonly { active: string[]; standby?: string[] }[],
): Promise<void> {
  const endpoints = Object.fromEntries(
    workers.map((w, i) => [w.endpoint, { active: tasks[i]!.active, standby: tasks[i]!.standby ?? [] }]),
  );
  for (const [i, worker] of workers.entries())
    await worker.runner.assign({
      active: tasks[i]!.active,
      standby: tasks[i]!.standby ?? [],
      rebalance: 'test',
      handoffs: [],
      releases: [],
      endpoints,
    });
}

export async function stopCluster(workers: readonly FakeWorker[]): Promise<void> {
  for (const worker of workers) {
    await worker.server.stop();
    await worker.runner.close();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
type Json = any;

export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text
  }
  return { status: response.status, body, headers: response.headers };
}

/** The worker whose active tasks hold the key's partition (of sub-topology 0). */
export function ownerOf(
  workers: readonly FakeWorker[],
  keyBytes: Uint8Array,
  partitions: number,
): FakeWorker {
  const partition = partitionForKey(keyBytes, partitions);
  const owner = workers.find((w) => w.runner.activeTasks.has(`0_${partition}`));
  if (!owner) throw new Error(`no worker runs partition ${partition}`);
  return owner;
}

/** A store of the task that holds the key, as a processor would write it. */
export function storeFor<S>(
  workers: readonly FakeWorker[],
  name: string,
  keyBytes: Uint8Array,
  partitions: number,
): S {
  const partition = partitionForKey(keyBytes, partitions);
  return ownerOf(workers, keyBytes, partitions).runner.activeTasks.get(`0_${partition}`)!.stores.get(name)!
    .store as S;
}

/** An event stream read in the background; `waitFor` resolves once the events read satisfy a condition. */
export class EventStreamReader {
  readonly events: SseEvent[] = [];
  status = 0;
  ended = false;
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;
  private notify: (() => void) | undefined;

  constructor(url: string) {
    this.done = this.read(url);
  }

  private async read(url: string): Promise<void> {
    try {
      const response = await fetch(url, { signal: this.abort.signal });
      this.status = response.status;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        this.events.push(...parser.push(decoder.decode(chunk, { stream: true })));
        this.notify?.();
      }
    } catch {
      // aborted
    } finally {
      this.ended = true;
      this.notify?.();
    }
  }

  async waitFor(condition: (events: SseEvent[]) => boolean, timeoutMs = 5000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.events)) {
      if (Date.now() > deadline)
        throw new Error(
          `condition not met; events so far: ${JSON.stringify(this.events)}, ended: ${this.ended}`,
        );
      await new Promise<void>((resolve) => {
        this.notify = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.events;
  }

  /** The `data` of the events named so, parsed. */
  data(event = 'change'): Json[] {
    return this.events.filter((e) => e.event === event).map((e) => JSON.parse(e.data) as Json);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
