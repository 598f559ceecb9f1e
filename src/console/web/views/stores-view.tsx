/**
 * Browse the stores: key ranges and prefixes page by page, one key, the windows or sessions of a key;
 * values shown as JSON (Avro records as objects). A key's changes, or all of a store's changes, can
 * be followed live: changes are buffered and drawn a few times a second, however fast they come.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { followEvents, getJson, isObject, messageOf } from '../api.ts';
import { JsonView } from '../components/json-view.tsx';
import { VirtualList } from '../components/virtual-list.tsx';
import { clock, count, dateTime, preview, rate } from '../format.ts';
import { navigate, usePoll } from '../hooks.ts';

interface StoreInfo {
  readonly name: string;
  readonly application: string;
  readonly kind: 'key-value' | 'window' | 'session';
  readonly global: boolean;
  readonly keySerde: string;
  readonly valueSerde: string;
  readonly partitions: number | null;
}

interface Entry {
  readonly key: unknown;
  readonly value: unknown;
  readonly timestamp?: number;
  readonly window?: { start: number; end: number };
  readonly partition?: number;
}

interface Page {
  readonly entries: readonly Entry[];
  readonly hasMore: boolean;
}

const PAGE_SIZES = [25, 100, 500] as const;
/** Live changes kept in memory for the list. */
const LIVE_KEPT = 5_000;
/** How often buffered live changes are drawn. */
const LIVE_DRAW_MS = 250;

/** A key as the query API reads it in a URL (docs/queries.md, "Keys in URLs"). */
export function keyText(key: unknown, serde: string): string {
  if (serde === 'json') return JSON.stringify(key);
  return typeof key === 'string' ? key : JSON.stringify(key);
}

function storePath(store: StoreInfo): string {
  return `/stores/${encodeURIComponent(store.name)}`;
}

function appParam(store: StoreInfo): string {
  return `app=${encodeURIComponent(store.application)}`;
}

