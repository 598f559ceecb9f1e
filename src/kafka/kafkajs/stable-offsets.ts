/**
 * OffsetFetch v7 with `require_stable` (KIP-447) for every committed-offset read of the adapter: while
 * a transaction that commits offsets of a partition is open, the group answers UNSTABLE_OFFSET_COMMIT
 * for it, and the read is asked again until the transaction is complete. kafkajs 2.2.4 sends v4 at
 * most, which answers the offsets committed before that transaction: a member that took a task over
 * from one whose last transaction was still completing would start from offsets that transaction is
 * about to move on, and process its records a second time. (With a transactional producer per task,
 * claiming the task's transactional id waited for that transaction; one producer per member claims
 * nothing per task.) Kafka's Java consumer asks the same way under read_committed.
 *
 * The answer keeps kafkajs' shape (`responses` of topics and partitions, offsets as decimal strings),
 * so kafkajs' consumer and admin read it as their own.
 */
import { Reader, Writer } from './flexible-encoding.ts';
import { partitionError, protocolError, sendThrough } from './broker-requests.ts';
import { kafkaErrorType } from './convert.ts';
import { KafkaClientMismatchError } from './fetch-rewrite.ts';

/** Kafka protocol constants. */
const OFFSET_FETCH_API_KEY = 9;
const OFFSET_FETCH_VERSION = 7;

/** A transaction is aborted by its coordinator at its timeout; a little more than the longest one here. */
const UNSTABLE_PATIENCE_MS = 70_000;

/** kafkajs' OffsetFetch arguments: the topics' partitions, or null for every topic the group has. */
export interface OffsetFetchArgs {
  readonly groupId: string;
  readonly topics?: readonly { topic: string; partitions: readonly { partition: number }[] }[] | null;
}

export interface OffsetFetchResult {
  readonly throttleTimeMs: number;
  readonly responses: {
    topic: string;
    partitions: { partition: number; offset: string; metadata: string | null; errorCode: number }[];
  }[];
  readonly errorCode: number;
}

/** The body of an OffsetFetch v7 request (OffsetFetchRequest.json, flexible from v6). */
export function encodeOffsetFetchV7({ groupId, topics }: OffsetFetchArgs): Buffer {
  const w = new Writer().compactString(groupId);
  w.compactArray(topics ?? null, ({ topic, partitions }) => {
    w.compactString(topic);
    w.compactArray(partitions, ({ partition }) => w.int32(partition));
    w.noTags();
  });
  return w
    .int8(1) // RequireStable
    .noTags()
    .bytes();
}

/** An OffsetFetch v7 response after the correlation id (the header's tagged fields first). */
export function decodeOffsetFetchV7(payload: Buffer): OffsetFetchResult {
  const r = new Reader(payload);
  r.tags();
  const throttleTimeMs = r.int32();
  const responses = r.compactArray(() => {
    const topic = r.compactString() ?? '';
    const partitions = r.compactArray(() => {
      const partition = r.int32();
      const offset = r.int64().toString();
      r.int32(); // committed leader epoch
      const metadata = r.compactString();
      const errorCode = r.int16();
      r.tags();
      return { partition, offset, metadata, errorCode };
    });
    r.tags();
    return { topic, partitions };
  });
  const errorCode = r.int16();
  r.tags();
  return { throttleTimeMs, responses, errorCode };
}

function failure(result: OffsetFetchResult): Error | undefined {
  if (result.errorCode !== 0) return protocolError(result.errorCode);
  return partitionError(result.responses);
}

/**
 * Has `broker` answer `offsetFetch` with stable offsets (see the file's comment). Given to
 * ./fetch-hook.ts, which calls it once for each broker of every cluster the adapter's client makes.
 */
export function fetchStableOffsets(broker: object): void {
  // kafkajs' own offsetFetch is replaced, not called: what this relies on (the broker's private send
  // and its lookupRequest) is checked by sendThrough at the first read.
  let send: ReturnType<typeof sendThrough> | undefined;
  (broker as Record<string, unknown>).offsetFetch = async (args: OffsetFetchArgs) => {
    send ??= sendThrough(broker);
    const deadline = Date.now() + UNSTABLE_PATIENCE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(
          {
            apiKey: OFFSET_FETCH_API_KEY,
            apiVersion: OFFSET_FETCH_VERSION,
            apiName: 'OffsetFetch',
            body: () => encodeOffsetFetchV7(args),
            decode: decodeOffsetFetchV7,
            failure,
          },
          'reading committed offsets that no open transaction is about to change (Kafka 2.5 or later)',
        );
      } catch (error) {
        if (kafkaErrorType(error) !== 'UNSTABLE_OFFSET_COMMIT' || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** attempt, 200)));
      }
    }
  };
}

/**
 * Waits until no open transaction holds offsets of `partitions` in `groupId` (reading them stably, as
 * above), through `cluster`, a kafkajs cluster of the adapter: the previous owner of a task may still
 * be completing the transaction that commits its last offsets, changelog records and output. kafkajs'
 * consumer rejoins at once when the group rebalances, without waiting for the member's commit, so a
 * new owner can get its assignment while that transaction completes. Restoring before it completed
 * would miss what it wrote.
 */
export async function awaitStableOffsets(
  cluster: unknown,
  groupId: string,
  topics: readonly { topic: string; partitions: readonly number[] }[],
): Promise<void> {
  if (topics.length === 0) return;
  const find = (cluster as { findGroupCoordinator?: unknown }).findGroupCoordinator;
  if (typeof find !== 'function')
    throw new KafkaClientMismatchError('its Cluster has no findGroupCoordinator function');
  const coordinator = (await (find as (args: object) => Promise<unknown>).call(cluster, { groupId })) as {
    offsetFetch?: unknown;
  };
  if (typeof coordinator?.offsetFetch !== 'function')
    throw new KafkaClientMismatchError('its Broker has no offsetFetch function');
  await (coordinator.offsetFetch as (args: OffsetFetchArgs) => Promise<unknown>).call(coordinator, {
    groupId,
    topics: topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map((partition) => ({ partition })),
    })),
  });
}
