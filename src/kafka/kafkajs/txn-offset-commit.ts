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
import { createRequire } from 'node:module';
import type { GroupGeneration } from '../port.ts';
import { TributaryError } from '../../errors.ts';
import { KafkaClientMismatchError } from './fetch-rewrite.ts';

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

// ---- encoding ----------------------------------------------------------------------------------

/** Writes the request's bytes (see TxnOffsetCommitRequest.json, flexible from v3). */
class Writer {
  private readonly parts: Buffer[] = [];

  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    return this.push(b);
  }

  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return this.push(b);
  }

  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    return this.push(b);
  }

  /** Unsigned varint, as compact lengths and tagged-field counts are written. */
  uvarint(value: number): this {
    const bytes: number[] = [];
    let rest = value >>> 0;
    while (rest > 0x7f) {
      bytes.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    bytes.push(rest);
    return this.push(Buffer.from(bytes));
  }

  /** COMPACT_NULLABLE_STRING: length + 1 (0 for null), then UTF-8. */
  compactString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    const bytes = Buffer.from(value, 'utf8');
    return this.uvarint(bytes.length + 1).push(bytes);
  }

  /** COMPACT_ARRAY: length + 1, then each element. */
  compactArray<T>(items: readonly T[], write: (item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) write(item);
    return this;
  }

  /** An empty TAG_BUFFER: no tagged fields. */
  noTags(): this {
    return this.uvarint(0);
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }

  private push(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }
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

// ---- decoding ----------------------------------------------------------------------------------

/** Reads the response's bytes (see TxnOffsetCommitResponse.json, flexible from v3). */
class Reader {
  private readonly buffer: Buffer;
  private offset = 0;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  int16(): number {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      const byte = this.buffer.readUInt8(this.offset++);
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new TributaryError('TRIB_KAFKA', 'a TxnOffsetCommit response holds a malformed varint');
  }

  compactString(): string {
    const length = this.uvarint() - 1;
    if (length < 0) return '';
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  compactArray<T>(read: () => T): T[] {
    const length = this.uvarint() - 1;
    return Array.from({ length: Math.max(length, 0) }, read);
  }

  /** Skips a TAG_BUFFER: tagged fields this version does not define are ignored, as Kafka's clients do. */
  tags(): void {
    for (let count = this.uvarint(); count > 0; count--) {
      this.uvarint();
      const size = this.uvarint();
      this.offset += size;
    }
  }
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
    const topic = r.compactString();
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

// ---- kafkajs' request protocol -----------------------------------------------------------------

/** kafkajs' table of protocol errors: a refusal becomes the error kafkajs itself would raise. */
const protocolErrors = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error;
};

/**
 * The request as kafkajs' connection sends it: `encode` returns what kafkajs' Encoder takes in
 * `writeEncoder` (an object with `buf` and `buffer`), starting with the request header's tagged fields
 * (kafkajs writes the header up to the client id only, as its own flexible requests do).
 */
function protocolRequest(request: TxnOffsetCommitV3) {
  return {
    request: {
      apiKey: TXN_OFFSET_COMMIT_API_KEY,
      apiVersion: TXN_OFFSET_COMMIT_VERSION,
      apiName: 'TxnOffsetCommit',
      encode: () => {
        const body = Buffer.concat([Buffer.from([0]), encodeTxnOffsetCommitV3(request)]);
        return Promise.resolve({ buf: body, buffer: body });
      },
    },
    response: {
      decode: (payload: Buffer) => {
        const result = decodeTxnOffsetCommitV3(payload);
        // KIP-219: a v1+ broker answers before throttling; the client waits instead.
        return Promise.resolve({ ...result, throttleTime: 0, clientSideThrottleTime: result.throttleTimeMs });
      },
      parse: (result: TxnOffsetCommitResult) => {
        for (const { partitions } of result.topics)
          for (const { errorCode } of partitions)
            if (errorCode !== 0) return Promise.reject(protocolErrors.createErrorFromCode(errorCode));
        return Promise.resolve(result);
      },
    },
  };
}

/** kafkajs' definition of a request, as `broker.lookupRequest` picks the version from it. */
const definition = {
  versions: [String(TXN_OFFSET_COMMIT_VERSION)],
  protocol:
    ({ version }: { version: number }) =>
    (request: TxnOffsetCommitV3) => {
      if (version !== TXN_OFFSET_COMMIT_VERSION)
        throw new TributaryError(
          'TRIB_KAFKA',
          `the broker supports TxnOffsetCommit up to version ${version}; fencing transactional offsets by the group generation needs version 3 (Kafka 2.5 or later)`,
        );
      return protocolRequest(request);
    },
};

interface TxnOffsetCommitArgs {
  transactionalId: string;
  groupId: string;
  producerId: unknown;
  producerEpoch: number;
  topics: readonly TopicOffsets[];
}

type Send = (protocol: unknown) => Promise<unknown>;
type Lookup = (
  apiKey: number,
  requestDefinition: typeof definition,
) => (request: TxnOffsetCommitV3) => unknown;

/** kafkajs' Broker sends every request through a private method, named by a symbol on its prototype. */
function privateSend(broker: object): Send {
  const prototype = Object.getPrototypeOf(broker) as Record<symbol, unknown> | null;
  const symbol = prototype
    ? Object.getOwnPropertySymbols(prototype).find((s) => s.description === 'private:Broker:sendRequest')
    : undefined;
  const send = symbol === undefined ? undefined : prototype?.[symbol];
  if (typeof send !== 'function')
    throw new KafkaClientMismatchError('its Broker has no private sendRequest method');
  return (protocol) => (send as Send).call(broker, protocol);
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
  const send = privateSend(broker);
  target.txnOffsetCommit = async (args: TxnOffsetCommitArgs) => {
    const generation = generations.get(args?.topics);
    if (generation === undefined)
      throw new KafkaClientMismatchError(
        "its transaction's sendOffsets no longer hands the offsets to the broker's txnOffsetCommit as they were given",
      );
    const lookup = target.lookupRequest as Lookup;
    if (typeof lookup !== 'function')
      throw new KafkaClientMismatchError('its Broker has no lookupRequest function');
    const build = lookup.call(broker, TXN_OFFSET_COMMIT_API_KEY, definition);
    return send(
      build({
        transactionalId: args.transactionalId,
        groupId: args.groupId,
        producerId: BigInt(String(args.producerId)),
        producerEpoch: args.producerEpoch,
        generationId: generation?.generationId ?? -1,
        memberId: generation?.memberId ?? '',
        groupInstanceId: generation?.groupInstanceId ?? null,
        topics: args.topics,
      }),
    );
  };
}
