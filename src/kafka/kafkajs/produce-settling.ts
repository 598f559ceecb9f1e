import { TributaryError } from '../../errors.ts';

/**
 * Makes each attempt of a kafkajs sendBatch start only once the produce requests of the attempts
 * before it have settled.
 *
 * kafkajs' sendBatch sends one request per partition leader (after adding the partitions to the
 * transaction) and waits for them with `Promise.all`, which rejects at the first failure while the
 * other requests are still in flight, and retries at once: a broker whose request has not answered yet
 * counts as not having answered, so the partitions it leads are sent to it again, behind the request
 * still in flight, with the next sequence numbers. Both are written: the same records twice, inside
 * one transaction, and kafkajs' answer names the partition once. (A killed node fails its requests at
 * once — a produce, or adding partitions to a transaction it coordinated — while a request to another
 * leader waits for its followers, the killed node among them, to replicate.) Once the requests before
 * have settled, a partition whose records were written has its answer, and is sent again only if its
 * leader moved, which the answer shows (kafkajs/convert.ts).
 *
 * Every attempt begins with the cluster's `refreshMetadataIfNecessary`; that is where it waits.
 */
export function settleProduceRequestsBeforeRetries(cluster: unknown): (broker: unknown) => void {
  const inFlight = new Set<Promise<void>>();
  const target = cluster as { refreshMetadataIfNecessary?: unknown };
  const refresh = target.refreshMetadataIfNecessary;
  if (typeof refresh !== 'function') throw mismatch('its Cluster has no refreshMetadataIfNecessary function');
  target.refreshMetadataIfNecessary = async (...args: unknown[]) => {
    if (inFlight.size > 0) {
      await Promise.all([...inFlight]);
      // kafkajs records an answer in a continuation of the request: let those run first.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return (refresh as (...a: unknown[]) => Promise<unknown>).apply(cluster, args);
  };
  // The first record of each partition's batch stands for the batch: every attempt of a send groups the
  // same records by partition in the same order, so a batch sent again starts with the same record (one
  // entry per batch rather than per record: tracking every record cost about 2% of a worker's CPU).
  const written = new WeakSet<object>();
  return (broker) => {
    const tracked = broker as { produce?: unknown };
    const produce = tracked.produce;
    if (typeof produce !== 'function') throw mismatch('its Broker has no produce function');
    tracked.produce = (request: ProduceRequest, ...rest: unknown[]) => {
      const firsts: object[] = [];
      for (const topic of request.topicData ?? [])
        for (const partition of topic.partitions ?? []) {
          const first = partition.messages?.[0];
          if (first !== undefined) firsts.push(first);
        }
      // A retry that got to send records again before the request that wrote them had started (it
      // waited for the broker's lock or for the transaction's partitions): refused, never sent twice.
      if (firsts.some((m) => written.has(m))) return Promise.reject(new SentAgainError());
      const sending = (produce as (...a: unknown[]) => Promise<unknown>).call(broker, request, ...rest);
      const settled = sending.then(
        () => firsts.forEach((m) => written.add(m)),
        () => undefined,
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return sending;
    };
  };
}

interface ProduceRequest {
  topicData?: { partitions?: { messages?: object[] }[] }[];
}

/**
 * kafkajs was about to send records a broker had already written in this send. Retriable for the
 * runtime (the transaction is aborted, an at-least-once send made again), but not for kafkajs' own
 * retries, which give up on it (`retriable` false).
 */
export class SentAgainError extends TributaryError {
  constructor() {
    super(
      'TRIB_KAFKA',
      'the client was about to send records again that a broker had written: the send is given up',
      {
        retriable: true,
      },
    );
    Object.defineProperty(this, 'retriable', { value: false });
  }
}

function mismatch(what: string): TributaryError {
  return new TributaryError(
    'TRIB_KAFKA_CLIENT',
    `kafkajs does not work the way Tributary relies on (${what}); Tributary supports kafkajs 2.2.x.`,
  );
}
