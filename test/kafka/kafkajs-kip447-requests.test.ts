import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { errorKind } from '../../src/errors.ts';
import { GroupFencedError } from '../../src/kafka/port.ts';
import { protocolError } from '../../src/kafka/kafkajs/broker-requests.ts';
import { transactionalProducerOver } from './kafkajs-fakes.ts';
import { toOffset } from '../../src/common/offset.ts';
import {
  decodeTxnOffsetCommitV3,
  encodeTxnOffsetCommitV3,
  sendGroupGenerations,
  withGeneration,
} from '../../src/kafka/kafkajs/txn-offset-commit.ts';
import { GroupGenerations } from '../../src/kafka/kafkajs/group-generations.ts';
import {
  decodeOffsetFetchV7,
  encodeOffsetFetchV7,
  fetchStableOffsets,
} from '../../src/kafka/kafkajs/stable-offsets.ts';
import { KafkaClientMismatchError } from '../../src/kafka/kafkajs/fetch-rewrite.ts';
import { kafkaErrorType } from '../../src/kafka/kafkajs/convert.ts';

const require = createRequire(import.meta.url);

/** Big-endian fixed-width integers and the flexible versions' unsigned varints, written by hand. */
const int16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
const int32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const int64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
};
/** COMPACT_STRING of ASCII shorter than 127 bytes: one length byte (length + 1), then the bytes. */
const compact = (s: string) => Buffer.concat([Buffer.from([s.length + 1]), Buffer.from(s, 'ascii')]);
const NULL_STRING = Buffer.from([0]);
const NO_TAGS = Buffer.from([0]);
/** COMPACT_ARRAY length of n (< 127) elements. */
const arrayOf = (n: number) => Buffer.from([n + 1]);

const generation = { generationId: 7, memberId: 'member-1', groupInstanceId: null };

/** TxnOffsetCommitRequest.json, version 3 (flexible), field by field. */
function expectedRequestBody(): Buffer {
  return Buffer.concat([
    compact('app-p-1'), // TransactionalId
    compact('app'), // GroupId
    int64(4242n), // ProducerId
    int16(3), // ProducerEpoch
    int32(7), // GenerationId (v3+)
    compact('member-1'), // MemberId (v3+)
    NULL_STRING, // GroupInstanceId (v3+, nullable)
    arrayOf(2), // Topics
    compact('orders'),
    arrayOf(2), // Partitions
    int32(0), // PartitionIndex
    int64(10n), // CommittedOffset
    int32(-1), // CommittedLeaderEpoch (v2+)
    NULL_STRING, // CommittedMetadata
    NO_TAGS,
    int32(5),
    int64(2n ** 40n),
    int32(-1),
    NULL_STRING,
    NO_TAGS,
    NO_TAGS, // end of topic "orders"
    compact('payments'),
    arrayOf(1),
    int32(1),
    int64(0n),
    int32(-1),
    NULL_STRING,
    NO_TAGS,
    NO_TAGS, // end of topic "payments"
    NO_TAGS, // the request's tagged fields
  ]);
}

const topics = [
  {
    topic: 'orders',
    partitions: [
      { partition: 0, offset: '10' },
      { partition: 5, offset: String(2n ** 40n) },
    ],
  },
  { topic: 'payments', partitions: [{ partition: 1, offset: '0' }] },
];

/** TxnOffsetCommitResponse.json, version 3, after the correlation id: the header's tags first. */
function response(errorCodes: readonly number[]): Buffer {
  return Buffer.concat([
    NO_TAGS, // response header v1's tagged fields
    int32(25), // ThrottleTimeMs
    arrayOf(1),
    compact('orders'),
    arrayOf(errorCodes.length),
    ...errorCodes.flatMap((code, partition) => [int32(partition), int16(code), NO_TAGS]),
    NO_TAGS,
    NO_TAGS,
  ]);
}

interface Protocol {
  request: { apiKey: number; apiVersion: number; encode(): Promise<unknown> };
  response: { decode(payload: Buffer): Promise<unknown>; parse(decoded: unknown): Promise<unknown> };
}

