/**
 * TxnOffsetCommit v3 (KIP-447) for kafkajs' transactional producers: the offsets carry the group
 * generation, member id and group instance id of the member that processed them, so the group refuses
 * the offsets of a member it has moved on from (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * FENCED_INSTANCE_ID). kafkajs 2.2.4 sends v0/v1 only, which the group accepts from anyone.
 *
 * kafkajs hands the `topics` of `transaction.sendOffsets` unchanged to the group coordinator's
 * `broker.txnOffsetCommit`; the adapter registers the generation for that very array
 * (`withGeneration`) and the broker's `txnOffsetCommit`, replaced on the brokers of transactional
 * producers (`sendGroupGenerations`, through ./fetch-hook.ts), sends v3 with it. The generation so
 * travels with its own request: no state shared between producers or between calls. A TxnOffsetCommit
 * whose topics the adapter did not register is a KafkaClientMismatchError, never a request without
 * the generation.
 */
import type { GroupGeneration } from '../port.ts';
import { KafkaClientMismatchError } from './fetch-rewrite.ts';
import { Reader, Writer } from './flexible-encoding.ts';
import { partitionError, sendThrough } from './broker-requests.ts';

/** Kafka protocol constants. */
const TXN_OFFSET_COMMIT_API_KEY = 28;
const TXN_OFFSET_COMMIT_VERSION = 3;

/** The offsets of one topic as kafkajs' `sendOffsets` takes them. */
export interface TopicOffsets {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
}

/** Everything a TxnOffsetCommit v3 request holds. */
export interface TxnOffsetCommitV3 {
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: readonly TopicOffsets[];
}

/** The generations registered for the `topics` arrays handed to kafkajs (null: none, -1 is sent). */
const generations = new WeakMap<object, GroupGeneration | null>();

/** Registers the generation `topics` are sent with; returns `topics` for kafkajs' `sendOffsets`. */
export function withGeneration<T extends readonly TopicOffsets[]>(
  topics: T,
  generation: GroupGeneration | undefined,
): T {
  generations.set(topics, generation ?? null);
  return topics;
}

/** The body of a TxnOffsetCommit v3 request (after the request header). */
export function encodeTxnOffsetCommitV3(request: TxnOffsetCommitV3): Buffer {
  const w = new Writer()
    .compactString(request.transactionalId)
    .compactString(request.groupId)
    .int64(request.producerId)
    .int16(request.producerEpoch)
    .int32(request.generationId)
    .compactString(request.memberId)
    .compactString(request.groupInstanceId);
  w.compactArray(request.topics, ({ topic, partitions }) => {
    w.compactString(topic);
    w.compactArray(partitions, ({ partition, offset }) => {
      // No leader epoch known (-1) and no metadata (null), as the Java producer sends without them.
      w.int32(partition).int64(BigInt(offset)).int32(-1).compactString(null).noTags();
    });
    w.noTags();
  });
  return w.noTags().bytes();
}

export interface TxnOffsetCommitResult {
  readonly throttleTimeMs: number;
  readonly topics: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
}

/**
 * A TxnOffsetCommit v3 response as kafkajs hands it over: after the correlation id of the response
 * header, so starting with the header's (flexible) tagged fields.
 */
export function decodeTxnOffsetCommitV3(payload: Buffer): TxnOffsetCommitResult {
  const r = new Reader(payload);
  r.tags();
  const throttleTimeMs = r.int32();
  const topics = r.compactArray(() => {
    const topic = r.compactString() ?? '';
    const partitions = r.compactArray(() => {
      const partition = r.int32();
      const errorCode = r.int16();
      r.tags();
      return { partition, errorCode };
    });
    r.tags();
    return { topic, partitions };
  });
  r.tags();
  return { throttleTimeMs, topics };
}

interface TxnOffsetCommitArgs {
  transactionalId: string;
  groupId: string;
  producerId: unknown;
  producerEpoch: number;
  topics: readonly TopicOffsets[];
}

/**
 * Has `broker` (of a transactional producer's cluster) send TxnOffsetCommit v3 with the generation
 * registered for the offsets (see withGeneration). Given to ./fetch-hook.ts, which calls it once for
 * each broker of the cluster.
 */
export function sendGroupGenerations(broker: object): void {
  const target = broker as Record<string, unknown>;
  if (typeof target.txnOffsetCommit !== 'function')
    throw new KafkaClientMismatchError('its Broker has no txnOffsetCommit function');
  const send = sendThrough(broker);
  target.txnOffsetCommit = async (args: TxnOffsetCommitArgs) => {
    const generation = generations.get(args?.topics);
    if (generation === undefined)
      throw new KafkaClientMismatchError(
        "its transaction's sendOffsets no longer hands the offsets to the broker's txnOffsetCommit as they were given",
      );
    const request: TxnOffsetCommitV3 = {
      transactionalId: args.transactionalId,
      groupId: args.groupId,
      producerId: BigInt(String(args.producerId)),
      producerEpoch: args.producerEpoch,
      generationId: generation?.generationId ?? -1,
      memberId: generation?.memberId ?? '',
      groupInstanceId: generation?.groupInstanceId ?? null,
      topics: args.topics,
    };
    return send(
      {
        apiKey: TXN_OFFSET_COMMIT_API_KEY,
        apiVersion: TXN_OFFSET_COMMIT_VERSION,
        apiName: 'TxnOffsetCommit',
        body: () => encodeTxnOffsetCommitV3(request),
        decode: decodeTxnOffsetCommitV3,
        failure: (result) => partitionError(result.topics),
      },
      'fencing transactional offsets by the group generation (Kafka 2.5 or later)',
    );
  };
}
