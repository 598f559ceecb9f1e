/** The store endpoints: list stores, read a key, read ranges (gathered from every partition's owner). */
import { isJsonObject } from '../../common/json.ts';
import { HttpError, type HttpRequest, type HttpResponse } from '../../http/types.ts';
import type { StateStore } from '../../state/api.ts';
import type { StoreEntry } from '../catalog.ts';
import { badRequest } from '../errors.ts';
import { hex, parseKey, prefixBytes, renderJson } from '../keys.ts';
import {
  mergePages,
  publicEntries,
  readAllWindows,
  readKey,
  readKeyWindows,
  readRange,
  readSessions,
  type EntryPage,
  type KeyRange,
  type QueryEntry,
  type TimeRange,
} from '../local-reads.ts';
import { relay, type PeerResponse } from '../peer-client.ts';
import { forwardPath, isForwarded } from './forwarding.ts';
import { getVersion, getVersions } from './versions.ts';
import type { QueryService } from '../query-service.ts';
import { booleanParam, limitParam, onlyParams, partitionsParam, pathParam, timeParam } from './params.ts';

/** GET /stores */
export function listStores(service: QueryService): HttpResponse {
  return {
    status: 200,
    body: {
      endpoint: service.self,
      stores: service.catalog.list().map((entry) => ({
        name: entry.name,
        application: entry.applicationId,
        kind: entry.kind,
        ...(entry.timestamped ? { timestamped: true } : {}),
        global: entry.global,
        keySerde: entry.spec.keySerde.name,
        valueSerde: entry.valueSerde.name,
        ...(entry.spec.kind === 'window' ? { windowSizeMs: entry.spec.windowSizeMs } : {}),
        ...(entry.spec.kind === 'versioned-key-value'
          ? { historyRetentionMs: entry.spec.historyRetentionMs }
          : {}),
        partitions: safeCount(service, entry),
      })),
    },
  };
}

/**
 * GET /stores/:store/keys/:key — one value (key-value), one version (versioned), or the windows or
 * sessions of one key.
 */
export async function getKey(service: QueryService, request: HttpRequest): Promise<HttpResponse> {
  const entry = service.catalog.resolve(pathParam(request, 'store'), request.query.get('app'));
  if (entry.kind === 'versioned') return getVersion(service, request, entry);
  const query = request.query;
  onlyParams(
    query,
    entry.kind === 'window'
      ? ['app', 'standby', 'from', 'to', 'limit']
      : entry.kind === 'session'
        ? ['app', 'standby', 'limit']
        : ['app', 'standby'],
    `GET /stores/${entry.name}/keys/{key} (a ${entry.kind} store)`,
  );
  const keyText = pathParam(request, 'key');
  const key = parseKey(entry.spec.keySerde, keyText, `key "${keyText}" of store "${entry.name}"`);
  const standby = booleanParam(query, 'standby');
  const time = entry.kind === 'window' ? timeRange(query) : undefined;
  const limit = limitParam(query);
  const location = service.locateKey(entry, service.serializeKey(entry, key), {
    standby,
    forwarded: isForwarded(request),
  });
  if (location.where === 'remote')
    return relay(await service.forward(location.endpoints, forwardPath(request, entry), request.signal));
  const { store, partition } = location;
  const where = { partition, ...(location.standby ? { standby: true } : {}) };
  if (entry.kind === 'key-value') {
    const found = readKey(entry, store, key);
    if (!found) throw new HttpError(404, `no value for key "${keyText}" in store "${entry.name}"`);
    const { keyHex: _hex, ...rendered } = found;
    return { status: 200, body: { store: entry.name, ...rendered, ...where } };
  }
  const page =
    time !== undefined
      ? readKeyWindows(entry, store, key, time, limit)
      : readSessions(entry, store, key, limit);
  return {
    status: 200,
    body: {
      store: entry.name,
      key: renderJson(entry.spec.keySerde, key),
      entries: publicEntries(page.entries),
      truncated: page.truncated,
      ...where,
    },
  };
}

/**
 * GET /stores/:store — key-value: `from`/`to` (inclusive key range) or `prefix`; window: `from`/`to`
 * (window start times) and optionally `key`; session: optionally `key`; versioned: `key` and its
 * versions' time range (`from`, `to`, `order`). Always `limit` (default 1000).
 */
export async function queryStore(service: QueryService, request: HttpRequest): Promise<HttpResponse> {
  const entry = service.catalog.resolve(pathParam(request, 'store'), request.query.get('app'));
  if (entry.kind === 'versioned') return getVersions(service, request, entry);
  const query = request.query;
  const limit = limitParam(query);
  const where = `GET /stores/${entry.name} (a ${entry.kind} store)`;
  let read: (store: StateStore) => EntryPage;
  if (entry.kind === 'key-value') {
    onlyParams(query, ['app', 'from', 'to', 'prefix', 'limit', 'standby', 'partitions'], where);
    const range = keyRange(entry, query);
    read = (store) => readRange(entry, store, range, limit);
  } else {
    onlyParams(
      query,
      entry.kind === 'window'
        ? ['app', 'key', 'from', 'to', 'limit', 'standby', 'partitions']
        : ['app', 'key', 'limit', 'standby', 'partitions'],
      where,
    );
    const keyText = query.get('key');
    if (keyText !== null) {
      // One key: the same as /stores/:store/keys/:key, routed to its owner.
      const forwarded = new URLSearchParams(query);
      forwarded.delete('key');
      forwarded.delete('partitions');
      return getKey(service, {
        ...request,
        path: `/stores/${encodeURIComponent(entry.name)}/keys/${encodeURIComponent(keyText)}`,
        params: { store: entry.name, key: keyText },
        query: forwarded,
      });
    }
    if (entry.kind === 'window') {
      const time = timeRange(query);
      read = (store) => readAllWindows(entry, store, time, limit);
    } else {
      read = (store) => readSessions(entry, store, undefined, limit);
    }
  }
  const page = await gather(service, request, entry, read, limit);
  return {
    status: 200,
    body: {
      store: entry.name,
      entries: isForwarded(request) ? page.entries : publicEntries(page.entries),
      truncated: page.truncated,
    },
  };
}

