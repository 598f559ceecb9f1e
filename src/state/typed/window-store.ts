import type { KeyValue } from '../../processor/record.ts';
import type { Serde } from '../../serde/serde.ts';
import type { RangeOptions, WindowEntry, WindowStore, Windowed } from '../api.ts';
import { fromBinaryKey, type BinaryKey } from '../bytes.ts';
import type { ChangeLogger, TimestampSource } from '../change-logger.ts';
import {
  changelogTime,
  decodeRecordKey,
  decodeTime,
  encodeRecordKey,
  encodeSeq,
  encodeTime,
  recordKeyRange,
} from '../segmented/keys.ts';
import type { SegmentedBytes } from '../segmented/segmented-bytes.ts';
import type { ChangelogForm } from './key-value-store.ts';
import { StoreSerdes } from './store-serdes.ts';

/** After the record key: the 8-byte window start and the 4-byte sequence number. */
const SUFFIX_LENGTH = 12;
const SEGMENT_PREFIX_LENGTH = 8;

export interface WindowStoreOptions<K, V> {
  readonly name: string;
  readonly segments: SegmentedBytes;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  readonly logger: ChangeLogger | undefined;
  readonly now: TimestampSource;
  /** How a stored value goes to the changelog, when not as is (timestamped stores log the bare value). */
  readonly toChangelog?: ChangelogForm;
}

/**
 * A window store: values per (key, window start), kept in time segments by window start. A stored key
 * is `segment id ‖ record key ‖ window start ‖ sequence number`, so within a segment the windows of a
 * key are adjacent and ordered by start. The sequence number is 0 unless the store retains duplicates
 * (stream-stream join buffers), where every put appends under the next number.
 */
export class TypedWindowStore<K, V> implements WindowStore<K, V> {
  readonly name: string;
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  private readonly segments: SegmentedBytes;
  private readonly serdes: StoreSerdes<K, V>;
  private readonly logger: ChangeLogger | undefined;
  private readonly now: TimestampSource;
  private readonly toChangelog: ChangelogForm | undefined;
  private seq: number;

  constructor(options: WindowStoreOptions<K, V>) {
    this.name = options.name;
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates;
    this.segments = options.segments;
    this.serdes = new StoreSerdes(options.name, options.keySerde, options.valueSerde);
    this.logger = options.logger;
    this.now = options.now;
    this.toChangelog = options.toChangelog;
    this.seq = this.retainDuplicates ? (this.segments.readMeta('seq') ?? 0) : 0;
  }

  get persistent(): boolean {
    return this.segments.bytes.persistent;
  }

  /** Puts of windows that have already expired are ignored, as are null puts when retaining duplicates. */
  put(key: K, value: V | null, windowStart: number): void {
    const absent = value === null || value === undefined;
    if (absent && this.retainDuplicates) return;
    const recordKey = this.serdes.encodeKey(key);
    if (!this.segments.observe(windowStart)) return;
    const bytes = absent ? undefined : this.serdes.encodeValue(value);
    // Wraps within 31 bits, as the changelog's sequence numbers do in Kafka Streams.
    const seq = this.retainDuplicates ? (this.seq = (this.seq + 1) & 0x7fffffff) : 0;
    const storeKey = this.storeKey(recordKey, windowStart, seq);
    this.segments.bytes.put(storeKey, bytes);
    if (!this.logger) return;
    if (bytes !== undefined && this.toChangelog) {
      const logged = this.toChangelog(bytes);
      this.logger.log(storeKey, logged.value, logged.timestamp);
    } else {
      this.logger.log(storeKey, bytes ?? null, this.now());
    }
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
    const recordKey = encodeRecordKey(this.serdes.encodeKey(key));
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
    const keys = recordKeyRange(
      keyFrom === undefined ? undefined : this.serdes.encodeKey(keyFrom),
      keyTo === undefined ? undefined : this.serdes.encodeKey(keyTo),
    );
    if (!keys) return [].values();
    const entries = this.segments.scan(
      timeFrom,
      timeTo,
      (prefix) => ({ gte: prefix + keys.gte, lt: prefix + keys.lt }),
      options.reverse,
    );
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

  /** Saves the store's bookkeeping with the data; run right before a commit takes its batch. */
  prepareCommit(): void {
    this.segments.prepareCommit();
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
      const recordKey = this.serdes.decodeKey(decodeRecordKey(key, SEGMENT_PREFIX_LENGTH, SUFFIX_LENGTH));
      yield {
        key: { key: recordKey, window: { start, end: start + this.windowSizeMs } },
        value: this.serdes.decodeValue(bytes),
      };
    }
  }
}
