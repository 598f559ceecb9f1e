/**
 * What an application's own HTTP routes get (`defineApp({ http })`): typed query clients for its
 * stores, routed to the worker that owns each key, and a typed producer. Workers serve these routes;
 * the test driver and replay ignore them.
 */
import type { TopicDefinition } from '../dsl/options.ts';
import type { Headers } from '../processor/record.ts';
import type { HttpRequest, HttpResponse, HttpRoutes } from '../http/types.ts';
import type { Logger } from '../common/logger.ts';

export interface StoreReadOptions {
  /** A standby replica may answer when the active task cannot (it may be a little behind). */
  readonly standby?: boolean;
  readonly signal?: AbortSignal;
}

/** Reads one key-value store of the application, wherever each key lives. */
export interface StoreClient<K, V> {
  readonly name: string;
  /** The key's value, or undefined; throws a 503 HttpError while its owner is rebalancing or restoring. */
  get(key: K, options?: StoreReadOptions): Promise<V | undefined>;
  /**
   * Resolves with the key's value as soon as `predicate` holds for it (checked on the current value
   * first, then on every update). The wait subscribes to updates before it reads the store, at the
   * key's owner, so an update landing in between is never missed. Rejects with a 504 HttpError when
   * `timeoutMs` passes first.
   */
  waitFor(
    key: K,
    predicate: (value: V | undefined) => boolean,
    timeoutMs: number,
    options?: { readonly signal?: AbortSignal },
  ): Promise<V | undefined>;
  /**
   * Runs `action` at the worker that owns the key, one call per key at a time there, with the key's
   * value once the key's task has processed every record its input partitions held when the call
   * began: a check-then-write on a key (record it only if absent) that concurrent requests cannot
   * interleave, and that sees what was written before, also across a restart or a rebalance. At any
   * other worker the request (method, path, query, content type and body) is forwarded to the owner,
   * whose route runs again and reaches `atOwner` there; the owner's answer is returned as it came.
   * Throws a 503 `HttpError` (Retry-After) while the key's partition moves, restores or catches up.
   */
  atOwner(
    key: K,
    request: HttpRequest,
    action: (current: V | undefined) => Promise<HttpResponse>,
  ): Promise<HttpResponse>;
}

/** Where a record sent by `send` landed. */
export interface SentRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface SendOptions {
  readonly timestamp?: number;
  readonly headers?: Headers;
}

export interface AppHttpContext {
  readonly applicationId: string;
  /** A query client for a key-value store of this application (its serdes type the keys and values). */
  store<K = unknown, V = unknown>(name: string): StoreClient<K, V>;
  /**
   * Serializes and sends one record, partitioned by its key as Kafka's default partitioner does; a
   * value its serde refuses is a 400 HttpError naming the reason.
   */
  send<K, V>(
    topic: TopicDefinition<K, V>,
    key: K,
    value: V | null,
    options?: SendOptions,
  ): Promise<SentRecord>;
  readonly logger: Logger;
}

/** Adds an application's routes: `http: (routes, context) => { routes.get('/v1/x/:id', handler) }`. */
export type AppHttp = (routes: HttpRoutes, context: AppHttpContext) => void;