/** Reads every partition (or those a forwarding worker asked for): locally where they live here, else at their owners. */
async function gather(
  service: QueryService,
  request: HttpRequest,
  entry: StoreEntry,
  read: (store: StateStore) => EntryPage,
  limit: number,
): Promise<EntryPage> {
  const forwarded = isForwarded(request);
  const standby = booleanParam(request.query, 'standby');
  const partitions = entry.global
    ? [0]
    : ((forwarded ? partitionsParam(request.query) : undefined) ?? service.partitions(entry));
  const pages: EntryPage[] = [];
  const remote = new Map<string, number[]>();
  for (const partition of partitions) {
    const location = service.locatePartition(entry, partition, { standby, forwarded });
    if (location.where === 'local') pages.push(read(location.store));
    else {
      const endpoint = location.endpoints[0];
      remote.set(endpoint, [...(remote.get(endpoint) ?? []), partition]);
    }
  }
  const remotePages = await Promise.all(
    [...remote].map(async ([endpoint, parts]) => {
      const query = new URLSearchParams(request.query);
      query.set('app', entry.applicationId);
      query.set('partitions', parts.join(','));
      const response = await service.peers.getJson(endpoint, `${request.path}?${query}`, request.signal);
      if (response.status !== 200) throw relayedError(response, endpoint);
      return remotePage(response.body, endpoint);
    }),
  );
  return mergePages([...pages, ...remotePages], limit);
}

/** A page of entries another worker answered with, checked entry by entry. */
function remotePage(body: unknown, endpoint: string): EntryPage {
  const malformed = (what: string) => new HttpError(502, `worker ${endpoint} answered with ${what}`);
  if (!isJsonObject(body) || !Array.isArray(body.entries) || typeof body.truncated !== 'boolean')
    throw malformed('no page of entries');
  const entries = body.entries.map((item: unknown, index): QueryEntry => {
    if (!isJsonObject(item) || typeof item.keyHex !== 'string')
      throw malformed(`entry ${index} without its key`);
    const { key, value, timestamp, window, keyHex } = item;
    return {
      key,
      value,
      ...(typeof timestamp === 'number' ? { timestamp } : {}),
      ...(isJsonObject(window) && typeof window.start === 'number' && typeof window.end === 'number'
        ? { window: { start: window.start, end: window.end } }
        : {}),
      keyHex,
    };
  });
  return { entries, truncated: body.truncated };
}

function keyRange(entry: StoreEntry, query: URLSearchParams): KeyRange {
  const serde = entry.spec.keySerde;
  const [fromText, toText, prefixText] = [query.get('from'), query.get('to'), query.get('prefix')];
  if (prefixText !== null) {
    if (fromText !== null || toText !== null)
      throw badRequest('give either prefix or a from/to range, not both');
    const prefix = parseKey(serde, prefixText, `prefix "${prefixText}" of store "${entry.name}"`);
    return { prefix: prefixBytes(serde, prefix) };
  }
  const from =
    fromText === null ? undefined : parseKey(serde, fromText, `from "${fromText}" of store "${entry.name}"`);
  const to = toText === null ? undefined : parseKey(serde, toText, `to "${toText}" of store "${entry.name}"`);
  if (from !== undefined && to !== undefined && hex(serde.serialize(from)) > hex(serde.serialize(to)))
    throw badRequest(
      `from "${fromText}" sorts after to "${toText}" (keys are ordered by their serialized bytes); the range would be empty`,
    );
  return { from, to };
}

function timeRange(query: URLSearchParams): TimeRange {
  const from = timeParam(query, 'from', 0);
  const to = timeParam(query, 'to', Number.MAX_SAFE_INTEGER);
  if (from > to) throw badRequest(`from (${from}) is after to (${to}); the time range would be empty`);
  return { from, to };
}

function relayedError(response: PeerResponse, endpoint: string): HttpError {
  const message = isJsonObject(response.body) ? response.body.error : undefined;
  return new HttpError(
    response.status === 503 ? 503 : 502,
    `worker ${endpoint}: ${typeof message === 'string' ? message : `HTTP ${response.status}`}`,
    {
      headers: response.status === 503 ? { 'retry-after': response.headers['retry-after'] ?? '1' } : {},
    },
  );
}

function safeCount(service: QueryService, entry: StoreEntry): number | null {
  try {
    return service.partitions(entry).length;
  } catch {
    return null;
  }
}
