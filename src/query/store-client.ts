import { HttpError, type HttpRequest, type HttpResponse } from '../http/types.ts';
import { fromJsonForm, type Serde } from '../serde/serde.ts';
import type { StateStore } from '../state/api.ts';
import { toBinaryKey } from '../state/bytes.ts';
import type { StoreClient, StoreReadOptions } from './api.ts';
import { awaitCaughtUp, type LogEnds } from './catch-up.ts';
import { subtopologyOf, type StoreEntry } from './catalog.ts';
import { QueryTimeoutError, QueryUnavailableError } from './errors.ts';
import { isForwarded } from './handlers/forwarding.ts';
import { KeyLock } from './key-lock.ts';
import { keyToText } from './keys.ts';
import { keyValueStore, plainValue } from './local-reads.ts';
import { relay } from './peer-client.ts';
import type { QueryService } from './query-service.ts';
import { taskId } from './routing.ts';
import { readEvents } from './sse.ts';
import { isJsonObject } from '../common/json.ts';
import { toError } from '../common/to-error.ts';

type WaitOutcome<V> =
  | { readonly kind: 'value'; readonly value: V | undefined }
  | { readonly kind: 'timeout' }
  /** The key's owner changed (a rebalance) or could not answer: look it up again. */
  | { readonly kind: 'retry'; readonly error?: Error };

/** How long a wait pauses before asking again while the key's owner is unavailable. */
const RETRY_PAUSE_MS = 200;
/** How long the owner of a key may take to send the value it holds. */
const FIRST_ANSWER_MS = 10_000;
/** How long `atOwner` waits for the key's task to catch up with its input before it answers 503. */
export const CATCH_UP_MS = 5_000;

/** A typed client of one key-value store: local reads where the key lives here, HTTP to its owner otherwise. */
export class RoutedStoreClient<K, V> implements StoreClient<K, V> {
  readonly name: string;
  private readonly service: QueryService;
  private readonly entry: StoreEntry;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly logEnds: LogEnds;
  /** Serializes `atOwner` calls per key (by the key's bytes). */
  private readonly ownerLock = new KeyLock();

  constructor(service: QueryService, entry: StoreEntry, logEnds: LogEnds) {
    if (entry.kind !== 'key-value')
      throw new HttpError(
        500,
        `store "${entry.name}" of application "${entry.applicationId}" is a ${entry.kind} store; store clients read key-value stores`,
      );
    this.service = service;
    this.entry = entry;
    this.name = entry.name;
    this.keySerde = entry.spec.keySerde as Serde<K>;
    this.valueSerde = entry.valueSerde as Serde<V>;
    this.logEnds = logEnds;
  }

  async get(key: K, options: StoreReadOptions = {}): Promise<V | undefined> {
    const location = this.service.locateKey(this.entry, this.keySerde.serialize(key), {
      standby: options.standby,
    });
    if (location.where === 'local') return this.readLocal(location.store, key);
    const query = new URLSearchParams({ app: this.entry.applicationId });
    if (options.standby) query.set('standby', 'true');
    const response = await this.service.forward(
      location.endpoints,
      `/stores/${encodeURIComponent(this.name)}/keys/${encodeURIComponent(keyToText(this.keySerde, key))}?${query}`,
      options.signal,
    );
    const body = isJsonObject(response.body) ? response.body : undefined;
    if (response.status === 200) return this.fromJson(body?.value);
    if (response.status === 404) return undefined;
    const error = typeof body?.error === 'string' ? body.error : undefined;
    if (response.status === 503)
      throw new QueryUnavailableError(error ?? `store "${this.name}" is unavailable`);
    throw new HttpError(
      502,
      `reading store "${this.name}" at another worker failed: ${error ?? `HTTP ${response.status}`}`,
    );
  }

