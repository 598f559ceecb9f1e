import type { KeyValue } from '../../common/records.ts';
import type { RangeOptions, WindowEntry, WindowStore, Windowed } from '../api.ts';
import { fromBinaryKey, type BinaryKey } from '../bytes.ts';
import {
  changelogTime,
  decodeRecordKey,
  decodeTime,
  encodeRecordKey,
  encodeSeq,
  encodeTime,
} from '../segmented/keys.ts';
import { SEGMENT_PREFIX_LENGTH, SegmentedStore, type SegmentedStoreOptions } from './segmented-store.ts';

/** After the record key: the 8-byte window start and the 4-byte sequence number. */
const SUFFIX_LENGTH = 12;

export interface WindowStoreOptions<K, V> extends SegmentedStoreOptions<K, V> {
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
}

/**
 * A window store: values per (key, window start), kept in time segments by window start. A stored key
 * is `segment id ‖ record key ‖ window start ‖ sequence number`, so within a segment the windows of a
 * key are adjacent and ordered by start. The sequence number is 0 unless the store retains duplicates
 * (stream-stream join buffers), where every put appends under the next number.
 */
export class TypedWindowStore<K, V> extends SegmentedStore<K, V> implements WindowStore<K, V> {
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  private seq: number;

  constructor(options: WindowStoreOptions<K, V>) {
    super(options, SUFFIX_LENGTH);
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates;
    this.seq = this.retainDuplicates ? (this.segments.readMeta('seq') ?? 0) : 0;
  }

  /** Puts of windows that have already expired are ignored, as are null puts when retaining duplicates. */
  put(key: K, value: V | null, windowStart: number): void {
    const absent = value === null || value === undefined;
    if (absent && this.retainDuplicates) return;
    const bytes = absent ? undefined : this.serdes.encodeValue(value);
    this.putEncoded(key, this.serdes.encodeKey(key), windowStart, absent ? null : value, bytes);
  }

  /**
   * `put` of a key and value serialized already (`bytes` undefined deletes): the record cache in front
   * measured its entries by their bytes and writes them without serializing them again. It told the
   * change listener when it took the write, so its flush does not again (`notify` false).
   */
  putEncoded(
    key: K,
    recordKey: BinaryKey,
    windowStart: number,
    value: V | null,
    bytes: Uint8Array | undefined,
    notify = true,
  ): void {
    const absent = bytes === undefined;
    if (absent && this.retainDuplicates) return;
    if (!this.segments.observe(windowStart)) return;
    // Wraps within 31 bits, as the changelog's sequence numbers do in Kafka Streams.
    const seq = this.retainDuplicates ? (this.seq = (this.seq + 1) & 0x7fffffff) : 0;
    this.write(
      this.storeKey(recordKey, windowStart, seq),
      bytes,
      {
        key,
        binaryKey: recordKey,
        value: absent ? null : value,
        window: { start: windowStart, end: windowStart + this.windowSizeMs },
      },
      notify,
    );
  }

  /** Applies one changelog record (restore): not logged again, and under the record's own sequence number. */
  restore(recordKey: BinaryKey, windowStart: number, seq: number, bytes: Uint8Array | undefined): void {
    if (!this.segments.observe(windowStart)) return;
    if (this.retainDuplicates && seq > this.seq) this.seq = seq;
    this.segments.bytes.put(this.storeKey(recordKey, windowStart, seq), bytes);
  }

  /** With duplicates retained, the value put first for this window. */
  fetch(key: K, windowStart: number): V | undefined {
    if (!this.segments.isLive(windowStart)) return undefined;
    const recordKey = this.serdes.encodeKey(key);
    if (!this.retainDuplicates) {
      const bytes = this.segments.bytes.get(this.storeKey(recordKey, windowStart, 0));
      return bytes === undefined ? undefined : this.serdes.decodeValue(bytes);
    }
    const prefix = this.segments.prefix(windowStart) + encodeRecordKey(recordKey) + encodeTime(windowStart);
    for (const [, bytes] of this.segments.bytes.range({ gte: prefix, lt: prefix + '\u0100' }))
      return this.serdes.decodeValue(bytes);
    return undefined;
  }

