/**
 * Where each partition's record batches end in a raw Fetch response: the last offset of the last
 * complete batch. kafkajs' decoder keeps only records, so a batch that compaction left without records
 * (Kafka keeps a producer's last batch, empty, for its producer state) vanishes from what it returns,
 * and with it how far the fetch got: a fetch holding nothing else gives kafkajs no offset to move to,
 * and it fetches the same batch forever. Kafka's Java consumer moves past every batch it fetched.
 *
 * Reads Fetch responses v4 to v11 (the versions kafkajs speaks with brokers that have transactions)
 * without decoding records: only the headers needed to step from batch to batch.
 */
import { TributaryError } from '../../errors.ts';

/** Topic → partition → the last offset of the last complete record batch fetched. */
export type BatchEnds = Map<string, Map<number, bigint>>;

class Reader {
  private position = 0;
  private readonly buffer: Buffer;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  skip(bytes: number): void {
    this.need(bytes);
    this.position += bytes;
  }

  string(): string {
    const length = this.int16();
    if (length < 0) return '';
    this.need(length);
    const value = this.buffer.toString('utf8', this.position, this.position + length);
    this.position += length;
    return value;
  }

  /** The next `bytes` bytes as a view, or what is left when the response was cut short. */
  slice(bytes: number): Buffer {
    const end = Math.min(this.position + bytes, this.buffer.length);
    const view = this.buffer.subarray(this.position, end);
    this.position = end;
    return view;
  }

  private need(bytes: number): void {
    if (this.position + bytes > this.buffer.length) {
      throw new TributaryError(
        'TRIB_KAFKA',
        `a fetch response ends at byte ${this.buffer.length}, before its partitions' record sets do`,
      );
    }
  }
}

/** Batch header offsets (Kafka's record batch v2; the legacy message set shares the first two). */
const BATCH_LENGTH_AT = 8;
const BATCH_HEADER_BEFORE_DATA = 12;
const MAGIC_AT = 16;
const LAST_OFFSET_DELTA_AT = 23;

/** Returns undefined for versions it does not read (below 4 or above 11). */
export function batchEnds(raw: Buffer, apiVersion: number): BatchEnds | undefined {
  if (apiVersion < 4 || apiVersion > 11) return undefined;
  const reader = new Reader(raw);
  reader.skip(4); // throttle_time_ms
  if (apiVersion >= 7) reader.skip(2 + 4); // error_code, session_id
  const ends: BatchEnds = new Map();
  for (let topics = reader.int32(); topics > 0; topics--) {
    const topic = reader.string();
    let perTopic = ends.get(topic);
    if (!perTopic) ends.set(topic, (perTopic = new Map()));
    for (let partitions = reader.int32(); partitions > 0; partitions--) {
      const partition = reader.int32();
      reader.skip(2 + 8 + 8); // error_code, high_watermark, last_stable_offset
      if (apiVersion >= 5) reader.skip(8); // log_start_offset
      const aborted = reader.int32();
      if (aborted > 0) reader.skip(aborted * 16);
      if (apiVersion >= 11) reader.skip(4); // preferred_read_replica
      const size = reader.int32();
      if (size <= 0) continue;
      const end = lastCompleteBatchEnd(reader.slice(size));
      if (end !== undefined) perTopic.set(partition, end);
    }
  }
  return ends;
}

/** A record set ends with a partial batch when the fetch's byte limit cut it: that one is not counted. */
function lastCompleteBatchEnd(records: Buffer): bigint | undefined {
  let end: bigint | undefined;
  for (let at = 0; at + BATCH_HEADER_BEFORE_DATA <= records.length;) {
    const length = records.readInt32BE(at + BATCH_LENGTH_AT);
    const next = at + BATCH_HEADER_BEFORE_DATA + length;
    if (length < 0 || next > records.length) break;
    const base = records.readBigInt64BE(at);
    const magic = length >= MAGIC_AT - BATCH_HEADER_BEFORE_DATA + 1 ? records.readInt8(at + MAGIC_AT) : -1;
    end =
      magic >= 2 && length >= LAST_OFFSET_DELTA_AT + 4 - BATCH_HEADER_BEFORE_DATA
        ? base + BigInt(records.readInt32BE(at + LAST_OFFSET_DELTA_AT))
        : base; // a legacy message: its offset (a compressed wrapper's is its last inner offset)
    at = next;
  }
  return end;
}