  async waitFor(
    key: K,
    predicate: (value: V | undefined) => boolean,
    timeoutMs: number,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<V | undefined> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    const keyBytes = this.keySerde.serialize(key);
    // The wait also ends when the worker stops serving queries.
    const stopped = this.service.closed;
    const signal = options.signal ? AbortSignal.any([options.signal, stopped]) : stopped;
    let unavailable: Error | undefined;
    for (let first = true; first || Date.now() < deadline; first = false) {
      if (stopped.aborted) throw new QueryUnavailableError('this worker is stopping; ask another one');
      if (signal.aborted) break;
      let outcome: WaitOutcome<V>;
      try {
        const location = this.service.locateKey(this.entry, keyBytes);
        outcome =
          location.where === 'local'
            ? await this.waitLocal(location.store, key, keyBytes, predicate, deadline, signal)
            : await this.waitRemote(location.endpoints[0], key, predicate, deadline, signal);
      } catch (error) {
        if (!(error instanceof QueryUnavailableError)) throw error;
        outcome = { kind: 'retry', error };
      }
      if (outcome.kind === 'value') return outcome.value;
      if (outcome.kind === 'timeout') {
        unavailable = undefined;
        break;
      }
      unavailable = outcome.error ?? unavailable;
      await pause(Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - Date.now())), signal);
    }
    if (stopped.aborted) throw new QueryUnavailableError('this worker is stopping; ask another one');
    if (unavailable) throw unavailable;
    throw new QueryTimeoutError(
      `key "${keyToText(this.keySerde, key)}" of store "${this.name}" did not reach the awaited state within ${timeoutMs} ms`,
    );
  }

  async atOwner(
    key: K,
    request: HttpRequest,
    action: (current: V | undefined) => Promise<HttpResponse>,
  ): Promise<HttpResponse> {
    if (this.entry.global)
      throw new HttpError(
        500,
        `store "${this.name}" is a global store: every worker holds all of it, none owns a key`,
      );
    const keyBytes = this.keySerde.serialize(key);
    const location = this.service.locateKey(this.entry, keyBytes, { forwarded: isForwarded(request) });
    if (location.where === 'remote') return this.forward(location.endpoints[0], request);
    const id = taskId(subtopologyOf(this.entry), location.partition);
    return this.ownerLock.run(toBinaryKey(keyBytes), async () => {
      await awaitCaughtUp({
        task: () => this.entry.runner.activeTasks.get(id),
        logEnds: this.logEnds,
        timeoutMs: CATCH_UP_MS,
        what: `partition ${location.partition} of store "${this.name}"`,
        signal: request.signal,
      });
      // Still here after the wait? (As a forwarded request: answer locally or say 503.)
      const here = this.service.locateKey(this.entry, keyBytes, { forwarded: true });
      if (here.where !== 'local')
        throw new QueryUnavailableError(`store "${this.name}" moved to another worker meanwhile`);
      return action(this.readLocal(here.store, key));
    });
  }

  /** The request, as it came, at the key's owner (whose route calls `atOwner` again, there). */
  private async forward(endpoint: string, request: HttpRequest): Promise<HttpResponse> {
    const query = request.query.toString();
    const withBody = request.method !== 'GET' && request.method !== 'HEAD';
    const contentType = request.headers['content-type'];
    return relay(
      await this.service.peers.send(endpoint, {
        method: request.method,
        pathAndQuery: `${request.path}${query === '' ? '' : `?${query}`}`,
        ...(withBody
          ? {
              contentType: typeof contentType === 'string' ? contentType : 'application/json',
              body: await request.text(),
            }
          : {}),
        signal: request.signal,
      }),
    );
  }

  private readLocal(store: StateStore, key: K): V | undefined {
    return plainValue(this.entry, keyValueStore(this.entry, store).get(key)) as V | undefined;
  }

  private fromJson(json: unknown): V | undefined {
    return fromJsonForm(this.valueSerde, json) ?? undefined;
  }

  /** Subscribes to the key's changes, then reads it: both here, in one turn of the event loop. */
  private waitLocal(
    store: StateStore,
    key: K,
    keyBytes: Uint8Array,
    predicate: (value: V | undefined) => boolean,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<WaitOutcome<V>> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (outcome: WaitOutcome<V> | Error) => {
        if (done) return;
        done = true;
        unsubscribe();
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const check = (value: V | undefined) => {
        try {
          if (predicate(value)) finish({ kind: 'value', value });
        } catch (error) {
          finish(toError(error));
        }
      };
      const onAbort = () => finish({ kind: 'timeout' });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', onAbort);
      const unsubscribe = this.service.bus.subscribe({
        entry: this.entry,
        binaryKey: toBinaryKey(keyBytes),
        onChange: (event) => check(plainValue(this.entry, event.change.value) as V | undefined),
        onEnd: () => finish({ kind: 'retry' }),
      });
      // Read after subscribing, in the same turn: no update can fall between the two.
      check(this.readLocal(store, key));
    });
  }

  /** Waits on the owner's event stream of the key, which starts with the value it holds (read after subscribing). */
  private async waitRemote(
    endpoint: string,
    key: K,
    predicate: (value: V | undefined) => boolean,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<WaitOutcome<V>> {
    const query = new URLSearchParams({
      app: this.entry.applicationId,
      key: keyToText(this.keySerde, key),
      initial: 'true',
    });
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal?.addEventListener('abort', onAbort);
    // The deadline counts from the first answer: even a wait of 0 ms sees the value the owner holds.
    let timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()) + FIRST_ANSWER_MS);
    let timedOut = false;
    try {
      const response = await this.service.peers.stream(
        endpoint,
        `/stores/${encodeURIComponent(this.name)}/changes?${query}`,
        abort.signal,
      );
      if (response.statusCode !== 200) {
        response.resume();
        if (response.statusCode === 503)
          return {
            kind: 'retry',
            error: new QueryUnavailableError(`the owner of the key (${endpoint}) is unavailable`),
          };
        throw new HttpError(502, `waiting at worker ${endpoint} failed: HTTP ${response.statusCode}`);
      }
      let outcome: WaitOutcome<V> | undefined;
      let failure: unknown;
      await readEvents(response, (event) => {
        if (outcome || failure || (event.event !== 'current' && event.event !== 'change')) return;
        try {
          const data: unknown = JSON.parse(event.data);
          const value = this.fromJson(isJsonObject(data) ? data.value : undefined);
          if (predicate(value)) {
            outcome = { kind: 'value', value };
            response.destroy();
          } else if (event.event === 'current') {
            clearTimeout(timer);
            timer = setTimeout(
              () => {
                timedOut = true;
                abort.abort();
              },
              Math.max(0, deadline - Date.now()),
            );
          }
        } catch (error) {
          failure = error;
          response.destroy();
        }
      });
      if (failure) throw failure;
      if (outcome) return outcome;
      return timedOut || signal?.aborted ? { kind: 'timeout' } : { kind: 'retry' };
    } catch (error) {
      if (timedOut || signal?.aborted) return { kind: 'timeout' };
      if (abort.signal.aborted)
        return {
          kind: 'retry',
          error: new QueryUnavailableError(`the owner of the key (${endpoint}) did not answer`),
        };
      if (error instanceof QueryUnavailableError) return { kind: 'retry', error };
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}
