/**
 * Puts ./fetch-rewrite.ts between kafkajs' fetch decoder and its consumers, on the one kafkajs instance
 * the adapter creates (no other instance in the process is touched), has each retry of a send wait
 * for the produce requests before it (./produce-settling.ts), reads committed offsets only once no open
 * transaction is about to change them (./stable-offsets.ts), and lets the adapter watch the brokers of
 * the clients it chooses (withClusterWatch): the coordinator cache and TxnOffsetCommit v3 of
 * transactional producers, the group generations of consumers.
 *
 * The path: the instance's private cluster factory → each cluster's `findBroker` → each broker's
 * `lookupRequest`, which builds the Fetch request → that request's `response.decode`, which now also
 * reads where the raw response's batches end and rewrites what kafkajs decoded. Each step checks the
 * shape it relies on: the factory at start (with a kafkajs Batch built from a rewritten partition), the
 * rest the first time it is used, and every batch the adapter receives must carry the rewrite's tag
 * (assertRewrittenBatch). A mismatch is a KafkaClientMismatchError.
 */
// First: replaces kafkajs' record-set decoder before its first Fetch response loads it.
import './fetch-decoding.ts';
import type { Kafka } from 'kafkajs';
import { batchEnds } from './fetch-batches.ts';
import { settleProduceRequestsBeforeRetries } from './produce-settling.ts';
import { fetchStableOffsets } from './stable-offsets.ts';
import {
  KafkaClientMismatchError,
  rewriteFetchResponse,
  verifyBatchExposesRewrittenPartition,
} from './fetch-rewrite.ts';

/** Kafka protocol constants. */
const FETCH_API_KEY = 1;
const READ_COMMITTED = 1;

/** Makes every consumer `kafka` creates from now on read through the rewrite. */
export function applyFetchRewrite(kafka: Kafka): void {
  verifyBatchExposesRewrittenPartition();
  const instance = kafka as unknown as Record<symbol, unknown>;
  const factory = Object.getOwnPropertySymbols(instance).find(
    (symbol) => symbol.description === 'private:Kafka:createCluster',
  );
  const createCluster = factory === undefined ? undefined : instance[factory];
  if (factory === undefined || typeof createCluster !== 'function') {
    throw new KafkaClientMismatchError('the Kafka object has no private createCluster function');
  }
  instance[factory] = (options: unknown) => {
    const cluster = (createCluster as (options: unknown) => unknown).call(kafka, options);
    interceptBrokers(cluster, pendingWatch?.(cluster));
    return cluster;
  };
}

/** What the cluster made inside withClusterWatch does with each of its brokers; none for any other. */
export type ClusterWatch = (cluster: unknown) => (broker: object) => void;

/** The watch of the client withClusterWatch is creating now: the cluster the factory makes then is its own. */
let pendingWatch: ClusterWatch | undefined;

/**
 * Creates a client (kafkajs makes its cluster synchronously, inside `create`) whose cluster is given
 * to `watch`, which returns what to do with each of its brokers, once, when the cluster first hands it
 * out.
 */
export function withClusterWatch<T>(watch: ClusterWatch, create: () => T): T {
  const previous = pendingWatch;
  pendingWatch = watch;
  try {
    return create();
  } finally {
    pendingWatch = previous;
  }
}

/**
 * The brokers a cluster hands out build their Fetch requests through interceptFetch, and their produce
 * requests are awaited before a send is tried again (produce-settling.ts), and their committed-offset
 * reads are stable (stable-offsets.ts); `alsoOnce` is given each broker the first time, as well (the
 * client's watch from withClusterWatch).
 */
function interceptBrokers(cluster: unknown, alsoOnce?: (broker: object) => void): void {
  const target = cluster as { findBroker?: unknown };
  const findBroker = target.findBroker;
  if (typeof findBroker !== 'function') {
    throw new KafkaClientMismatchError('its Cluster has no findBroker function');
  }
  const trackProduceRequests = settleProduceRequestsBeforeRetries(cluster);
  target.findBroker = async (...args: unknown[]) => {
    const broker = await (findBroker as (...a: unknown[]) => Promise<unknown>).apply(cluster, args);
    if (typeof broker === 'object' && broker !== null && !intercepted.has(broker)) {
      trackProduceRequests(broker);
      fetchStableOffsets(broker);
      alsoOnce?.(broker);
    }
    interceptLookup(broker);
    return broker;
  };
}

type Lookup = (apiKey: number, definition: unknown) => (args: FetchArgs) => unknown;
interface FetchArgs {
  isolationLevel?: number;
}

const intercepted = new WeakSet<object>();

/**
 * A broker assigns `lookupRequest` when it connects (and again on reconnecting), so it becomes an
 * accessor that hands out whatever was assigned last, wrapped.
 */
function interceptLookup(broker: unknown): void {
  if (typeof broker !== 'object' || broker === null || intercepted.has(broker)) return;
  let lookup = (broker as { lookupRequest?: unknown }).lookupRequest;
  if (typeof lookup !== 'function') {
    throw new KafkaClientMismatchError('its Broker has no lookupRequest function');
  }
  Object.defineProperty(broker, 'lookupRequest', {
    configurable: true,
    enumerable: true,
    get: () => {
      const current = lookup as Lookup;
      return (apiKey: number, definition: unknown) => {
        const build = current.call(broker, apiKey, definition);
        return apiKey === FETCH_API_KEY ? (args: FetchArgs) => interceptFetch(build(args), args) : build;
      };
    },
    set: (next: unknown) => {
      lookup = next;
    },
  });
  intercepted.add(broker);
}

interface FetchProtocol {
  request?: { apiVersion?: unknown };
  response?: { decode?: unknown; parse?: unknown };
}

function interceptFetch(built: unknown, args: FetchArgs): unknown {
  const protocol = built as FetchProtocol;
  const apiVersion = protocol.request?.apiVersion;
  const decode = protocol.response?.decode;
  if (typeof apiVersion !== 'number' || typeof decode !== 'function') {
    throw new KafkaClientMismatchError('its Fetch request has no API version or response decoder');
  }
  // kafkajs' Fetch request defaults to read_committed.
  const readCommitted = (args?.isolationLevel ?? READ_COMMITTED) === READ_COMMITTED;
  return {
    ...protocol,
    response: {
      ...protocol.response,
      decode: async (raw: Buffer) => {
        const decoded: unknown = await (decode as (raw: Buffer) => Promise<unknown>).call(
          protocol.response,
          raw,
        );
        rewriteFetchResponse(decoded, { readCommitted, ends: batchEnds(raw, apiVersion) });
        return decoded;
      },
    },
  };
}
