import { TributaryError } from '../../errors.ts';

/**
 * Makes a failed produce request of a kafkajs client report its failure only once the client's other
 * produce requests in flight have settled.
 *
 * kafkajs' sendBatch sends one request per partition leader and waits for them with `Promise.all`, which
 * rejects at the first failure while the others are still in flight, and retries at once: a broker
 * whose request has not answered yet counts as not having answered, so the partitions it leads are
 * sent to it again, behind the request still in flight, with the next sequence numbers. Both are
 * written: the same records twice, inside one transaction, and kafkajs' answer names the partition
 * once. (A broker killed fails its requests at once, while a request to another broker waits for its
 * followers, the killed one among them, to replicate: what a cluster losing a broker does.) Once every
 * other request has settled before the retry, a partition whose records were written has its answer,
 * and is sent again only if its leader moved, which the answer shows (kafkajs/convert.ts).
 *
 * `inFlight` is shared by the brokers of one kafkajs cluster (each producer has its own).
 */
export function settleProduceRequestsTogether(broker: unknown, inFlight: Set<Promise<void>>): void {
  const target = broker as { produce?: unknown };
  const produce = target.produce;
  if (typeof produce !== 'function')
    throw new TributaryError(
      'TRIB_KAFKA_CLIENT',
      'kafkajs does not work the way Tributary relies on (its Broker has no produce function); Tributary supports kafkajs 2.2.x.',
    );
  target.produce = async (...args: unknown[]) => {
    const request = (produce as (...a: unknown[]) => Promise<unknown>).apply(broker, args);
    const settled = request.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    try {
      return await request;
    } catch (error) {
      inFlight.delete(settled);
      await Promise.all([...inFlight]);
      throw error;
    } finally {
      inFlight.delete(settled);
    }
  };
}