/** A real kafkajs Broker whose connection pool hands each request to `send` instead of a socket. */
function kafkajsBroker(maxVersion: number, send: (protocol: Protocol) => Promise<unknown>) {
  const Broker = require('kafkajs/src/broker') as new (options: object) => Record<string, unknown>;
  const { lookup } = require('kafkajs/src/protocol/requests') as {
    lookup: (versions: object) => unknown;
  };
  const logger = { namespace: () => logger, debug() {}, info() {}, warn() {}, error() {} };
  const broker = new Broker({
    connectionPool: { send, connectionTimeout: 1000, host: 'localhost', port: 9092 },
    logger,
  });
  // What connecting does once the broker's versions are known.
  broker.lookupRequest = lookup({ 28: { minVersion: 0, maxVersion }, 9: { minVersion: 0, maxVersion } });
  return broker as { txnOffsetCommit(args: object): Promise<unknown> } & Record<string, unknown>;
}

const commitArgs = (t: object) => ({
  transactionalId: 'app-p-1',
  groupId: 'app',
  producerId: '4242',
  producerEpoch: 3,
  topics: t,
});

describe('TxnOffsetCommit v3 for kafkajs', () => {
  it('encodes every field of the schema, flexible: compact strings and arrays, tagged fields', () => {
    const body = encodeTxnOffsetCommitV3({
      transactionalId: 'app-p-1',
      groupId: 'app',
      producerId: 4242n,
      producerEpoch: 3,
      ...generation,
      topics,
    });
    expect(body.toString('hex')).toBe(expectedRequestBody().toString('hex'));
  });

  it('writes lengths of 127 bytes and more as multi-byte varints, and a static member id', () => {
    const long = 'm'.repeat(200);
    const body = encodeTxnOffsetCommitV3({
      transactionalId: 't',
      groupId: 'g',
      producerId: 1n,
      producerEpoch: 0,
      generationId: 1,
      memberId: long,
      groupInstanceId: 'instance',
      topics: [],
    });
    const afterGeneration = 2 + 2 + 8 + 2 + 4;
    // 201 = 0b1_1001001: low seven bits with the continuation bit, then the rest.
    expect([...body.subarray(afterGeneration, afterGeneration + 2)]).toEqual([0xc9, 0x01]);
    const instanceAt = afterGeneration + 2 + 200;
    expect(body.subarray(instanceAt, instanceAt + 9)).toEqual(compact('instance'));
    expect([...body.subarray(instanceAt + 9)]).toEqual([1, 0]); // no topics, no tags
  });

  it('decodes the response, skipping unknown tagged fields', () => {
    const tagged = Buffer.concat([
      Buffer.from([1, 5, 2, 0xaa, 0xbb]), // one tagged field (tag 5, two bytes) in the header
      response([0, 22]).subarray(1),
    ]);
    expect(decodeTxnOffsetCommitV3(tagged)).toEqual({
      throttleTimeMs: 25,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 1, errorCode: 22 },
          ],
        },
      ],
    });
  });

  it('goes through a kafkajs Broker and its request framing with the generation registered for the offsets', async () => {
    const sent: Protocol[] = [];
    const broker = kafkajsBroker(5, async (protocol) => {
      sent.push(protocol);
      return protocol.response.parse(await protocol.response.decode(response([0, 0])));
    });
    sendGroupGenerations(broker);
    await broker.txnOffsetCommit(commitArgs(withGeneration(topics, generation)));

    const [protocol] = sent;
    expect(protocol?.request).toMatchObject({ apiKey: 28, apiVersion: 3 });
    // kafkajs frames it: size, api key, version, correlation id, client id (header v1), then the
    // header's tagged fields (v2, for flexible versions) and the body.
    const frame = require('kafkajs/src/protocol/request') as (args: object) => Promise<{ buffer: Buffer }>;
    const { buffer } = await frame({ correlationId: 9, clientId: 'c', request: protocol!.request });
    const header = Buffer.concat([int16(28), int16(3), int32(9), int16(1), Buffer.from('c')]);
    const payload = Buffer.concat([header, NO_TAGS, expectedRequestBody()]);
    expect(buffer.toString('hex')).toBe(Buffer.concat([int32(payload.length), payload]).toString('hex'));
  });

  it('sends generation -1 and no member for offsets registered without a generation', async () => {
    const sent: Protocol[] = [];
    const broker = kafkajsBroker(3, async (protocol) => void sent.push(protocol));
    sendGroupGenerations(broker);
    await broker.txnOffsetCommit(commitArgs(withGeneration([], undefined)));
    const encoded = (await sent[0]!.request.encode()) as { buffer: Buffer };
    const afterEpoch = 1 + compact('app-p-1').length + compact('app').length + 8 + 2;
    expect(encoded.buffer.subarray(afterEpoch, afterEpoch + 6)).toEqual(
      Buffer.concat([int32(-1), compact(''), NULL_STRING]),
    );
  });

  it("fails with kafkajs' own protocol error for a refused partition", async () => {
    const broker = kafkajsBroker(3, async (protocol) =>
      protocol.response.parse(await protocol.response.decode(response([0, 22]))),
    );
    sendGroupGenerations(broker);
    const failure = await broker
      .txnOffsetCommit(commitArgs(withGeneration(topics, generation)))
      .catch((error: unknown) => error);
    expect(kafkaErrorType(failure)).toBe('ILLEGAL_GENERATION');
  });

  it('never sends offsets without their generation, nor to a broker without version 3', async () => {
    const broker = kafkajsBroker(5, () => Promise.resolve());
    sendGroupGenerations(broker);
    await expect(broker.txnOffsetCommit(commitArgs([...topics]))).rejects.toThrow(KafkaClientMismatchError);
    const old = kafkajsBroker(2, () => Promise.resolve());
    sendGroupGenerations(old);
    await expect(old.txnOffsetCommit(commitArgs(withGeneration(topics, generation)))).rejects.toThrow(
      /needs version 3/,
    );
    expect(() => sendGroupGenerations({})).toThrow(KafkaClientMismatchError);
  });
});

