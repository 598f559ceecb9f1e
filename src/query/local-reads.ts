/**
 * Reads of one local store copy (one partition's, or a global store), rendered as JSON entries. Each
 * entry carries the hex of its serialized key, so entries from several partitions and workers merge in
 * the stores' own key order.
 */
import { TributaryError } from '../errors.ts';
import type { KeyValue } from '../processor/record.ts';
import { bytesSerde } from '../serde/primitives.ts';
import type {
  ReadOnlyKeyValueStore,
  ReadOnlySessionStore,
  ReadOnlyVersionedKeyValueStore,
  ReadOnlyWindowStore,
  StateStore,
  ValueAndTimestamp,
  VersionedRecord,
  VersionsQuery,
  Window,
  Windowed,
} from '../state/api.ts';
import type { StoreEntry } from './catalog.ts';
import { hex, renderJson } from './keys.ts';

export interface QueryEntry {
  readonly key: unknown;
  readonly value: unknown;
  /** Table stores: the timestamp of the record that last wrote the value. */
  readonly timestamp?: number;
  readonly window?: Window;
  /** The serialized key in hex (dropped before answering a client). */
  readonly keyHex: string;
}

export interface EntryPage {
  readonly entries: QueryEntry[];
  /** True when the limit cut the result short. */
  readonly truncated: boolean;
}

export interface KeyRange {
  readonly from?: unknown;
  readonly to?: unknown;
  /** Serialized key prefix. */
  readonly prefix?: Uint8Array;
}

export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

const prefixSerde = bytesSerde();

/** One value and how it renders (timestamped stores hold ValueAndTimestamp). */
export function renderValue(entry: StoreEntry, stored: unknown): { value: unknown; timestamp?: number } {
  const serde = entry.valueSerde;
  if (entry.timestamped) {
    const vat = valueAndTimestamp(entry, stored);
    return { value: renderJson(serde, vat.value), timestamp: vat.timestamp };
  }
  return { value: renderJson(serde, stored) };
}

/** The plain value of a stored one (unwrapping a table's ValueAndTimestamp). */
export function plainValue(entry: StoreEntry, stored: unknown): unknown {
  if (stored === null || stored === undefined) return undefined;
  return entry.timestamped ? valueAndTimestamp(entry, stored).value : stored;
}

/** What a timestamped store holds for a key, checked (a table store keeps each value with its timestamp). */
function valueAndTimestamp(entry: StoreEntry, stored: unknown): ValueAndTimestamp<unknown> {
  if (typeof stored === 'object' && stored !== null && 'value' in stored && 'timestamp' in stored) {
    const { value, timestamp } = stored;
    if (typeof timestamp === 'number') return { value, timestamp };
  }
  throw new TributaryError(
    'TRIB_STORE',
    `store "${entry.name}" is timestamped but holds a value without a timestamp`,
  );
}

export function renderEntry(entry: StoreEntry, key: unknown, stored: unknown, window?: Window): QueryEntry {
  const keySerde = entry.spec.keySerde;
  return {
    key: renderJson(keySerde, key),
    ...(stored === null || stored === undefined ? { value: null } : renderValue(entry, stored)),
    ...(window ? { window: { start: window.start, end: window.end } } : {}),
    keyHex: hex(keySerde.serialize(key)),
  };
}

/** A key's value in a key-value store, or undefined. */
export function readKey(entry: StoreEntry, store: StateStore, key: unknown): QueryEntry | undefined {
  const stored = keyValueStore(entry, store).get(key);
  return stored === undefined ? undefined : renderEntry(entry, key, stored);
}

/** One version of a key in a versioned store, as answers show it. */
export interface VersionEntry {
  readonly value: unknown;
  readonly timestamp: number;
  /** When a newer version replaced this one; absent for the latest version. */
  readonly validTo?: number;
}

function renderVersion(entry: StoreEntry, record: VersionedRecord<unknown>): VersionEntry {
  return {
    value: renderJson(entry.valueSerde, record.value),
    timestamp: record.timestamp,
    ...(record.validTo === undefined ? {} : { validTo: record.validTo }),
  };
}

/** The version of a key valid at `asOf` (its latest version when undefined), or undefined. */
export function readVersion(
  entry: StoreEntry,
  store: StateStore,
  key: unknown,
  asOf: number | undefined,
): VersionEntry | undefined {
  const versioned = versionedStore(entry, store);
  const record = asOf === undefined ? versioned.get(key) : versioned.get(key, asOf);
  return record && renderVersion(entry, record);
}

/** The versions of a key valid in a time range, in the order asked for, up to `limit`. */
export function readVersions(
  entry: StoreEntry,
  store: StateStore,
  key: unknown,
  query: VersionsQuery,
  limit: number,
): { readonly versions: VersionEntry[]; readonly truncated: boolean } {
  const records = versionedStore(entry, store).getVersions(key, query);
  return {
    versions: records.slice(0, limit).map((record) => renderVersion(entry, record)),
    truncated: records.length > limit,
  };
}

