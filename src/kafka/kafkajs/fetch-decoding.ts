import { createRequire } from 'node:module';
import { replaceCachedModule } from './module-cache.ts';
import { KafkaClientMismatchError } from './fetch-rewrite.ts';
import { decodeRecordBatches, type FetchedRecord } from './record-decoding.ts';

/**
 * kafkajs' Fetch responses (v4 to v11, every version it speaks with brokers that have transactions)
 * read each partition's record set through one module, `decodeMessages`; it decoded every record
 * into an object of about 600 bytes of heap (1.1–1.8 CPU µs per record, most of a worker's peak
 * memory). It is replaced here, before kafkajs loads it, by ./record-decoding.ts, which makes each
 * record the LogRecord the adapter hands on. Record sets in the legacy message format (magic 0 and
 * 1) still go to kafkajs' own decoder, and compressed batches are decompressed by kafkajs' codecs
 * (including any registered with it).
 */
const DECODE_MESSAGES_MODULE = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';
const DECODER_MODULE = 'kafkajs/src/protocol/decoder.js';
const MESSAGE_SET_MODULE = 'kafkajs/src/protocol/messageSet/decoder.js';
const COMPRESSION_MODULE = 'kafkajs/src/protocol/message/compression/index.js';

/** The magic byte's place in a record set's first batch or message (the same in every format). */
const MAGIC_AT = 16;
const RECORD_BATCH_MAGIC = 2;

/** kafkajs' `Decoder`, as its Fetch responses hand it to `decodeMessages`. */
interface KafkajsDecoder {
  readInt32(): number;
  canReadBytes(length: number): boolean;
  readBytes(length: number): Buffer;
}

interface Codec {
  decompress(compressed: Buffer): Promise<Buffer>;
}

interface Kafkajs {
  Decoder: new (buffer: Buffer) => KafkajsDecoder;
  decodeMessageSet: (decoder: KafkajsDecoder, size: number) => Promise<unknown[]>;
  lookupCodecByAttributes: (attributes: number) => Codec | null;
}

function loadKafkajs(require: NodeJS.Require): Kafkajs | undefined {
  try {
    const Decoder = require(DECODER_MODULE) as Kafkajs['Decoder'];
    const decodeMessageSet = require(MESSAGE_SET_MODULE) as Kafkajs['decodeMessageSet'];
    const { lookupCodecByAttributes } = require(COMPRESSION_MODULE) as Pick<
      Kafkajs,
      'lookupCodecByAttributes'
    >;
    const probe = new Decoder(Buffer.from([0, 0, 0, 1, 7]));
    if (
      typeof decodeMessageSet !== 'function' ||
      typeof lookupCodecByAttributes !== 'function' ||
      probe.readInt32() !== 1 ||
      !probe.canReadBytes(1) ||
      probe.canReadBytes(2) ||
      probe.readBytes(1)[0] !== 7
    ) {
      return undefined;
    }
    return { Decoder, decodeMessageSet, lookupCodecByAttributes };
  } catch {
    return undefined;
  }
}

function isKafkajsDecoder(decoder: unknown): decoder is KafkajsDecoder {
  const d = decoder as Partial<KafkajsDecoder> | null;
  return (
    typeof d?.readInt32 === 'function' &&
    typeof d.canReadBytes === 'function' &&
    typeof d.readBytes === 'function'
  );
}

/** The replacement for kafkajs' `decodeMessages(decoder)`: one partition's record set. */
export function decodeMessages(kafkajs: Kafkajs): (decoder: unknown) => Promise<FetchedRecord[] | unknown[]> {
  const decompress = async (attributes: number, compressed: Buffer): Promise<Buffer> => {
    // kafkajs looks the codec up the same way, and throws the same error for one it lacks.
    const codec = kafkajs.lookupCodecByAttributes(attributes);
    if (codec === null) {
      throw new KafkaClientMismatchError(`it has no codec for a compressed batch's attributes ${attributes}`);
    }
    return codec.decompress(compressed);
  };
  return async (decoder) => {
    if (!isKafkajsDecoder(decoder)) {
      throw new KafkaClientMismatchError('its Fetch response hands the record set decoder no Decoder');
    }
    const size = decoder.readInt32();
    // As kafkajs: a record set that is empty, or longer than what is left, holds no records.
    if (size <= 0 || !decoder.canReadBytes(size)) return [];
    const bytes = decoder.readBytes(size);
    // Too short to hold one whole batch or message.
    if (bytes.length <= MAGIC_AT) return [];
    if (bytes.readInt8(MAGIC_AT) === RECORD_BATCH_MAGIC) return decodeRecordBatches(bytes, decompress);
    return kafkajs.decodeMessageSet(new kafkajs.Decoder(bytes), size);
  };
}

/**
 * Puts the replacement in Node's module cache before kafkajs' Fetch responses load it: this module
 * must be imported before the adapter's first fetch (./fetch-hook.ts imports it). If kafkajs loaded
 * its own before, or is laid out otherwise, it keeps its own decoder, whose records the adapter still
 * reads (see ./convert.ts): false then.
 */
export function installFetchDecoding(require: NodeJS.Require = createRequire(import.meta.url)): boolean {
  let path: string;
  try {
    path = require.resolve(DECODE_MESSAGES_MODULE);
  } catch {
    return false;
  }
  const cached = require.cache[path];
  if (cached) return cached.exports === installed;
  const kafkajs = loadKafkajs(require);
  if (!kafkajs) return false;
  installed = decodeMessages(kafkajs);
  replaceCachedModule(require, path, installed);
  return true;
}

let installed: unknown;

export const fetchDecodingInstalled = installFetchDecoding();