export function StoresView({ selected }: { selected: string | undefined }) {
  const stores = usePoll((signal) => getJson<{ stores: StoreInfo[] }>('/stores', signal), 10_000);
  const list = stores.data?.stores ?? [];
  const store = list.find((s) => `${s.name}` === selected) ?? undefined;
  const firstStore = list[0];
  const byApp = new Map<string, StoreInfo[]>();
  for (const s of list) byApp.set(s.application, [...(byApp.get(s.application) ?? []), s]);
  return (
    <div class="split two">
      <nav class="side" aria-label="Stores">
        <h2 class="side-title">Stores</h2>
        {stores.error && !stores.data && <p class="banner error">{stores.error}</p>}
        {[...byApp].map(([app, items]) => (
          <div key={app} class="side-group">
            <h3>{app}</h3>
            <ul class="side-list">
              {items.map((s) => (
                <li key={`${s.application}/${s.name}`}>
                  <a
                    href={`#/stores/${encodeURIComponent(s.name)}`}
                    aria-current={s === store ? 'page' : undefined}
                  >
                    <span>{s.name}</span>
                    <span class="kind-tag">{s.global ? 'global' : s.kind}</span>
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <section class="main-pane">
        {store ? (
          <StoreBrowser key={`${store.application}/${store.name}`} store={store} />
        ) : (
          <div class="hint">
            <h1>Stores</h1>
            <p>
              Choose a store to browse its keys.{' '}
              {list.length > 0 && `This application set has ${list.length} stores.`}
            </p>
            {firstStore && (
              <button type="button" onClick={() => navigate('stores', firstStore.name)}>
                Open {firstStore.name}
              </button>
            )}
          </div>
        )}
      </section>
    </div>
  );
}

function StoreBrowser({ store }: { store: StoreInfo }) {
  const [selected, setSelected] = useState<Entry | undefined>();
  const [live, setLive] = useState(false);
  return (
    <div class="store">
      <header class="pane-head">
        <div>
          <h1>{store.name}</h1>
          <p class="sub">
            {store.global ? 'global ' : ''}
            {store.kind} store of <strong>{store.application}</strong> · key {store.keySerde} · value{' '}
            {store.valueSerde}
            {store.partitions !== null &&
              ` · ${store.partitions} partition${store.partitions === 1 ? '' : 's'}`}
          </p>
        </div>
        {!store.global && (
          <button type="button" aria-pressed={live} onClick={() => setLive(!live)}>
            {live ? 'Stop following all changes' : 'Follow all changes'}
          </button>
        )}
      </header>
      {live && <LiveChanges store={store} onSelect={setSelected} />}
      <div class="store-grid">
        <div>
          {store.kind === 'key-value' ? (
            <KeyValueBrowser store={store} onSelect={setSelected} selected={selected} />
          ) : (
            <KeyFetch store={store} onSelect={setSelected} selected={selected} />
          )}
        </div>
        <aside class="details" aria-label="Entry">
          {selected ? (
            <EntryDetails store={store} entry={selected} />
          ) : (
            <p class="muted">Select an entry to see its value.</p>
          )}
        </aside>
      </div>
    </div>
  );
}

type Mode = 'range' | 'prefix';

function KeyValueBrowser({
  store,
  onSelect,
  selected,
}: {
  store: StoreInfo;
  onSelect: (entry: Entry) => void;
  selected: Entry | undefined;
}) {
  const [mode, setMode] = useState<Mode>('range');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [prefix, setPrefix] = useState('');
  const [size, setSize] = useState<number>(PAGE_SIZES[0]);
  const [lookup, setLookup] = useState('');
  /** Where each page shown so far started (undefined: at the start of the range). */
  const [starts, setStarts] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<Page | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const load = async (start: string | undefined, index: number, query = { mode, from, to, prefix, size }) => {
    setBusy(true);
    setError(undefined);
    try {
      const params = new URLSearchParams();
      params.set('app', store.application);
      // Later pages start at the last key shown (inclusive, so one more is asked and that key dropped).
      const after = start !== undefined;
      params.set('limit', String(query.size + (after ? 1 : 0)));
      if (query.mode === 'prefix' && !after && query.prefix !== '') params.set('prefix', query.prefix);
      const first = after ? start : query.mode === 'range' && query.from !== '' ? query.from : undefined;
      if (first !== undefined) params.set('from', first);
      if (query.mode === 'range' && query.to !== '') params.set('to', query.to);
      const body = await getJson<{ entries: Entry[]; truncated: boolean }>(`${storePath(store)}?${params}`);
      let entries = body.entries;
      const [firstEntry] = entries;
      if (after && firstEntry && keyText(firstEntry.key, store.keySerde) === start)
        entries = entries.slice(1);
      let hasMore = body.truncated;
      if (query.mode === 'prefix' && after) {
        // Past the first page a prefix scan goes on from the last key; it ends where keys stop matching.
        const cut = entries.findIndex((e) => !keyText(e.key, store.keySerde).startsWith(query.prefix));
        if (cut >= 0) {
          entries = entries.slice(0, cut);
          hasMore = false;
        }
      }
      if (entries.length > query.size) {
        entries = entries.slice(0, query.size);
        hasMore = true;
      }
      setPage({ entries, hasMore });
      setStarts((previous) => [...previous.slice(0, index), start]);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void load(undefined, 0);
  }, [store.name]);

  const index = starts.length - 1;
  const entries = page?.entries ?? [];
  const next = () => {
    const last = entries.at(-1);
    if (last) void load(keyText(last.key, store.keySerde), index + 1);
  };
  const previous = () => {
    if (index > 0) void load(starts[index - 1], index - 1);
  };
  const submit = (event: Event) => {
    event.preventDefault();
    setStarts([undefined]);
    void load(undefined, 0);
  };
  const find = async (event: Event) => {
    event.preventDefault();
    if (lookup === '') return;
    setError(undefined);
    try {
      const entry = await getJson<Entry>(
        `${storePath(store)}/keys/${encodeURIComponent(lookup)}?${appParam(store)}`,
      );
      onSelect(entry);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <div>
      <form class="filters" onSubmit={submit} aria-label="Scan the store">
        <fieldset class="segmented">
          <legend class="sr-only">Scan by</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'range'} onChange={() => setMode('range')} />{' '}
            Key range
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'prefix'} onChange={() => setMode('prefix')} />{' '}
            Prefix
          </label>
        </fieldset>
        {mode === 'range' ? (
          <>
            <label class="field">
              <span>From</span>
              <input value={from} onInput={(e) => setFrom(e.currentTarget.value)} placeholder="first key" />
            </label>
            <label class="field">
              <span>To</span>
              <input value={to} onInput={(e) => setTo(e.currentTarget.value)} placeholder="last key" />
            </label>
          </>
        ) : (
          <label class="field">
            <span>Prefix</span>
            <input value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} placeholder="o-1" />
          </label>
        )}
        <SizeSelect label="Per page" value={size} onChange={setSize} />
        <button type="submit" class="primary">
          Scan
        </button>
      </form>
      <form class="filters" onSubmit={(e) => void find(e)} aria-label="Look up a key">
        <label class="field grow">
          <span>Key</span>
          <input
            value={lookup}
            onInput={(e) => setLookup(e.currentTarget.value)}
            placeholder="one key, exactly"
          />
        </label>
        <button type="submit">Look up</button>
      </form>
      {error && (
        <p class="banner error" role="alert">
          {error}
        </p>
      )}
      <EntryTable entries={entries} onSelect={onSelect} selected={selected} busy={busy} />
      <nav class="pager" aria-label="Pages">
        <button type="button" onClick={previous} disabled={index === 0 || busy}>
          ← Previous
        </button>
        <span aria-live="polite" data-page={index + 1}>
          Page {index + 1} · {entries.length} entr{entries.length === 1 ? 'y' : 'ies'}
          {page && !page.hasMore && ' · end'}
        </span>
        <button type="button" onClick={next} disabled={!page?.hasMore || busy}>
          Next →
        </button>
      </nav>
    </div>
  );
}

function SizeSelect({
  label,
  value,
  onChange,
}: {
  label: string;
  value: number;
  onChange: (size: number) => void;
}) {
  return (
    <label class="field narrow">
      <span>{label}</span>
      <select value={String(value)} onChange={(e) => onChange(Number(e.currentTarget.value))}>
        {PAGE_SIZES.map((n) => (
          <option key={n} value={String(n)}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}

function EntryTable({
  entries,
  onSelect,
  selected,
  busy,
}: {
  entries: readonly Entry[];
  onSelect: (entry: Entry) => void;
  selected: Entry | undefined;
  busy: boolean;
}) {
  const [first] = entries;
  if (first === undefined) return <p class="muted">{busy ? 'Loading…' : 'No entries.'}</p>;
  return (
    <div class="table-scroll entries">
      <table class="table" aria-label="Entries" aria-busy={busy}>
        <thead>
          <tr>
            <th scope="col">Key</th>
            {first.window && <th scope="col">Window</th>}
            <th scope="col">Value</th>
            <th scope="col">Time</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry, i) => (
            <tr key={i} class={entry === selected ? 'selected' : undefined}>
              <th scope="row">
                <button
                  type="button"
                  class="link"
                  onClick={() => onSelect(entry)}
                  data-key={preview(entry.key, 200)}
                >
                  {typeof entry.key === 'string' ? entry.key : preview(entry.key, 60)}
                </button>
              </th>
              {entry.window && (
                <td class="nowrap">
                  {clock(entry.window.start)} – {clock(entry.window.end)}
                </td>
              )}
              <td class="value-cell">
                <code>{preview(entry.value, 140)}</code>
              </td>
              <td class="nowrap muted">{entry.timestamp === undefined ? '–' : clock(entry.timestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Window and session stores: the windows or sessions of one key (or of all keys, from the first ones). */
function KeyFetch({
  store,
  onSelect,
  selected,
}: {
  store: StoreInfo;
  onSelect: (entry: Entry) => void;
  selected: Entry | undefined;
}) {
  const [key, setKey] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [size, setSize] = useState<number>(PAGE_SIZES[1]);
  const [result, setResult] = useState<{ entries: Entry[]; truncated: boolean } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const fetchEntries = async (event?: Event) => {
    event?.preventDefault();
    setError(undefined);
    const params = new URLSearchParams({ app: store.application, limit: String(size) });
    if (key !== '') params.set('key', key);
    if (store.kind === 'window') {
      if (from !== '') params.set('from', new Date(from).toISOString());
      if (to !== '') params.set('to', new Date(to).toISOString());
    }
    try {
      setResult(await getJson(`${storePath(store)}?${params}`));
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  useEffect(() => {
    void fetchEntries();
  }, [store.name]);
  return (
    <div>
      <form class="filters" onSubmit={(e) => void fetchEntries(e)} aria-label={`Fetch ${store.kind}s`}>
        <label class="field grow">
          <span>Key</span>
          <input value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="all keys" />
        </label>
        {store.kind === 'window' && (
          <>
            <label class="field">
              <span>Windows from</span>
              <input type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
            </label>
            <label class="field">
              <span>to</span>
              <input type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
            </label>
          </>
        )}
        <SizeSelect label="Limit" value={size} onChange={setSize} />
        <button type="submit" class="primary">
          Fetch
        </button>
      </form>
      {error && (
        <p class="banner error" role="alert">
          {error}
        </p>
      )}
      <EntryTable entries={result?.entries ?? []} onSelect={onSelect} selected={selected} busy={false} />
      {result?.truncated && (
        <p class="muted">More entries match: narrow the key or the time range, or raise the limit.</p>
      )}
    </div>
  );
}

function EntryDetails({ store, entry }: { store: StoreInfo; entry: Entry }) {
  const [following, setFollowing] = useState(false);
  const [changes, setChanges] = useState<{ at: number; value: unknown; timestamp?: number }[]>([]);
  const [state, setState] = useState<{ connected: boolean; error?: string }>({ connected: false });
  const key = keyText(entry.key, store.keySerde);
  useEffect(() => {
    setFollowing(false);
    setChanges([]);
  }, [key]);
  useEffect(() => {
    if (!following) return;
    const controller = new AbortController();
    const params = new URLSearchParams({ app: store.application, key });
    if (store.kind === 'key-value') params.set('initial', 'true');
    void followEvents(
      `${storePath(store)}/changes?${params}`,
      (event) => {
        if (event.event !== 'change' && event.event !== 'current') return;
        const data: Record<string, unknown> = isObject(event.data) ? event.data : {};
        const timestamp = typeof data.timestamp === 'number' ? data.timestamp : undefined;
        setChanges((previous) =>
          [{ at: Date.now(), value: data.value, timestamp }, ...previous].slice(0, 50),
        );
      },
      setState,
      controller.signal,
    );
    return () => controller.abort();
  }, [following, key]);
  return (
    <div>
      <h2 class="details-title">{typeof entry.key === 'string' ? entry.key : preview(entry.key, 80)}</h2>
      <dl class="facts">
        {entry.partition !== undefined && (
          <div>
            <dt>partition</dt>
            <dd>{entry.partition}</dd>
          </div>
        )}
        {entry.timestamp !== undefined && (
          <div>
            <dt>timestamp</dt>
            <dd>{dateTime(entry.timestamp)}</dd>
          </div>
        )}
        {entry.window && (
          <div>
            <dt>window</dt>
            <dd>
              {dateTime(entry.window.start)} – {clock(entry.window.end)}
            </dd>
          </div>
        )}
      </dl>
      <JsonView value={entry.value} />
      {!store.global && (
        <button type="button" aria-pressed={following} onClick={() => setFollowing(!following)}>
          {following ? 'Stop following' : 'Follow this key'}
        </button>
      )}
      {following && (
        <div class="follow" aria-live="polite">
          <p class="muted">
            {state.connected
              ? 'Following: every change of this key appears here.'
              : (state.error ?? 'Connecting…')}
          </p>
          <ol class="changes">
            {changes.map((c, i) => (
              <li key={`${c.at}-${i}`}>
                <span class="muted">{clock(c.timestamp ?? c.at)}</span> <code>{preview(c.value, 160)}</code>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

interface LiveChange {
  readonly key: unknown;
  readonly value: unknown;
  readonly timestamp?: number;
  readonly partition?: number;
}

function liveChange({ key, value, timestamp, partition }: Record<string, unknown>): LiveChange {
  return {
    key,
    value,
    ...(typeof timestamp === 'number' ? { timestamp } : {}),
    ...(typeof partition === 'number' ? { partition } : {}),
  };
}

/** Every change of the store, newest first; buffered and drawn every LIVE_DRAW_MS. */
function LiveChanges({ store, onSelect }: { store: StoreInfo; onSelect: (entry: Entry) => void }) {
  const buffer = useRef<LiveChange[]>([]);
  const received = useRef(0);
  const [shown, setShown] = useState<{ items: LiveChange[]; total: number; perSecond: number }>({
    items: [],
    total: 0,
    perSecond: 0,
  });
  const [state, setState] = useState<{ connected: boolean; error?: string }>({ connected: false });
  useEffect(() => {
    const controller = new AbortController();
    let items: LiveChange[] = [];
    let lastCount = 0;
    let lastTime = performance.now();
    let rateNow = 0;
    void followEvents(
      `${storePath(store)}/changes?${appParam(store)}`,
      (event) => {
        if (event.event !== 'change') return;
        if (isObject(event.data)) buffer.current.push(liveChange(event.data));
        received.current++;
      },
      setState,
      controller.signal,
    );
    const timer = setInterval(() => {
      const now = performance.now();
      let rateChanged = false;
      if (now - lastTime >= 1000) {
        const next = ((received.current - lastCount) * 1000) / (now - lastTime);
        rateChanged = next !== rateNow;
        rateNow = next;
        lastCount = received.current;
        lastTime = now;
      }
      if (buffer.current.length === 0 && !rateChanged) return;
      const fresh = buffer.current.reverse();
      buffer.current = [];
      items =
        fresh.length >= LIVE_KEPT ? fresh.slice(0, LIVE_KEPT) : [...fresh, ...items].slice(0, LIVE_KEPT);
      setShown({ items, total: received.current, perSecond: rateNow });
    }, LIVE_DRAW_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [store.name]);
  return (
    <section class="live" aria-label="Live changes">
      <p class="live-head">
        <span class={`dot ${state.connected ? 'state-running' : 'state-rebalancing'}`} aria-hidden="true" />
        {state.connected ? 'Live' : (state.error ?? 'Connecting…')} ·{' '}
        <strong data-live-total={shown.total}>{count(shown.total)}</strong> changes ·{' '}
        <strong>{rate(shown.perSecond)}</strong>/s · newest first (last {count(LIVE_KEPT)} kept)
      </p>
      <VirtualList
        items={shown.items}
        rowHeight={28}
        height={196}
        label="Changes, newest first"
        row={(change) => (
          <button type="button" class="live-row" onClick={() => onSelect(change)}>
            <span class="muted">{change.timestamp === undefined ? '' : clock(change.timestamp)}</span>
            <code class="live-key">
              {typeof change.key === 'string' ? change.key : preview(change.key, 40)}
            </code>
            <code class="live-value">{preview(change.value, 160)}</code>
          </button>
        )}
      />
    </section>
  );
}
