/**
 * GET /stores/:store/changes — server-sent events of every update of a key (at the key's owner,
 * proxied from any other worker) or of all keys (this worker's own tasks, plus a stream from each
 * other worker that runs some of the store's partitions). A rebalance ends the stream with a
 * `rebalance` event; EventSource clients reconnect by themselves and land where the keys live now.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject } from '../../common/json.ts';
import { HttpError, type HttpRequest, type HttpResponse } from '../../http/types.ts';
import { toBinaryKey } from '../../state/bytes.ts';
import type { StoreEntry } from '../catalog.ts';
import type { ChangeEvent } from '../change-bus.ts';
import { badRequest } from '../errors.ts';
import { parseKey } from '../keys.ts';
import { keyValueStore, renderEntry } from '../local-reads.ts';
import type { QueryService } from '../query-service.ts';
import { readEvents, SseWriter } from '../sse.ts';
import { booleanParam, onlyParams, pathParam } from './params.ts';
import { forwardPath, isForwarded } from './forwarding.ts';

/** What a `change` event carries. */
export function renderChange(event: ChangeEvent): Record<string, unknown> {
  const { keyHex: _hex, ...rendered } = renderEntry(
    event.entry,
    event.change.key,
    event.change.value,
    event.change.window,
  );
  return { ...rendered, partition: event.partition };
}

export async function streamChanges(
  service: QueryService,
  request: HttpRequest,
  raw: { req: IncomingMessage; res: ServerResponse },
): Promise<HttpResponse | undefined> {
  const entry = service.catalog.resolve(pathParam(request, 'store'), request.query.get('app'));
  const query = request.query;
  onlyParams(query, ['app', 'key', 'initial'], `GET /stores/${entry.name}/changes`);
  if (entry.global)
    throw badRequest(
      `store "${entry.name}" is a global store; it is loaded from its topic and has no change stream`,
    );
  if (entry.kind === 'versioned')
    throw badRequest(
      `store "${entry.name}" is a versioned store; it has no change stream (read a key's versions with GET /stores/${entry.name}?key=)`,
    );
  const initial = booleanParam(query, 'initial');
  if (initial && (entry.kind !== 'key-value' || query.get('key') === null))
    throw badRequest('initial=true needs a key of a key-value store');
  const forwarded = isForwarded(request);
  const keyText = query.get('key');
  if (keyText !== null) {
    const key = parseKey(entry.spec.keySerde, keyText, `key "${keyText}" of store "${entry.name}"`);
    const bytes = service.serializeKey(entry, key);
    const location = service.locateKey(entry, bytes, { forwarded });
    if (location.where === 'remote') return proxy(service, request, raw, entry, location.endpoints[0]);
    const writer = new SseWriter(raw.req, raw.res);
    // Subscribe before reading: an update between the read and the subscription cannot slip through.
    subscribe(service, writer, entry, toBinaryKey(bytes));
    if (initial) {
      const stored = keyValueStore(entry, location.store).get(key);
      const { keyHex: _hex, ...current } = renderEntry(entry, key, stored ?? null);
      writer.send('current', { ...current, partition: location.partition });
    }
    return undefined;
  }
  // Every key: the partitions here, and a stream from each other worker that runs some.
  const remote = new Set<string>();
  if (!forwarded) {
    for (const partition of service.partitions(entry)) {
      const location = service.locatePartition(entry, partition);
      if (location.where === 'remote') remote.add(location.endpoints[0]);
    }
  }
  const upstreams = await Promise.all(
    [...remote].map((endpoint) => openUpstream(service, request, entry, endpoint)),
  );
  const writer = new SseWriter(raw.req, raw.res);
  subscribe(service, writer, entry, undefined);
  for (const upstream of upstreams) {
    writer.onClose(() => upstream.destroy());
    // One worker's stream ending means its partitions are moving: end ours so the client reconnects.
    void readEvents(upstream, (event) => {
      if (event.event === 'change') writer.forward(event);
    }).then(() => writer.end('rebalance'));
  }
  return undefined;
}

function subscribe(
  service: QueryService,
  writer: SseWriter,
  entry: StoreEntry,
  binaryKey: string | undefined,
): void {
  const unsubscribe = service.bus.subscribe({
    entry,
    ...(binaryKey === undefined ? {} : { binaryKey }),
    onChange: (event) => writer.send('change', renderChange(event)),
    onEnd: (reason) => writer.end(reason),
  });
  writer.onClose(unsubscribe);
}

async function proxy(
  service: QueryService,
  request: HttpRequest,
  raw: { req: IncomingMessage; res: ServerResponse },
  entry: StoreEntry,
  endpoint: string,
): Promise<HttpResponse | undefined> {
  const upstream = await openUpstream(service, request, entry, endpoint);
  const writer = new SseWriter(raw.req, raw.res);
  writer.onClose(() => upstream.destroy());
  void readEvents(upstream, (event) => writer.forward(event)).then(() => writer.end());
  return undefined;
}

/** Opens another worker's stream; a refusal (503 during a rebalance, 400) is passed on as an error. */
async function openUpstream(
  service: QueryService,
  request: HttpRequest,
  entry: StoreEntry,
  endpoint: string,
) {
  const upstream = await service.peers.stream(endpoint, forwardPath(request, entry), request.signal);
  if (upstream.statusCode === 200) return upstream;
  const text = await new Promise<string>((resolve) => {
    let body = '';
    upstream.setEncoding('utf8');
    upstream.on('data', (chunk: string) => (body += chunk));
    upstream.on('end', () => resolve(body));
    upstream.on('error', () => resolve(body));
  });
  let message = `HTTP ${upstream.statusCode}`;
  try {
    const body: unknown = JSON.parse(text);
    if (isJsonObject(body) && typeof body.error === 'string') message = body.error;
  } catch {
    // keep the status
  }
  const status = upstream.statusCode ?? 502;
  throw new HttpError(status === 503 || status < 500 ? status : 502, `worker ${endpoint}: ${message}`, {
    headers: status === 503 ? { 'retry-after': String(upstream.headers['retry-after'] ?? '1') } : {},
  });
}
