import { fromBinaryKey, type BinaryKey, type KeyBounds, type KeyValueBytesStore } from '../bytes.ts';
import { decodeTime, encodeTime } from './keys.ts';

/**
 * A bytes store split into time segments, the base of window and session stores. Every key starts with
 * the 8-byte id of its segment (time / segment interval), so a segment is one contiguous key range and
 * dropping expired data is one range delete.
 *
 * The store tracks its observed stream time, the largest time put. Data at or before
 * `streamTime - retention` has expired: reads never return it, and whole segments of it are dropped
 * as stream time moves on (puts into a segment already dropped are ignored). The stream time is saved with the data at each
 * commit, under a key outside every segment, so a store reopened from disk filters as before.
 */
export class SegmentedBytes {
  readonly bytes: KeyValueBytesStore;
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  private time: number;
  /** Segments below this id have been dropped. */
  private droppedBelow = -Infinity;
  private lastSegmentId = NaN;
  private lastPrefix = '';

  constructor(bytes: KeyValueBytesStore, retentionMs: number, segmentIntervalMs: number) {
    this.bytes = bytes;
    this.retentionMs = retentionMs;
    this.segmentIntervalMs = segmentIntervalMs;
    this.time = this.readMeta('stream-time') ?? -Infinity;
  }

  /** The segment interval for a retention period: half of it, but at least a minute (as in Kafka Streams). */
  static segmentInterval(retentionMs: number): number {
    return Math.max(Math.floor(retentionMs / 2), 60_000);
  }

  /** The largest time observed so far (-Infinity before the first). */
  get streamTime(): number {
    return this.time;
  }

  isLive(time: number): boolean {
    return time > this.time - this.retentionMs;
  }

  /**
   * Moves stream time up to `time` if it is later, dropping segments that fell out of retention; says
   * whether data at `time` is still kept. As in Kafka Streams, that is decided per segment: data past
   * retention in a segment not dropped yet is written (reads do not show it, but an aggregation
   * emitting on window close may still read it, see `oldestReadable`).
   */
  observe(time: number): boolean {
    if (time > this.time) {
      this.time = time;
      this.dropExpiredSegments();
    }
    return this.isKept(time);
  }

  /** Whether data at `time` lies in a segment that is not dropped. */
  isKept(time: number): boolean {
    return Math.floor(time / this.segmentIntervalMs) >= this.oldestKeptSegment();
  }

  /** The key prefix of the segment holding `time`. */
  prefix(time: number): string {
    const id = Math.floor(time / this.segmentIntervalMs);
    if (id !== this.lastSegmentId) {
      this.lastSegmentId = id;
      this.lastPrefix = encodeTime(id);
    }
    return this.lastPrefix;
  }

  /**
   * The entries of the live segments overlapping [from, to], segment by segment (newest first when
   * reversed). `boundsOf` gives the key range to read in one segment, with the time range clamped to
   * what can be live. Every segment's keys are taken before the first entry is returned, so keys added
   * while iterating do not show up (keys deleted meanwhile are skipped). With `oldest` 'kept', data past
   * retention whose segment is not dropped yet (segments go whole) is read too — see `oldestReadable`.
   */
  scan(
    from: number,
    to: number,
    boundsOf: (prefix: string, from: number, to: number) => KeyBounds,
    reverse = false,
    oldest: OldestRead = 'live',
  ): IterableIterator<[BinaryKey, Uint8Array]> {
    if (this.time === -Infinity) return [].values();
    const low = Math.max(from, this.oldestReadable(oldest));
    const high = Math.min(to, this.time);
    if (!(low <= high)) return [].values();
    const first = Math.floor(low / this.segmentIntervalMs);
    const last = Math.floor(high / this.segmentIntervalMs);
    const parts: IterableIterator<[BinaryKey, Uint8Array]>[] = [];
    for (let i = 0; i <= last - first; i++) {
      const id = reverse ? last - i : first + i;
      parts.push(this.bytes.range(boundsOf(encodeTime(id), low, high), reverse));
    }
    return chain(parts);
  }

  /**
   * The earliest time a read sees. Live data is after `stream time - retention`. A session aggregation
   * emitting on window close reads further back, because sessions close just as they expire: Kafka
   * Streams' time-ordered session stores show everything their segments still hold.
   */
  oldestReadable(oldest: OldestRead): number {
    if (oldest === 'kept') return Math.max(this.droppedBelow, 0) * this.segmentIntervalMs;
    return this.time - this.retentionMs + 1;
  }

  /** Saves the stream time with the data; run right before a commit takes its batch. */
  prepareCommit(): void {
    if (Number.isFinite(this.time) && this.readMeta('stream-time') !== this.time)
      this.writeMeta('stream-time', this.time);
  }

  /** A number saved alongside the data (outside every segment), undefined when never written. */
  readMeta(name: string): number | undefined {
    const bytes = this.bytes.get(metaKey(name));
    return bytes === undefined ? undefined : decodeTime(Buffer.from(bytes).toString('latin1'), 0);
  }

  writeMeta(name: string, value: number): void {
    this.bytes.put(metaKey(name), fromBinaryKey(encodeTime(value)));
  }

  /** Kafka Streams' `segmentId(streamTime - retention)`: segments before it are dropped. */
  private oldestKeptSegment(): number {
    return this.time === -Infinity
      ? -Infinity
      : Math.floor((this.time - this.retentionMs) / this.segmentIntervalMs);
  }

  private dropExpiredSegments(): void {
    const oldestLive = this.oldestKeptSegment();
    if (oldestLive <= this.droppedBelow) return;
    this.bytes.deleteRange({ lt: encodeTime(oldestLive) });
    this.droppedBelow = oldestLive;
  }
}

/** How far back a scan reads (see `SegmentedBytes.oldestReadable`). */
export type OldestRead = 'live' | 'kept';

/**
 * Meta keys start with 0xFF, which no segment id does: ids of times within ±2^53 ms start with 0x7F or
 * 0x80. So they sort after every segment and range deletes of old segments never reach them.
 */
function metaKey(name: string): BinaryKey {
  return '\xff' + name;
}

function* chain<T>(parts: IterableIterator<T>[]): IterableIterator<T> {
  for (const part of parts) yield* part;
}
