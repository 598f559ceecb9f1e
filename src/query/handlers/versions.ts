/**
 * Reads of versioned stores (KIP-889) as Kafka Streams' IQv2 answers them: a key's version as of a time
 * (`VersionedKeyQuery`) and a key's versions in a time range (`MultiVersionedKeyQuery`, KIP-968). A
 * versioned store is read one key at a time, at the worker that owns the key's partition.
 */
import { HttpError, type HttpRequest, type HttpResponse } from '../../http/types.ts';
import type { StateStore } from '../../state/api.ts';
import type { StoreEntry } from '../catalog.ts';
import { badRequest } from '../errors.ts';
import { parseKey, renderJson } from '../keys.ts';
import { readVersion, readVersions } from '../local-reads.ts';
import { relay } from '../peer-client.ts';
import type { QueryService } from '../query-service.ts';
import { forwardPath, isForwarded } from './forwarding.ts';
import { booleanParam, limitParam, onlyParams, pathParam, timeParam } from './params.ts';

/** GET /stores/:store/keys/:key — the latest version, or with `asOf` the version valid then. */
export async function getVersion(
  service: QueryService,
  request: HttpRequest,
  entry: StoreEntry,
): Promise<HttpResponse> {
  const query = request.query;
  onlyParams(query, ['app', 'standby', 'asOf'], `GET /stores/${entry.name}/keys/{key} (a versioned store)`);
  const asOf = query.get('asOf') === null ? undefined : timeParam(query, 'asOf', 0);
  const keyText = pathParam(request, 'key');
  return atOwner(service, request, entry, keyText, (store, key) => {
    const found = readVersion(entry, store, key, asOf);
    if (!found)
      throw new HttpError(
        404,
        `no value for key "${keyText}" in store "${entry.name}"${asOf === undefined ? '' : ` as of ${asOf}`}`,
      );
    return found;
  });
}

/**
 * GET /stores/:store?key=&from=&to=&order=&limit= — the versions of one key valid at some time in
 * [from, to] (each open when left out), newest first unless `order=ascending`.
 */
export async function getVersions(
  service: QueryService,
  request: HttpRequest,
  entry: StoreEntry,
): Promise<HttpResponse> {
  const query = request.query;
  onlyParams(
    query,
    ['app', 'standby', 'key', 'from', 'to', 'order', 'limit'],
    `GET /stores/${entry.name} (a versioned store)`,
  );
  const keyText = query.get('key');
  if (keyText === null)
    throw badRequest(
      `store "${entry.name}" is a versioned store: it is read one key at a time; give key (and from, to, order for its versions)`,
    );
  const fromTime = query.get('from') === null ? undefined : timeParam(query, 'from', 0);
  const toTime = query.get('to') === null ? undefined : timeParam(query, 'to', 0);
  if (fromTime !== undefined && toTime !== undefined && fromTime > toTime)
    throw badRequest(`from (${fromTime}) is after to (${toTime}); the time range would be empty`);
  const order = query.get('order') ?? 'descending';
  if (order !== 'ascending' && order !== 'descending')
    throw badRequest(`order must be ascending or descending, got "${order}"`);
  const limit = limitParam(query);
  return atOwner(service, request, entry, keyText, (store, key) => {
    const { versions, truncated } = readVersions(entry, store, key, { fromTime, toTime, order }, limit);
    return { entries: versions, truncated };
  });
}

/** Reads the key where its partition lives here, or relays the answer of the worker that owns it. */
async function atOwner(
  service: QueryService,
  request: HttpRequest,
  entry: StoreEntry,
  keyText: string,
  read: (store: StateStore, key: unknown) => object,
): Promise<HttpResponse> {
  const keySerde = entry.spec.keySerde;
  const key = parseKey(keySerde, keyText, `key "${keyText}" of store "${entry.name}"`);
  const location = service.locateKey(entry, service.serializeKey(entry, key), {
    standby: booleanParam(request.query, 'standby'),
    forwarded: isForwarded(request),
  });
  if (location.where === 'remote')
    return relay(await service.forward(location.endpoints, forwardPath(request, entry), request.signal));
  return {
    status: 200,
    body: {
      store: entry.name,
      key: renderJson(keySerde, key),
      ...read(location.store, key),
      partition: location.partition,
      ...(location.standby ? { standby: true } : {}),
    },
  };
}
