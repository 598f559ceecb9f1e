import { KafkaClientMismatchError } from './fetch-rewrite.ts';
import { kafkaErrorType } from './convert.ts';

/**
 * The requests a transactional producer sends to a coordinator: one that fails because the broker no
 * longer coordinates, or without the broker's answer at all (a connection lost, a timeout), means the
 * next lookup asks the cluster again.
 */
const COORDINATOR_REQUESTS = [
  'initProducerId',
  'addPartitionsToTxn',
  'addOffsetsToTxn',
  'txnOffsetCommit',
  'endTxn',
] as const;

/**
 * The broker's answers that say it is not (or no longer) the coordinator. Other answers come from the
 * coordinator itself (CONCURRENT_TRANSACTIONS right after a commit, a fenced epoch, a denied ACL): the
 * cache stays.
 */
const MOVED = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE']);

/** True when a coordinator request's failure means the coordinator may be elsewhere now. */
function coordinatorMayHaveMoved(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type === undefined || MOVED.has(type);
}

type Lookup = (args: { groupId: string; coordinatorType?: number }) => Promise<unknown>;

/**
 * Has a kafkajs cluster remember which broker coordinates each transactional id and consumer group.
 *
 * kafkajs 2.2.4 sends a FindCoordinator request before every transactional request: adding partitions,
 * adding offsets (twice: the transaction's coordinator, then the group's), committing. A task's
 * transaction of 100 ms so made four more round trips than it needs, and with a producer per task the
 * broker answered hundreds of them a second: under exactly-once at 300 orders/s, adding the offsets
 * took 130 to 320 ms on average of a commit's 330 to 670.
 *
 * A lookup is answered from the cache until a request to a coordinator fails because the coordinator
 * may have moved (the broker says it is not the coordinator, or did not answer), which empties it.
 * Lookups in flight are shared. Only the clusters of transactional producers get the cache (see
 * ./fetch-hook.ts): each lives as long as its producer, which a failed transaction replaces.
 *
 * Returns the watch to put on each broker of the cluster, once, when the cluster first hands it out
 * (fetch-hook.ts sees every broker): it makes the broker's coordinator requests empty the cache when
 * they fail in a way that may mean the coordinator moved.
 */
export function cacheCoordinators(cluster: unknown): (broker: unknown) => void {
  const target = cluster as { findGroupCoordinatorMetadata?: unknown };
  const lookup = target.findGroupCoordinatorMetadata;
  if (typeof lookup !== 'function') {
    throw new KafkaClientMismatchError('its Cluster has no findGroupCoordinatorMetadata function');
  }
  const known = new Map<string, Promise<unknown>>();
  const forget = () => known.clear();
  target.findGroupCoordinatorMetadata = ((args) => {
    const key = `${args.coordinatorType ?? 0}:${args.groupId}`;
    let found = known.get(key);
    if (!found) {
      found = (lookup as Lookup).call(cluster, args);
      known.set(key, found);
      found.catch(() => {
        if (known.get(key) === found) known.delete(key);
      });
    }
    return found;
  }) satisfies Lookup;
  return (broker) => forgetOnFailure(broker as Record<string, unknown>, forget);
}

/**
 * A coordinator request of `broker` that fails because the coordinator may have moved empties the
 * cache before its caller sees the failure.
 */
function forgetOnFailure(broker: Record<string, unknown>, forget: () => void): void {
  for (const name of COORDINATOR_REQUESTS) {
    const request = broker[name];
    if (typeof request !== 'function') {
      throw new KafkaClientMismatchError(`its Broker has no ${name} function`);
    }
    broker[name] = (...args: unknown[]) =>
      (request as (...a: unknown[]) => Promise<unknown>).apply(broker, args).catch((error: unknown) => {
        if (coordinatorMayHaveMoved(error)) forget();
        throw error;
      });
  }
}