/** Entries of a key-value store within a key range or with a key prefix, in key order, up to `limit`. */
export function readRange(entry: StoreEntry, store: StateStore, range: KeyRange, limit: number): EntryPage {
  const kv = keyValueStore(entry, store);
  const entries =
    range.prefix !== undefined
      ? kv.prefixScan(range.prefix, prefixSerde)
      : range.from === undefined && range.to === undefined
        ? kv.all()
        : kv.range(range.from, range.to);
  return page(entries, limit, (e) => renderEntry(entry, e.key, e.value));
}

/** Windows of one key (window store), oldest first, whose start lies in the time range. */
export function readKeyWindows(
  entry: StoreEntry,
  store: StateStore,
  key: unknown,
  time: TimeRange,
  limit: number,
): EntryPage {
  const windows = windowStore(entry, store);
  const size = windows.windowSizeMs;
  return page(windows.fetchWindows(key, time.from, time.to), limit, (w) =>
    renderEntry(entry, key, w.value, { start: w.windowStart, end: w.windowStart + size }),
  );
}

/** Windows of every key (window store) whose start lies in the time range. */
export function readAllWindows(
  entry: StoreEntry,
  store: StateStore,
  time: TimeRange,
  limit: number,
): EntryPage {
  const windows = windowStore(entry, store);
  return page(windows.fetchAll(time.from, time.to), limit, (e) => windowed(entry, e));
}

/** Sessions of one key (session store), or of every key. */
export function readSessions(
  entry: StoreEntry,
  store: StateStore,
  key: unknown | undefined,
  limit: number,
): EntryPage {
  const sessions = sessionStore(entry, store);
  return page(key === undefined ? sessions.all() : sessions.fetch(key), limit, (e) => windowed(entry, e));
}

/*
 * A store is read through the interface of the kind the catalog gave its entry. Each check looks for
 * what only that kind has, so a store of another kind is refused by name instead of failing on a
 * missing method further in.
 */

export function keyValueStore(entry: StoreEntry, store: StateStore): ReadOnlyKeyValueStore<unknown, unknown> {
  if (isKeyValueStore(store)) return store;
  throw notOfKind(entry, 'key-value');
}

function isKeyValueStore(store: StateStore): store is ReadOnlyKeyValueStore<unknown, unknown> {
  return hasMethods(store, 'get', 'range', 'prefixScan', 'all');
}

function versionedStore(
  entry: StoreEntry,
  store: StateStore,
): ReadOnlyVersionedKeyValueStore<unknown, unknown> {
  if (isVersionedStore(store)) return store;
  throw notOfKind(entry, 'versioned');
}

function isVersionedStore(store: StateStore): store is ReadOnlyVersionedKeyValueStore<unknown, unknown> {
  return hasMethods(store, 'get', 'getVersions');
}

function windowStore(entry: StoreEntry, store: StateStore): ReadOnlyWindowStore<unknown, unknown> {
  if (isWindowStore(store)) return store;
  throw notOfKind(entry, 'window');
}

function isWindowStore(store: StateStore): store is ReadOnlyWindowStore<unknown, unknown> {
  return (
    'windowSizeMs' in store &&
    typeof store.windowSizeMs === 'number' &&
    hasMethods(store, 'fetchWindows', 'fetchAll')
  );
}

function sessionStore(entry: StoreEntry, store: StateStore): ReadOnlySessionStore<unknown, unknown> {
  if (isSessionStore(store)) return store;
  throw notOfKind(entry, 'session');
}

function isSessionStore(store: StateStore): store is ReadOnlySessionStore<unknown, unknown> {
  return hasMethods(store, 'findSessions', 'fetch', 'all');
}

function hasMethods(store: StateStore, ...names: string[]): boolean {
  return names.every((name) => typeof Reflect.get(store, name) === 'function');
}

function notOfKind(entry: StoreEntry, kind: string): TributaryError {
  return new TributaryError('TRIB_STORE', `store "${entry.name}" cannot be read as a ${kind} store`);
}

function windowed(entry: StoreEntry, e: KeyValue<Windowed<unknown>, unknown>): QueryEntry {
  return renderEntry(entry, e.key.key, e.value, e.key.window);
}

function page<T>(items: Iterable<T>, limit: number, render: (item: T) => QueryEntry): EntryPage {
  const entries: QueryEntry[] = [];
  for (const item of items) {
    if (entries.length === limit) return { entries, truncated: true };
    entries.push(render(item));
  }
  return { entries, truncated: false };
}

/** Orders entries from several partitions as one store would: by key bytes, then window. */
export function compareEntries(a: QueryEntry, b: QueryEntry): number {
  if (a.keyHex !== b.keyHex) return a.keyHex < b.keyHex ? -1 : 1;
  return (a.window?.start ?? 0) - (b.window?.start ?? 0) || (a.window?.end ?? 0) - (b.window?.end ?? 0);
}

/** Merges pages from several partitions: key order, the limit applied to the whole. */
export function mergePages(pages: readonly EntryPage[], limit: number): EntryPage {
  const all = pages.flatMap((p) => p.entries).sort(compareEntries);
  return {
    entries: all.slice(0, limit),
    truncated: all.length > limit || pages.some((p) => p.truncated),
  };
}

/** Entries as clients see them: without the merge key. */
export function publicEntries(entries: readonly QueryEntry[]): Omit<QueryEntry, 'keyHex'>[] {
  return entries.map(({ keyHex: _keyHex, ...rest }) => rest);
}
