/**
 * Tasks and progress of every application across the workers: a summary per application, then for
 * one application its charts of the last minutes, restores, drops and the task table (which worker
 * runs which task, its input partitions with their lag and rate).
 */
import type {
  ApplicationStatus,
  ClusterStatus,
  RestoreStatus,
  SampleStatus,
  TaskStatus,
} from '../../api-types.ts';
import { Chart } from '../components/chart.tsx';
import { count, millis, rate, seconds } from '../format.ts';

interface WorkerApp {
  readonly endpoint: string;
  readonly status: ApplicationStatus;
}

interface TaskRow {
  readonly task: TaskStatus;
  readonly worker: string;
  /** The worker the assignment names did not answer: nothing more is known. */
  readonly unreported?: boolean;
}

export function TasksView({
  cluster,
  error,
  applications,
  selected,
}: {
  cluster: ClusterStatus | undefined;
  error: string | undefined;
  applications: readonly string[];
  selected: string | undefined;
}) {
  if (!cluster)
    return <p class="empty">{error ? `Cannot read the status: ${error}` : 'Loading the status…'}</p>;
  const app = selected !== undefined && applications.includes(selected) ? selected : applications[0];
  const silent = cluster.workers.filter((w) => !w.ok);
  return (
    <div class="page">
      {error && <p class="banner warn">The last refresh failed: {error}. Showing the previous answer.</p>}
      {silent.map((w) => (
        <p class="banner error" role="alert" key={w.endpoint}>
          Worker <code>{w.endpoint}</code> does not answer: {w.ok ? '' : w.error}. Its tasks are shown as the
          assignment names them, without figures.
        </p>
      ))}
      <Workers cluster={cluster} />
      <Summary cluster={cluster} applications={applications} selected={app} />
      {app && <ApplicationDetail cluster={cluster} application={app} />}
    </div>
  );
}

function reportsOf(cluster: ClusterStatus, application: string): WorkerApp[] {
  const result: WorkerApp[] = [];
  for (const worker of cluster.workers) {
    if (!worker.ok) continue;
    const status = worker.status.applications.find((a) => a.application === application);
    if (status) result.push({ endpoint: worker.endpoint, status });
  }
  return result;
}

