/**
 * Which fetched records a read_committed consumer may deliver: Kafka's rule, independent of any client
 * library, so every adapter behind the event-log port applies the same one.
 *
 * A read_committed fetch returns the partition's records up to the last stable offset, in record
 * batches that carry their producer id and whether they are transactional or a control batch (a
 * transaction marker), together with the aborted transactions that overlap the fetched range (producer
 * id and first offset, in no order a consumer may rely on: the broker lists them in the order their
 * abort markers were written). A batch is aborted when its producer has an aborted transaction whose
 * first offset has been reached and whose abort marker has not: several producers can be in that
 * state at once, their batches interleaved, and a transaction's marker can lie beyond the fetched
 * range. Kafka's Java consumer decides it per batch, taking the aborted transactions in order of first
 * offset; this does the same per record (every record of a batch gets its batch's answer).
 */
import { TributaryError } from '../errors.ts';

/** What a control record says (its key: int16 version, int16 type; type 0 aborts, 1 commits). */
export type ControlRecordType = 'abort' | 'commit' | 'unknown';

/** What the filter needs to know of one fetched record: its offset and its record batch's header. */
export interface FetchedRecordFacts {
  readonly offset: bigint;
  /** The last offset of the record batch the record came in (a compacted batch may end past its last record). */
  readonly batchLastOffset: bigint;
  /** -1 when the batch has none (neither idempotent nor transactional). */
  readonly producerId: bigint;
  readonly transactional: boolean;
  /** The marker's type for a record of a control batch; null for a data record. */
  readonly control: ControlRecordType | null;
}

/** An entry of a fetch response's aborted-transaction list. */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/**
 * Decides, record by record in offset order, which records of one partition's fetch are committed
 * data. One filter per fetched partition: the next fetch brings its own aborted-transaction list.
 */
export class ReadCommittedFilter {
  /** The fetch's aborted transactions by first offset, and how many of them have begun. */
  private readonly aborted: readonly AbortedTransaction[];
  private begun = 0;
  /** Producers inside an aborted transaction: from its first offset until its abort marker. */
  private readonly abortedProducers = new Set<bigint>();
  private previousOffset = -1n;

  constructor(aborted: readonly AbortedTransaction[]) {
    this.aborted = [...aborted].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
    );
  }

  /** True when the record is committed data; false for transaction markers and aborted records. */
  accepts(record: FetchedRecordFacts): boolean {
    if (record.offset <= this.previousOffset) {
      throw new TributaryError(
        'TRIB_KAFKA',
        `fetched records out of order: offset ${record.offset} after ${this.previousOffset}; ` +
          'read_committed filtering needs them in offset order',
      );
    }
    this.previousOffset = record.offset;
    if (record.producerId >= 0n) {
      // Every aborted transaction that begins in or before this batch concerns its producer from now on.
      while (
        this.begun < this.aborted.length &&
        this.aborted[this.begun]!.firstOffset <= record.batchLastOffset
      ) {
        this.abortedProducers.add(this.aborted[this.begun++]!.producerId);
      }
      if (record.control === 'abort') this.abortedProducers.delete(record.producerId);
      else if (record.transactional && this.abortedProducers.has(record.producerId)) return false;
    }
    return record.control === null;
  }
}

/** The records of one partition's fetch that a read_committed consumer delivers, in their order. */
export function committedRecords<R>(
  records: readonly R[],
  facts: (record: R) => FetchedRecordFacts,
  aborted: readonly AbortedTransaction[],
): R[] {
  const filter = new ReadCommittedFilter(aborted);
  return records.filter((record) => filter.accepts(facts(record)));
}

/** Reads a control record's type from its key, as Kafka's ControlRecordType does. */
export function controlRecordType(key: Uint8Array | null): ControlRecordType {
  if (key === null || key.byteLength < 4) return 'unknown';
  const type = (key[2]! << 8) | key[3]!;
  return type === 0 ? 'abort' : type === 1 ? 'commit' : 'unknown';
}
