/**
 * What the console's task view shows: each worker reports its own applications (tasks, restores,
 * counters, the last minutes of samples), and the worker the page talks to gathers the reports of
 * every worker the assignments name, saying plainly which ones did not answer.
 */
import { isJsonObject } from '../common/json.ts';
import { errorMessage } from '../errors.ts';
import type { QueryService } from '../query/query-service.ts';
import type { AppRunner } from '../runtime/worker/app-runner.ts';
import { Topology } from '../topology/topology.ts';
import type {
  ApplicationStatus,
  ClusterStatus,
  RestoreStatus,
  StoreStatus,
  TaskStatus,
  WorkerReport,
  WorkerStatus,
} from './api-types.ts';
import type { ConsoleSampler } from './sampler.ts';
import { formatOffset } from '../common/offset.ts';

/** How long the gathering waits for another worker's report: a page refreshing every few seconds cannot wait longer. */
export const PEER_REPORT_TIMEOUT_MS = 2_500;
export const STATUS_PATH = '/console/api/status';

/** This worker's own report. */
export function workerStatus(service: QueryService, sampler: ConsoleSampler): WorkerStatus {
  return {
    endpoint: service.self,
    ...(service.siblings ? { thread: service.siblings.thread } : {}),
    time: Date.now(),
    applications: service.runners.map((runner) => applicationStatus(runner, sampler, service)),
  };
}

function applicationStatus(
  runner: AppRunner,
  sampler: ConsoleSampler,
  { self, siblings }: QueryService,
): ApplicationStatus {
  const app = runner.applicationId;
  const lags = new Map(runner.consumerLag().map((l) => [`${l.topic}/${l.partition}`, l.lag]));
  const tasks: TaskStatus[] = [];
  for (const [id, task] of runner.activeTasks) {
    const positions = new Map(
      task.positions().map((p) => [`${p.topic}/${p.partition}`, formatOffset(p.offset)]),
    );
    tasks.push({
      id,
      role: 'active',
      processed: task.processedRecords,
      inputs: task.inputs.map(({ topic, partition }) => ({
        topic,
        partition,
        position: positions.get(`${topic}/${partition}`) ?? null,
        lag: lags.get(`${topic}/${partition}`) ?? null,
        recordsPerSecond: sampler.partitionRate(app, id, topic, partition),
      })),
      stores: storeStatuses(task.stores),
    });
  }
  // Assigned here as active but not running yet: being created and restored (unless another stream
  // thread of this process runs it: the process's threads share its endpoint).
  const mine = runner.assignment.endpoints[self];
  for (const id of mine?.active ?? [])
    if (!runner.activeTasks.has(id) && !siblings?.activeOwner(app, id))
      tasks.push({ id, role: 'restoring', processed: null, inputs: [], stores: [] });
  for (const [id, standby] of runner.standbyTasks)
    tasks.push({ id, role: 'standby', processed: null, inputs: [], stores: storeStatuses(standby.stores) });
  tasks.sort((a, b) => compareTaskIds(a.id, b.id));
  return {
    application: app,
    state: runner.state,
    assignment: runner.assignment.endpoints,
    tasks,
    restores: restoreStatuses(runner, sampler),
    processed: runner.metrics.processed,
    commits: runner.metrics.commits,
    dropped: Object.fromEntries(runner.droppedRecords()),
    deadLetterTopic: runner.deadLetterTopic ?? null,
    samples: sampler.samples(app),
  };
}

function storeStatuses(stores: ReadonlyMap<string, { readonly store: unknown }>): StoreStatus[] {
  return [...stores].map(([name, managed]) => ({ name, entries: entries(managed.store) }));
}

function entries(store: unknown): number | null {
  if (typeof store !== 'object' || store === null || !('approximateNumEntries' in store)) return null;
  const count: unknown =
    typeof store.approximateNumEntries === 'function' ? store.approximateNumEntries() : NaN;
  return typeof count === 'number' && Number.isFinite(count) ? count : null;
}

/** Restores under way, each named by its task and store (a changelog partition is its task's partition). */
function restoreStatuses(runner: AppRunner, sampler: ConsoleSampler): RestoreStatus[] {
  const { topology, applicationId } = runner;
  const storeOfTopic = new Map<string, { store: string; subtopology: number | undefined }>();
  for (const sub of topology.subtopologies)
    for (const spec of sub.stores) {
      const topic = topology.changelogTopic(spec.name, applicationId);
      if (topic) storeOfTopic.set(topic, { store: spec.name, subtopology: sub.id });
    }
  for (const [name, global] of topology.globalStores)
    for (const topic of global.source.topics)
      storeOfTopic.set(Topology.topicName(topic, applicationId), { store: name, subtopology: undefined });
  return runner.restoreProgress().map((restore) => {
    const owner = storeOfTopic.get(restore.topic);
    const rate = sampler.restoreRate(applicationId, restore.topic, restore.partition);
    const remaining = Number(restore.remaining);
    return {
      task: owner?.subtopology === undefined ? null : `${owner.subtopology}_${restore.partition}`,
      store: owner?.store ?? null,
      topic: restore.topic,
      partition: restore.partition,
      restored: restore.restored,
      remaining,
      recordsPerSecond: rate,
      etaSeconds: rate > 0 ? Math.ceil(remaining / rate) : null,
    };
  });
}

/** `0_2` before `0_10`, sub-topology first. */
export function compareTaskIds(a: string, b: string): number {
  const [sa = 0, pa = 0] = a.split('_').map(Number);
  const [sb = 0, pb = 0] = b.split('_').map(Number);
  return sa - sb || pa - pb;
}

/** Every worker the applications' assignments name, this one first, then the other stream threads of its process. */
export function knownWorkers(service: QueryService): string[] {
  const others = new Set<string>();
  for (const runner of service.runners)
    for (const endpoint of Object.keys(runner.assignment.endpoints))
      if (endpoint !== service.self) others.add(endpoint);
  return [service.self, ...(service.siblings?.endpoints() ?? []), ...[...others].sort()];
}

/** The reports of every worker: this one's own, the others' asked over HTTP (one hop, in parallel). */
export async function clusterStatus(
  service: QueryService,
  sampler: ConsoleSampler,
  signal: AbortSignal,
): Promise<ClusterStatus> {
  const workers = await Promise.all(
    knownWorkers(service).map(async (endpoint): Promise<WorkerReport> => {
      if (endpoint === service.self) return { endpoint, ok: true, status: workerStatus(service, sampler) };
      return peerReport(service, endpoint, signal);
    }),
  );
  return { endpoint: service.self, time: Date.now(), workers };
}

async function peerReport(
  service: QueryService,
  endpoint: string,
  signal: AbortSignal,
): Promise<WorkerReport> {
  const timeout = AbortSignal.timeout(PEER_REPORT_TIMEOUT_MS);
  try {
    const response = await service.peers.getJson(endpoint, STATUS_PATH, AbortSignal.any([signal, timeout]));
    if (response.status === 200) return { endpoint, ok: true, status: response.body as WorkerStatus };
    const message = isJsonObject(response.body) ? response.body.error : undefined;
    return {
      endpoint,
      ok: false,
      error:
        response.status === 404
          ? 'it serves no console (an older version of Tributary?)'
          : `it answered HTTP ${response.status}${typeof message === 'string' ? `: ${message}` : ''}`,
    };
  } catch (error) {
    return {
      endpoint,
      ok: false,
      error: timeout.aborted
        ? `no answer within ${PEER_REPORT_TIMEOUT_MS / 1000} s`
        : errorMessage(error).replace(/^worker \S+ /, ''),
    };
  }
}