describe('the group generation of a kafkajs join', () => {
  const syncingBroker = () => {
    const broker = { syncGroup: (args: object) => Promise.resolve({ memberAssignment: args }) };
    return broker as unknown as { syncGroup(args: object): Promise<unknown> };
  };

  it('is the one of the SyncGroup that completed last, taken once', async () => {
    const generations = new GroupGenerations();
    const broker = syncingBroker();
    generations.watch()(broker);
    await broker.syncGroup({ groupId: 'app', generationId: 3, memberId: 'm-1', groupAssignment: [] });
    await broker.syncGroup({ groupId: 'app', generationId: 4, memberId: 'm-1', groupAssignment: [] });
    expect(generations.joined('app', 'm-1')).toEqual({ generationId: 4, memberId: 'm-1' });
    // A join announced without a SyncGroup of its own is never given an earlier one's generation.
    expect(() => generations.joined('app', 'm-1')).toThrow(KafkaClientMismatchError);
  });

  it("is refused for another member or group than the SyncGroup's", async () => {
    const generations = new GroupGenerations();
    const broker = syncingBroker();
    generations.watch()(broker);
    await broker.syncGroup({ groupId: 'app', generationId: 3, memberId: 'm-1' });
    expect(() => generations.joined('app', 'm-2')).toThrow(KafkaClientMismatchError);
    await broker.syncGroup({ groupId: 'app', generationId: 3, memberId: 'm-1' });
    expect(() => generations.joined('other', 'm-1')).toThrow(KafkaClientMismatchError);
    expect(() => generations.watch()({})).toThrow(KafkaClientMismatchError);
  });

  it('notes nothing from a SyncGroup that failed', async () => {
    const generations = new GroupGenerations();
    const broker = { syncGroup: () => Promise.reject(new Error('REBALANCE_IN_PROGRESS')) };
    generations.watch()(broker);
    await expect(broker.syncGroup()).rejects.toThrow();
    expect(() => generations.joined('app', 'm-1')).toThrow(KafkaClientMismatchError);
  });
});

