import type { LogRecord } from '../kafka/port.ts';
import { FramesFile } from './frames-file.ts';
import {
  EntryKind,
  decodeEntry,
  encodeEntries,
  encodeMarker,
  entryHeader,
  readFrame,
  type EntryInput,
} from './record-format.ts';
import { TributaryError } from '../errors.ts';
import { toOffset } from '../common/offset.ts';

/** What one read returns: the records, and the offset after everything it covered (markers included). */
export interface PartitionRead {
  readonly records: LogRecord[];
  readonly next: number;
}

/**
 * One topic partition: an append-only file with one entry per offset and an in-memory index of where
 * each entry starts. Tracks the transactions that wrote to it, so a read_committed reader sees
 * nothing at or beyond the first offset of an open transaction (the last stable offset) and never a
 * record of an aborted one.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  private readonly file: FramesFile;
  private positions = new Float64Array(1024);
  private count = 0;
  /** Open transactions with the first offset each wrote here. */
  private readonly open = new Map<number, number>();
  private readonly aborted = new Set<number>();
  private readonly listeners = new Set<() => void>();
  /** Bytes a torn last write left behind, cut at open. */
  readonly truncatedBytes: number;
  /** The largest transaction id seen here (transaction ids are never reused). */
  maxTxnId = 0;

  constructor(topic: string, partition: number, path: string, readOnly: boolean) {
    this.topic = topic;
    this.partition = partition;
    this.file = FramesFile.open(path, readOnly);
    this.truncatedBytes = this.file.scan((buffer, bodyStart, _bodyEnd, position) =>
      this.indexEntry(buffer, bodyStart, position),
    );
  }

  /**
   * A read-only snapshot catches up with what the process that owns the log appended since (entries
   * and transaction markers), and wakes its readers when there is anything new.
   */
  refresh(): void {
    const appended = this.file.scanAppended((buffer, bodyStart, _bodyEnd, position) =>
      this.indexEntry(buffer, bodyStart, position),
    );
    if (appended > 0) this.notify();
  }

  /** The log end offset: the offset the next entry gets. */
  get end(): number {
    return this.count;
  }

  /** The last stable offset: read_committed readers see only what lies before it. */
  get stableEnd(): number {
    let first = this.count;
    for (const offset of this.open.values()) if (offset < first) first = offset;
    return first;
  }

  /** The readable end for an isolation level. */
  visibleEnd(readCommitted: boolean): number {
    return readCommitted ? this.stableEnd : this.count;
  }

  /** Transactions that wrote here and have no marker yet. */
  openTransactions(): number[] {
    return [...this.open.keys()];
  }

  /** Appends records (of a transaction, when `txnId` is not 0); returns the first offset. */
  append(records: readonly EntryInput[], txnId: number): number {
    const first = this.count;
    if (records.length === 0) return first;
    const { buffer, sizes } = encodeEntries(records, txnId);
    let position = this.file.append(buffer);
    for (const size of sizes) {
      this.index(position);
      position += size;
    }
    if (txnId !== 0) {
      if (!this.open.has(txnId)) this.open.set(txnId, first);
      if (txnId > this.maxTxnId) this.maxTxnId = txnId;
    }
    this.notify();
    return first;
  }

  /** Ends a transaction on this partition with its commit or abort marker. */
  appendMarker(kind: typeof EntryKind.commit | typeof EntryKind.abort, txnId: number): void {
    this.index(this.file.append(encodeMarker(kind, txnId)));
    this.track(kind, txnId, this.count - 1);
    this.notify();
  }

  /**
   * Reads entries from `from` up to the visible end, at most `maxRecords` entries and about
   * `maxBytes` (always at least one entry). Markers never come back; nor, for read_committed,
   * records of aborted transactions.
   */
  read(from: number, readCommitted: boolean, maxRecords: number, maxBytes: number): PartitionRead {
    const end = this.visibleEnd(readCommitted);
    if (from >= end || from < 0) return { records: [], next: Math.max(from, 0) };
    const start = this.positionOf(from);
    let to = from + 1;
    const limit = Math.min(end, from + maxRecords);
    while (to < limit && this.positionOf(to + 1) - start <= maxBytes) to++;
    const buffer = this.file.read(start, this.positionOf(to) - start);
    const records: LogRecord[] = [];
    let at = 0;
    for (let offset = from; offset < to; offset++) {
      const frame = readFrame(buffer, at);
      if (!frame)
        throw new TributaryError(
          'TRIB_EMBEDDED_LOG',
          `${this.topic}-${this.partition}: entry ${offset} is damaged on disk`,
        );
      at = frame.bodyEnd;
      const entry = decodeEntry(buffer, frame.bodyStart);
      if (entry.kind !== EntryKind.data) continue;
      if (readCommitted && entry.txnId !== 0 && this.aborted.has(entry.txnId)) continue;
      records.push({
        topic: this.topic,
        partition: this.partition,
        offset: toOffset(offset),
        key: entry.key,
        value: entry.value,
        timestamp: entry.timestamp,
        headers: entry.headers,
      });
    }
    return { records, next: to };
  }

  /** Calls `listener` on the next append or marker (once; subscribe again to hear more). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.file.close();
    this.listeners.clear();
  }

  private indexEntry(buffer: Buffer, bodyStart: number, position: number): void {
    const { kind, txnId } = entryHeader(buffer, bodyStart);
    this.index(position);
    this.track(kind, txnId, this.count - 1);
  }

  private positionOf(offset: number): number {
    if (offset >= this.count) return this.file.size;
    const position = this.positions[offset];
    if (position === undefined)
      throw new TributaryError(
        'TRIB_INTERNAL',
        `the embedded log has no position for offset ${offset} below its count ${this.count}`,
      );
    return position;
  }

  private index(position: number): void {
    if (this.count === this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[this.count++] = position;
  }

  private track(kind: EntryKind, txnId: number, offset: number): void {
    if (txnId === 0) return;
    if (txnId > this.maxTxnId) this.maxTxnId = txnId;
    if (kind === EntryKind.data) {
      if (!this.open.has(txnId)) this.open.set(txnId, offset);
      return;
    }
    this.open.delete(txnId);
    if (kind === EntryKind.abort) this.aborted.add(txnId);
  }

  private notify(): void {
    if (this.listeners.size === 0) return;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }
}
