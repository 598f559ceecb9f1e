import type { KeyValue } from '../../common/records.ts';
import type { RangeOptions, SessionStore, Windowed } from '../api.ts';
import { fromBinaryKey, type BinaryKey } from '../bytes.ts';
import {
  changelogTime,
  decodeRecordKey,
  decodeTime,
  encodeRecordKey,
  encodeTime,
} from '../segmented/keys.ts';
import { SEGMENT_PREFIX_LENGTH, SegmentedStore, type SegmentedStoreOptions } from './segmented-store.ts';

/** After the record key: the 8-byte session end and the 8-byte session start. */
const SUFFIX_LENGTH = 16;

/**
 * A session store: values per (key, session start, session end), kept in time segments by session end,
 * which is also what expires them. A stored key is `segment id ‖ record key ‖ end ‖ start`, so the
 * sessions of a key come ordered by end, then start, and a search for sessions ending at or after some
 * time starts right at it.
 */
export class TypedSessionStore<K, V> extends SegmentedStore<K, V> implements SessionStore<K, V> {
  constructor(options: SegmentedStoreOptions<K, V>) {
    super(options, SUFFIX_LENGTH);
  }

  /** Writes the session; null removes it. Sessions that have already expired are ignored. */
  put(session: Windowed<K>, value: V): void {
    if (value === null || value === undefined) {
      this.remove(session);
      return;
    }
    this.putEncoded(session, this.serdes.encodeKey(session.key), value, this.serdes.encodeValue(value));
  }

  /**
   * `put` of a key and value serialized already (`bytes` undefined removes the session): the record
   * cache in front measured its entries by their bytes and writes them without serializing them again.
   * It told the change listener when it took the write, so its flush does not again (`notify` false).
   */
  putEncoded(
    session: Windowed<K>,
    recordKey: BinaryKey,
    value: V | null,
    bytes: Uint8Array | undefined,
    notify = true,
  ): void {
    const { start, end } = session.window;
    const storeKey = this.storeKey(recordKey, start, end);
    const change = { key: session.key, binaryKey: recordKey, value, window: { start, end } };
    if (bytes === undefined || value === null) {
      if (this.segments.isKept(end)) this.write(storeKey, undefined, { ...change, value: null }, notify);
      return;
    }
    if (this.segments.observe(end)) this.write(storeKey, bytes, change, notify);
  }

  remove(session: Windowed<K>): void {
    this.putEncoded(session, this.serdes.encodeKey(session.key), null, undefined);
  }

  /** Applies one changelog record (restore) without logging it again. */
  restore(recordKey: BinaryKey, start: number, end: number, bytes: Uint8Array | undefined): void {
    const live = bytes === undefined ? this.segments.isKept(end) : this.segments.observe(end);
    if (live) this.segments.bytes.put(this.storeKey(recordKey, start, end), bytes);
  }

  findSessions(
    key: K,
    earliestSessionEnd: number,
    latestSessionStart: number,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    const recordKey = this.recordKeyPrefix(key);
    const entries = this.segments.scan(
      earliestSessionEnd,
      Infinity,
      (prefix, from) => ({ gte: prefix + recordKey + encodeTime(from), lt: prefix + recordKey + '\u0100' }),
      options.reverse,
    );
    return this.sessions(entries, latestSessionStart);
  }

  fetchSession(key: K, sessionStart: number, sessionEnd: number): V | undefined {
    if (!this.segments.isLive(sessionEnd)) return undefined;
    const bytes = this.segments.bytes.get(
      this.storeKey(this.serdes.encodeKey(key), sessionStart, sessionEnd),
    );
    return bytes === undefined ? undefined : this.serdes.decodeValue(bytes);
  }

  fetch(key: K, options?: RangeOptions): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.findSessions(key, -Infinity, Infinity, options);
  }

  fetchKeyRange(
    keyFrom: K | undefined,
    keyTo: K | undefined,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    const entries = this.keyRangeEntries(keyFrom, keyTo, -Infinity, Infinity, options.reverse);
    return this.sessions(entries, Infinity);
  }

  all(options?: RangeOptions): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.fetchKeyRange(undefined, undefined, options);
  }

  /**
   * Sessions of every key that end in [earliestEnd, latestEnd], also those past retention that are
   * still kept (their segment is not dropped yet): what an aggregation emitting on window close reads,
   * as its sessions close just as they expire (Kafka Streams' time-ordered session stores do the same).
   */
  *sessionsEndingRetained(
    earliestEnd: number,
    latestEnd: number,
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    const entries = this.keyRangeEntries(undefined, undefined, earliestEnd, latestEnd, false, 'kept');
    for (const entry of this.sessions(entries, Infinity, true)) {
      const end = entry.key.window.end;
      if (end >= earliestEnd && end <= latestEnd) yield entry;
    }
  }

  encodeKey(key: K): BinaryKey {
    return this.serdes.encodeKey(key);
  }

  encodeValue(value: V): Uint8Array {
    return this.serdes.encodeValue(value);
  }

  /**
   * Where a session of a (serialized) key sorts among the store's entries: by segment, then key, then
   * end and start, as scans of the store return them. The record cache in front orders its entries so.
   */
  orderKey(recordKey: BinaryKey, start: number, end: number): BinaryKey {
    return this.storeKey(recordKey, start, end);
  }

  /** The changelog key of a stored key: record key, session end, session start. */
  static changelogKey(storeKey: BinaryKey): Uint8Array {
    const recordKey = decodeRecordKey(storeKey, SEGMENT_PREFIX_LENGTH, SUFFIX_LENGTH);
    const end = decodeTime(storeKey, storeKey.length - SUFFIX_LENGTH);
    const start = decodeTime(storeKey, storeKey.length - 8);
    return fromBinaryKey(recordKey + changelogTime(end) + changelogTime(start));
  }

  private storeKey(recordKey: BinaryKey, start: number, end: number): BinaryKey {
    return this.segments.prefix(end) + encodeRecordKey(recordKey) + encodeTime(end) + encodeTime(start);
  }

  private *sessions(
    entries: Iterable<[BinaryKey, Uint8Array]>,
    latestSessionStart: number,
    includeExpired = false,
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    for (const [key, bytes] of entries) {
      const end = decodeTime(key, key.length - SUFFIX_LENGTH);
      const start = decodeTime(key, key.length - 8);
      // Whole segments are read for key ranges: their oldest sessions may have expired.
      if (start > latestSessionStart || (!includeExpired && !this.segments.isLive(end))) continue;
      yield {
        key: {
          key: this.serdes.decodeKey(this.storedRecordKey(key)),
          window: { start, end },
        },
        value: this.serdes.decodeValue(bytes),
      };
    }
  }
}
