/**
 * The Tributary console: one page served by every worker at `/`. Views are chosen by the URL's hash
 * (`#/topology/<app>`, `#/tasks/<app>`, `#/stores/<store>`, `#/orders/<id>`), so each can be linked to
 * and the browser's back button works.
 */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ClusterStatus, ConsoleOverview } from '../api-types.ts';
import { getJson, onUnauthorized, setToken, token } from './api.ts';
import { navigate, useEventStream, useHashRoute, usePoll } from './hooks.ts';
import { OrdersView } from './views/orders-view.tsx';
import { StoresView } from './views/stores-view.tsx';
import { TasksView } from './views/tasks-view.tsx';
import { TopologyView } from './views/topology-view.tsx';
import { ConsoleError } from './console-error.ts';

function App() {
  const route = useHashRoute();
  const [view = 'topology', item] = route;
  const [askToken, setAskToken] = useState(false);
  useEffect(() => onUnauthorized(() => setAskToken(true)), []);
  const overview = usePoll((signal) => getJson<ConsoleOverview>('/console/api/overview', signal), 10_000);
  const status = useEventStream<ClusterStatus>('/console/api/status/events', 'status');
  const applications = overview.data?.applications ?? [];
  const hasOrders = overview.data?.orders !== null && overview.data?.orders !== undefined;
  const silent = status.data?.workers.filter((w) => !w.ok).length ?? 0;

  const tabs: [string, string][] = [
    ['topology', 'Topology'],
    ['tasks', 'Tasks'],
    ['stores', 'Stores'],
    ...(hasOrders ? [['orders', 'Orders'] satisfies [string, string]] : []),
  ];

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path
              d="M3 6c4 0 4 4 8 4s4-4 8-4M3 12c4 0 4 4 8 4s4-4 8-4M3 18c4 0 4 4 8 4"
              fill="none"
              stroke="currentColor"
              stroke-width="2.2"
              stroke-linecap="round"
            />
          </svg>
          <span>Tributary</span>
        </div>
        <nav class="tabs" aria-label="Views">
          {tabs.map(([id, label]) => (
            <a key={id} href={`#/${id}`} aria-current={view === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="whoami">
          {overview.data && (
            <span title="The worker that served this page">
              worker <code>{overview.data.endpoint}</code>
            </span>
          )}
          {status.data && (
            <a href="#/tasks" class={silent > 0 ? 'pill bad' : 'pill good'}>
              {status.data.workers.length} worker{status.data.workers.length === 1 ? '' : 's'}
              {silent > 0 ? `, ${silent} not answering` : ''}
            </a>
          )}
          {token() && (
            <button
              type="button"
              class="quiet"
              onClick={() => {
                setToken(null);
                location.reload();
              }}
            >
              Forget token
            </button>
          )}
        </div>
      </header>
      {overview.error && !overview.data && (
        <p class="banner error page-banner" role="alert">
          The worker does not answer: {overview.error}
        </p>
      )}
      <main id="main" tabIndex={-1}>
        {view === 'topology' && <TopologyView applications={applications} selected={item} />}
        {view === 'tasks' && (
          <TasksView
            cluster={status.data}
            error={status.error}
            applications={applications.map((a) => a.application)}
            selected={item}
          />
        )}
        {view === 'stores' && <StoresView selected={item} />}
        {view === 'orders' && <OrdersView selected={item} onSelect={(id) => navigate('orders', id)} />}
      </main>
      {askToken && (
        <TokenDialog
          onDone={() => {
            setAskToken(false);
            overview.refresh();
          }}
        />
      )}
    </>
  );
}

/** Asks for the bearer token the endpoint wants (scope `queries`; `app` too for the orders forms). */
function TokenDialog({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  return (
    <div class="modal-backdrop" role="dialog" aria-modal="true" aria-labelledby="token-title">
      <form
        class="modal"
        onSubmit={(event) => {
          event.preventDefault();
          setToken(value.trim());
          onDone();
        }}
      >
        <h2 id="token-title">This worker asks for a token</h2>
        <p>
          Its HTTP endpoint needs a bearer token with the <code>queries</code> scope (and <code>app</code> to
          use the orders forms). It is kept for this browser tab only.
        </p>
        <label class="field">
          <span>Token</span>
          <input
            type="password"
            autoFocus
            autoComplete="off"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            required
          />
        </label>
        <button type="submit" class="primary">
          Use this token
        </button>
      </form>
    </div>
  );
}

const root = document.getElementById('app');
if (!root) throw new ConsoleError('the page has no element with id "app" to show the console in');
render(<App />, root);