function Workers({ cluster }: { cluster: ClusterStatus }) {
  return (
    <section aria-labelledby="workers-title" class="card">
      <h2 id="workers-title">Workers</h2>
      <ul class="workers">
        {cluster.workers.map((w) => (
          <li key={w.endpoint} class={w.ok ? 'worker ok' : 'worker down'}>
            <span class={`dot ${w.ok ? 'state-running' : 'state-failed'}`} aria-hidden="true" />
            <code>{w.endpoint}</code>
            {w.ok && w.status.thread && <span class="tag">{w.status.thread}</span>}
            {w.endpoint === cluster.endpoint && <span class="tag">this page's worker</span>}
            <span class="muted">
              {w.ok
                ? `${w.status.applications.reduce((n, a) => n + a.tasks.filter((t) => t.role !== 'standby').length, 0)} tasks`
                : 'no answer'}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The latest sample of each worker, summed (rates, lag) or averaged (durations). */
function latest(reports: readonly WorkerApp[]) {
  let records = 0;
  let commits = 0;
  let lag = 0;
  let commitMs: number[] = [];
  let latency: number[] = [];
  for (const { status } of reports) {
    const sample = status.samples.at(-1);
    if (!sample) continue;
    records += sample.recordsPerSecond;
    commits += sample.commitsPerSecond;
    lag += sample.lag;
    if (sample.commitMs !== null) commitMs = [...commitMs, sample.commitMs];
    if (sample.latencyMs !== null) latency = [...latency, sample.latencyMs];
  }
  const mean = (values: number[]) =>
    values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  return { records, commits, lag, commitMs: mean(commitMs), latencyMs: mean(latency) };
}

function Summary({
  cluster,
  applications,
  selected,
}: {
  cluster: ClusterStatus;
  applications: readonly string[];
  selected: string | undefined;
}) {
  return (
    <section aria-labelledby="apps-title" class="card">
      <h2 id="apps-title">Applications</h2>
      <div class="table-scroll">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Application</th>
              <th scope="col">State</th>
              <th scope="col" class="num">
                Tasks
              </th>
              <th scope="col" class="num">
                Records/s
              </th>
              <th scope="col" class="num">
                Lag
              </th>
              <th scope="col" class="num">
                Commits/s
              </th>
              <th scope="col" class="num">
                Commit
              </th>
              <th scope="col" class="num">
                Latency
              </th>
              <th scope="col" class="num">
                Dropped
              </th>
            </tr>
          </thead>
          <tbody>
            {applications.map((application) => {
              const reports = reportsOf(cluster, application);
              const now = latest(reports);
              const states = [...new Set(reports.map((r) => r.status.state))];
              const tasks = reports.reduce(
                (n, r) => n + r.status.tasks.filter((t) => t.role !== 'standby').length,
                0,
              );
              const dropped = reports.reduce(
                (n, r) => n + Object.values(r.status.dropped).reduce((a, b) => a + b, 0),
                0,
              );
              return (
                <tr key={application} aria-current={application === selected ? 'true' : undefined}>
                  <th scope="row">
                    <a href={`#/tasks/${encodeURIComponent(application)}`}>{application}</a>
                  </th>
                  <td>
                    {states.map((s) => (
                      <span key={s} class={`badge state-${s}`}>
                        {s}
                      </span>
                    ))}
                  </td>
                  <td class="num">{tasks}</td>
                  <td class="num">{rate(now.records)}</td>
                  <td class="num">{count(now.lag)}</td>
                  <td class="num">{rate(now.commits)}</td>
                  <td class="num">{millis(now.commitMs)}</td>
                  <td class="num">{millis(now.latencyMs)}</td>
                  <td class={dropped > 0 ? 'num alert' : 'num'}>{count(dropped)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The workers' series added up per sample time (they sample at the same wall-clock instants). */
function combined(reports: readonly WorkerApp[]): { times: number[]; samples: SampleStatus[] } {
  const byTime = new Map<number, SampleStatus[]>();
  for (const { status } of reports)
    for (const sample of status.samples)
      byTime.set(sample.time, [...(byTime.get(sample.time) ?? []), sample]);
  const byTimeSorted = [...byTime].sort(([a], [b]) => a - b);
  const times = byTimeSorted.map(([time]) => time);
  const mean = (values: (number | null)[]) => {
    const present = values.filter((v): v is number => v !== null);
    return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length;
  };
  const samples = byTimeSorted.map(([time, at]): SampleStatus => {
    const sum = (pick: (s: SampleStatus) => number) => at.reduce((n, s) => n + pick(s), 0);
    return {
      time,
      recordsPerSecond: sum((s) => s.recordsPerSecond),
      commitsPerSecond: sum((s) => s.commitsPerSecond),
      commitMs: mean(at.map((s) => s.commitMs)),
      latencyMs: mean(at.map((s) => s.latencyMs)),
      lag: sum((s) => s.lag),
      droppedPerSecond: sum((s) => s.droppedPerSecond),
    };
  });
  return { times, samples };
}

function ApplicationDetail({ cluster, application }: { cluster: ClusterStatus; application: string }) {
  const reports = reportsOf(cluster, application);
  const { times, samples } = combined(reports);
  const rows = taskRows(cluster, reports);
  const restores = reports.flatMap((r) =>
    r.status.restores.map((restore) => ({ worker: r.endpoint, restore })),
  );
  const dropped = new Map<string, number>();
  for (const { status } of reports)
    for (const [reason, n] of Object.entries(status.dropped))
      dropped.set(reason, (dropped.get(reason) ?? 0) + n);
  const deadLetters = reports.find((r) => r.status.deadLetterTopic)?.status.deadLetterTopic;
  return (
    <section aria-labelledby="app-title" class="card">
      <h2 id="app-title">{application}</h2>
      <div class="charts">
        <Chart
          title="Records/s"
          times={times}
          values={samples.map((s) => s.recordsPerSecond)}
          format={(v) => rate(v)}
          color="#2563eb"
        />
        <Chart
          title="Lag (records)"
          times={times}
          values={samples.map((s) => s.lag)}
          format={(v) => count(v)}
          color="#c2410c"
        />
        <Chart
          title="End-to-end latency"
          times={times}
          values={samples.map((s) => s.latencyMs)}
          format={(v) => millis(v)}
          color="#7c3aed"
        />
        <Chart
          title="Commit duration"
          times={times}
          values={samples.map((s) => s.commitMs)}
          format={(v) => millis(v)}
          color="#0f766e"
        />
      </div>
      {restores.length > 0 && <Restores restores={restores} />}
      <div class="facts-row">
        <div>
          <h3>Dropped records</h3>
          {dropped.size === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul class="plain">
              {[...dropped].map(([reason, n]) => (
                <li key={reason}>
                  <strong>{count(n)}</strong> {reasonText(reason)}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3>Dead letters</h3>
          <p class="muted">
            {deadLetters ? (
              <>
                Records the error handlers give up on go to <code>{deadLetters}</code>, with headers naming
                the error and where the record came from.
              </>
            ) : (
              'The error handlers of this application do not dead-letter.'
            )}
          </p>
        </div>
      </div>
      <h3>Tasks</h3>
      <TaskTable rows={rows} />
    </section>
  );
}

function reasonText(reason: string): string {
  if (reason === 'error-handler') return 'skipped or dead-lettered by the error handlers';
  return reason.replace(/-/g, ' ');
}

function taskRows(cluster: ClusterStatus, reports: readonly WorkerApp[]): TaskRow[] {
  const rows: TaskRow[] = reports.flatMap((r) =>
    r.status.tasks.map((task) => ({ task, worker: r.endpoint })),
  );
  // Tasks the assignment gives to a worker that did not answer.
  const silent = new Set(cluster.workers.filter((w) => !w.ok).map((w) => w.endpoint));
  const assignment = reports[0]?.status.assignment ?? {};
  for (const [endpoint, tasks] of Object.entries(assignment)) {
    if (!silent.has(endpoint)) continue;
    for (const id of tasks.active)
      rows.push({
        task: { id, role: 'active', processed: null, inputs: [], stores: [] },
        worker: endpoint,
        unreported: true,
      });
  }
  const order = { active: 0, restoring: 1, standby: 2 };
  return rows.sort((a, b) => {
    const [sa = 0, pa = 0] = a.task.id.split('_').map(Number);
    const [sb = 0, pb = 0] = b.task.id.split('_').map(Number);
    return sa - sb || pa - pb || order[a.task.role] - order[b.task.role];
  });
}

function TaskTable({ rows }: { rows: readonly TaskRow[] }) {
  if (rows.length === 0) return <p class="muted">No tasks are assigned yet.</p>;
  return (
    <div class="table-scroll">
      <table class="table tasks" aria-label="Tasks">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Role</th>
            <th scope="col">Worker</th>
            <th scope="col">Input partitions (lag · records/s)</th>
            <th scope="col" class="num">
              Processed
            </th>
            <th scope="col">Stores (entries)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ task, worker, unreported }) => (
            <tr
              key={`${task.id}@${worker}/${task.role}`}
              data-task={task.id}
              data-worker={worker}
              data-role={task.role}
            >
              <th scope="row">
                <code>{task.id}</code>
              </th>
              <td>
                <span class={`badge role-${task.role}`}>{task.role}</span>
              </td>
              <td>
                <code>{worker}</code>
                {unreported && <span class="tag warn">no answer</span>}
              </td>
              <td>
                {task.inputs.length === 0 ? (
                  <span class="muted">–</span>
                ) : (
                  <ul class="inputs">
                    {task.inputs.map((input) => (
                      <li key={`${input.topic}/${input.partition}`}>
                        <code>
                          {input.topic}-{input.partition}
                        </code>{' '}
                        <span class={input.lag ? 'lag behind' : 'lag'}>{count(input.lag)}</span> ·{' '}
                        {rate(input.recordsPerSecond)}/s
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td class="num">{count(task.processed)}</td>
              <td>
                {task.stores.length === 0 ? (
                  <span class="muted">–</span>
                ) : (
                  task.stores.map((s) => (
                    <span key={s.name} class="store-chip">
                      {s.name} <span class="muted">{count(s.entries)}</span>
                    </span>
                  ))
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Restores({ restores }: { restores: readonly { worker: string; restore: RestoreStatus }[] }) {
  return (
    <div>
      <h3>Restoring</h3>
      <ul class="restores">
        {restores.map(({ worker, restore }) => {
          const total = restore.restored + restore.remaining;
          const share = total > 0 ? restore.restored / total : 0;
          const what = restore.task
            ? `task ${restore.task}, store ${restore.store ?? '?'}`
            : `global store ${restore.store ?? restore.topic}`;
          return (
            <li key={`${worker}/${restore.topic}/${restore.partition}`}>
              <div class="restore-label">
                <span>
                  {what} <span class="muted">on {worker}</span>
                </span>
                <span>
                  {count(restore.restored)} of {count(total)} · {rate(restore.recordsPerSecond)}/s · ETA{' '}
                  {seconds(restore.etaSeconds)}
                </span>
              </div>
              <progress max={1} value={share} aria-label={`Restore of ${what}`} />
            </li>
          );
        })}
      </ul>
    </div>
  );
}