  fetchWindows(
    key: K,
    timeFrom: number,
    timeTo: number,
    options: RangeOptions = {},
  ): IterableIterator<WindowEntry<V>> {
    const recordKey = this.recordKeyPrefix(key);
    const entries = this.segments.scan(
      timeFrom,
      timeTo,
      (prefix, from, to) => ({
        gte: prefix + recordKey + encodeTime(from),
        lt: prefix + recordKey + encodeTime(to) + '\u0100',
      }),
      options.reverse,
    );
    return this.windowEntries(entries);
  }

  fetchKeyRange(
    keyFrom: K | undefined,
    keyTo: K | undefined,
    timeFrom: number,
    timeTo: number,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    const entries = this.keyRangeEntries(keyFrom, keyTo, timeFrom, timeTo, options.reverse);
    return this.windowedEntries(entries, timeFrom, timeTo);
  }

  fetchAll(
    timeFrom: number,
    timeTo: number,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.fetchKeyRange(undefined, undefined, timeFrom, timeTo, options);
  }

  all(options: RangeOptions = {}): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.fetchKeyRange(undefined, undefined, -Infinity, Infinity, options);
  }

  encodeKey(key: K): BinaryKey {
    return this.serdes.encodeKey(key);
  }

  encodeValue(value: V): Uint8Array {
    return this.serdes.encodeValue(value);
  }

  /**
   * Where a window of a (serialized) key sorts among the store's entries: by segment, then key, then
   * start, as scans of the store return them. The record cache in front orders its entries so.
   */
  orderKey(recordKey: BinaryKey, windowStart: number): BinaryKey {
    return this.segments.prefix(windowStart) + encodeRecordKey(recordKey) + encodeTime(windowStart);
  }

  /** Also saves the sequence number of a store that retains duplicates. */
  override prepareCommit(): void {
    super.prepareCommit();
    if (this.retainDuplicates && this.segments.readMeta('seq') !== this.seq)
      this.segments.writeMeta('seq', this.seq);
  }

  /** The changelog key of a stored key: record key, window start, sequence number. */
  static changelogKey(storeKey: BinaryKey): Uint8Array {
    const recordKey = decodeRecordKey(storeKey, SEGMENT_PREFIX_LENGTH, SUFFIX_LENGTH);
    const start = decodeTime(storeKey, storeKey.length - SUFFIX_LENGTH);
    return fromBinaryKey(recordKey + changelogTime(start) + storeKey.slice(-4));
  }

  private storeKey(recordKey: BinaryKey, windowStart: number, seq: number): BinaryKey {
    return (
      this.segments.prefix(windowStart) +
      encodeRecordKey(recordKey) +
      encodeTime(windowStart) +
      encodeSeq(seq)
    );
  }

  private *windowEntries(entries: Iterable<[BinaryKey, Uint8Array]>): IterableIterator<WindowEntry<V>> {
    for (const [key, bytes] of entries)
      yield {
        windowStart: decodeTime(key, key.length - SUFFIX_LENGTH),
        value: this.serdes.decodeValue(bytes),
      };
  }

  private *windowedEntries(
    entries: Iterable<[BinaryKey, Uint8Array]>,
    timeFrom: number,
    timeTo: number,
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    for (const [key, bytes] of entries) {
      const start = decodeTime(key, key.length - SUFFIX_LENGTH);
      // Key ranges span whole segments, whose oldest windows may lie outside the times asked for.
      if (start < timeFrom || start > timeTo || !this.segments.isLive(start)) continue;
      const recordKey = this.serdes.decodeKey(this.storedRecordKey(key));
      yield {
        key: { key: recordKey, window: { start, end: start + this.windowSizeMs } },
        value: this.serdes.decodeValue(bytes),
      };
    }
  }
}