describe('OffsetFetch v7 with require_stable for kafkajs', () => {
  it('encodes the group, the topics and RequireStable as the schema has them; null for every topic', () => {
    const body = encodeOffsetFetchV7({
      groupId: 'app',
      topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 3 }] }],
    });
    const expected = Buffer.concat([
      compact('app'), // GroupId
      arrayOf(1), // Topics
      compact('orders'),
      arrayOf(2), // PartitionIndexes
      int32(0),
      int32(3),
      NO_TAGS,
      Buffer.from([1]), // RequireStable (v7+)
      NO_TAGS,
    ]);
    expect(body.toString('hex')).toBe(expected.toString('hex'));
    expect([...encodeOffsetFetchV7({ groupId: 'g', topics: null })]).toEqual([2, 0x67, 0, 1, 0]);
  });

  /** OffsetFetchResponse.json, version 7, after the correlation id. */
  const offsetsResponse = (partitionError: number, groupError = 0) =>
    Buffer.concat([
      NO_TAGS, // response header's tagged fields
      int32(0), // ThrottleTimeMs
      arrayOf(1),
      compact('orders'),
      arrayOf(2),
      int32(0), // PartitionIndex
      int64(42n), // CommittedOffset
      int32(-1), // CommittedLeaderEpoch
      compact('meta'), // Metadata
      int16(0), // ErrorCode
      NO_TAGS,
      int32(1),
      int64(-1n),
      int32(-1),
      NULL_STRING,
      int16(partitionError),
      NO_TAGS,
      NO_TAGS,
      int16(groupError), // ErrorCode (top level)
      NO_TAGS,
    ]);

  it("decodes the response into kafkajs' own shape", () => {
    expect(decodeOffsetFetchV7(offsetsResponse(0))).toEqual({
      throttleTimeMs: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, offset: '42', metadata: 'meta', errorCode: 0 },
            { partition: 1, offset: '-1', metadata: null, errorCode: 0 },
          ],
        },
      ],
      errorCode: 0,
    });
  });

  it('asks again while a transaction holds the offsets (UNSTABLE_OFFSET_COMMIT), and fails on other errors', async () => {
    const UNSTABLE_OFFSET_COMMIT = 88;
    const answers = [
      offsetsResponse(UNSTABLE_OFFSET_COMMIT),
      offsetsResponse(UNSTABLE_OFFSET_COMMIT),
      offsetsResponse(0),
    ];
    const broker = kafkajsBroker(8, async (protocol) => {
      expect(protocol.request).toMatchObject({ apiKey: 9, apiVersion: 7 });
      return protocol.response.parse(await protocol.response.decode(answers.shift()!));
    });
    fetchStableOffsets(broker);
    const offsetFetch = broker.offsetFetch as (args: object) => Promise<{ responses: unknown[] }>;
    const result = await offsetFetch({
      groupId: 'app',
      topics: [{ topic: 'orders', partitions: [{ partition: 0 }] }],
    });
    expect(answers).toHaveLength(0);
    expect(result.responses).toHaveLength(1);

    const refused = kafkajsBroker(8, async (protocol) =>
      protocol.response.parse(await protocol.response.decode(offsetsResponse(0, 30))),
    );
    fetchStableOffsets(refused);
    const failure = await (refused.offsetFetch as (args: object) => Promise<unknown>)({
      groupId: 'app',
    }).catch((error: unknown) => error);
    expect(kafkaErrorType(failure)).toBe('GROUP_AUTHORIZATION_FAILED');
  });
});

describe("the kafkajs transactional producer when the group refuses a transaction's offsets", () => {
  /** A kafkajs producer whose transaction's sendOffsets fails with the broker's `code`. */
  async function refusedWith(code: number) {
    const calls: string[] = [];
    const transaction = {
      sendBatch: async () => [],
      sendOffsets: async () => {
        calls.push('sendOffsets');
        throw protocolError(code);
      },
      commit: async () => void calls.push('commit'),
      abort: async () => void calls.push('abort'),
      isActive: () => true,
    };
    const producer = await transactionalProducerOver(transaction, 'app-p-1');
    calls.length = 0;
    await producer.begin();
    const failure = await producer
      .sendOffsets('app', [{ topic: 'orders', partition: 0, offset: toOffset(3) }], generation)
      .catch((error: unknown) => error);
    return { producer, failure, calls };
  }

  it.each([
    [22, 'ILLEGAL_GENERATION'],
    [25, 'UNKNOWN_MEMBER_ID'],
    [82, 'FENCED_INSTANCE_ID'],
  ])('%s (%s) is GroupFencedError, task-migrated, tried once; the transaction is aborted', async (code) => {
    const { producer, failure, calls } = await refusedWith(code);
    expect(failure).toBeInstanceOf(GroupFencedError);
    expect(errorKind(failure)).toBe('task-migrated');
    await expect(producer.commit()).rejects.toBe(failure);
    await producer.abort();
    expect(calls).toEqual(['sendOffsets', 'abort']);
  });

  it('REBALANCE_IN_PROGRESS is abortable: the tasks start again from their last commit', async () => {
    const { failure } = await refusedWith(27);
    expect(errorKind(failure)).toBe('abortable');
  });
});
