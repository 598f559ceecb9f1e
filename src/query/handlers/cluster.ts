/** Metadata (who hosts what), health and readiness, and the Prometheus metrics of this worker. */
import type { HttpRequest, HttpResponse } from '../../http/types.ts';
import type { Histogram } from '../../runtime/histogram.ts';
import type { AppRunner } from '../../runtime/worker/app-runner.ts';
import { badRequest } from '../errors.ts';
import { subtopologyOf } from '../catalog.ts';
import { parseKey, renderJson } from '../keys.ts';
import { PrometheusText } from '../prometheus.ts';
import type { QueryService } from '../query-service.ts';
import { ownersOf, taskId } from '../routing.ts';
import { onlyParams } from './params.ts';

/** GET /metadata — every application's endpoints and, per store partition, its active and standby hosts. */
export function metadata(service: QueryService, request: HttpRequest): HttpResponse {
  const query = request.query;
  onlyParams(query, ['store', 'key', 'app'], 'GET /metadata');
  const storeName = query.get('store');
  const keyText = query.get('key');
  if (keyText !== null && storeName === null)
    throw badRequest('key needs store: /metadata?store=<name>&key=<key>');
  if (storeName !== null && keyText !== null) {
    const entry = service.catalog.resolve(storeName, query.get('app'));
    const serde = entry.spec.keySerde;
    const key = parseKey(serde, keyText, `key "${keyText}" of store "${entry.name}"`);
    if (entry.global)
      return { status: 200, body: { store: entry.name, key: renderJson(serde, key), global: true } };
    const partition = service.partitionOf(entry, service.serializeKey(entry, key));
    const task = taskId(subtopologyOf(entry), partition);
    const owners = ownersOf(entry.runner.assignment, task);
    return {
      status: 200,
      body: {
        store: entry.name,
        application: entry.applicationId,
        key: renderJson(serde, key),
        partition,
        task,
        active: owners.active ?? null,
        standby: owners.standby,
      },
    };
  }
  const applications = service.runners.map((runner) => ({
    application: runner.applicationId,
    state: runner.state,
    endpoints: runner.assignment.endpoints,
    stores: service.catalog
      .list()
      .filter((e) => e.runner === runner && (storeName === null || e.name === storeName))
      .map((entry) => {
        if (entry.global) return { name: entry.name, kind: entry.kind, global: true };
        let partitions: number[] = [];
        try {
          partitions = service.partitions(entry);
        } catch {
          // Not started yet: no partitions to show.
        }
        return {
          name: entry.name,
          kind: entry.kind,
          global: false,
          partitions: partitions.map((partition) => {
            const task = taskId(subtopologyOf(entry), partition);
            const owners = ownersOf(runner.assignment, task);
            return {
              partition,
              task,
              active: owners.active ?? null,
              standby: owners.standby,
            };
          }),
        };
      }),
  }));
  return { status: 200, body: { endpoint: service.self, applications } };
}

/** GET /health — liveness: the process answers; 503 once an application has failed for good. */
export function health(runners: readonly AppRunner[]): HttpResponse {
  const failed = runners.filter((r) => r.state === 'failed').map((r) => r.applicationId);
  return failed.length > 0
    ? { status: 503, body: { status: 'failed', failed } }
    : { status: 200, body: { status: 'up' } };
}

/** GET /health/ready — readiness: every application running (none starting, rebalancing or restoring). */
export function ready(runners: readonly AppRunner[]): HttpResponse {
  const applications = runners.map((r) => ({
    application: r.applicationId,
    state: r.state,
    activeTasks: r.activeTasks.size,
    standbyTasks: r.standbyTasks.size,
  }));
  const isReady = runners.every((r) => r.state === 'running');
  return {
    status: isReady ? 200 : 503,
    headers: isReady ? {} : { 'retry-after': '1' },
    body: { ready: isReady, applications },
  };
}

export interface HttpMetrics {
  /** Request durations by route pattern, method and status. */
  readonly requests: ReadonlyMap<string, { labels: Record<string, string>; histogram: Histogram }>;
}

/** GET /metrics — Prometheus text. */
export function metrics(service: QueryService, http: HttpMetrics): HttpResponse {
  const text = new PrometheusText();
  for (const runner of service.runners) {
    const app = { application: runner.applicationId };
    text
      .family(
        'tributary_application_running',
        'gauge',
        '1 when the application is running (not starting, rebalancing or restoring)',
      )
      .sample(
        'tributary_application_running',
        { ...app, state: runner.state },
        runner.state === 'running' ? 1 : 0,
      );
    text
      .family('tributary_records_processed_total', 'counter', 'Records processed by the active tasks')
      .sample('tributary_records_processed_total', app, runner.metrics.processed);
    text.family(
      'tributary_records_dropped_total',
      'counter',
      'Records dropped: by operators (null keys, expired windows) and by the error handlers (reason "error-handler")',
    );
    for (const [reason, count] of runner.droppedRecords())
      text.sample('tributary_records_dropped_total', { ...app, reason }, count);
    text.family(
      'tributary_consumer_lag',
      'gauge',
      'Records in the input partition beyond what this worker has processed',
    );
    for (const lag of runner.consumerLag())
      text.sample('tributary_consumer_lag', { ...app, topic: lag.topic, partition: lag.partition }, lag.lag);
    text
      .family('tributary_commits_total', 'counter', 'Commits of the application on this worker')
      .sample('tributary_commits_total', app, runner.metrics.commits);
    text
      .family(
        'tributary_commit_duration_seconds',
        'histogram',
        'Time per commit (changelogs, sends or transaction, stores, offsets)',
      )
      .histogram('tributary_commit_duration_seconds', app, runner.metrics.commitSeconds);
    text
      .family('tributary_restore_seconds_total', 'counter', 'Time spent creating and restoring tasks')
      .sample('tributary_restore_seconds_total', app, runner.metrics.restoreMs / 1000);
    text
      .family(
        'tributary_record_latency_seconds',
        'histogram',
        'Wall-clock time at processing minus the record timestamp',
      )
      .histogram('tributary_record_latency_seconds', app, runner.metrics.recordLatencySeconds);
    text.family('tributary_tasks', 'gauge', 'Tasks on this worker, active and standby');
    text.sample('tributary_tasks', { ...app, kind: 'active' }, runner.activeTasks.size);
    text.sample('tributary_tasks', { ...app, kind: 'standby' }, runner.standbyTasks.size);
    text.family(
      'tributary_store_entries',
      'gauge',
      'Approximate entries per store and task (standbys included)',
    );
    for (const [id, task] of runner.activeTasks)
      for (const [name, managed] of task.stores)
        text.sample(
          'tributary_store_entries',
          { ...app, store: name, task: id, role: 'active' },
          entries(managed.store),
        );
    for (const [id, task] of runner.standbyTasks)
      for (const [name, managed] of task.stores)
        text.sample(
          'tributary_store_entries',
          { ...app, store: name, task: id, role: 'standby' },
          entries(managed.store),
        );
  }
  text.family(
    'tributary_http_request_duration_seconds',
    'histogram',
    'Time to answer HTTP requests (event streams: to open them)',
  );
  for (const { labels, histogram } of http.requests.values())
    text.histogram('tributary_http_request_duration_seconds', labels, histogram);
  return {
    status: 200,
    headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
    body: text.toString(),
  };
}

function entries(store: unknown): number {
  if (typeof store !== 'object' || store === null || !('approximateNumEntries' in store)) return NaN;
  const count: unknown =
    typeof store.approximateNumEntries === 'function' ? store.approximateNumEntries() : NaN;
  return typeof count === 'number' ? count : NaN;
}
