import type { Serde } from '../../serde/serde.ts';
import type { BinaryKey } from '../bytes.ts';
import type { ChangeLogger, TimestampSource } from '../change-logger.ts';
import type { ObservableStore, StoreChange, StoreChangeListener } from '../change-listener.ts';
import { decodeRecordKey, encodeRecordKey, recordKeyRange } from '../segmented/keys.ts';
import type { OldestRead, SegmentedBytes } from '../segmented/segmented-bytes.ts';
import { logWrite, type ChangelogForm } from './key-value-store.ts';
import { StoreSerdes } from './store-serdes.ts';

/** Every stored key starts with the 8-byte id of its time segment. */
export const SEGMENT_PREFIX_LENGTH = 8;

export interface SegmentedStoreOptions<K, V> {
  readonly name: string;
  readonly segments: SegmentedBytes;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly logger: ChangeLogger | undefined;
  readonly now: TimestampSource;
  /** How a stored value goes to the changelog, when not as is (timestamped stores log the bare value). */
  readonly toChangelog?: ChangelogForm;
}

/**
 * What window and session stores share: typed keys and values kept in the time segments of one bytes
 * store, under keys `segment id ‖ record key ‖ suffix`, where the suffix (times, a sequence number)
 * has a fixed length per kind of store. Writes are logged for the changelog and told to the listener.
 */
export abstract class SegmentedStore<K, V> implements ObservableStore {
  readonly name: string;
  protected readonly segments: SegmentedBytes;
  protected readonly serdes: StoreSerdes<K, V>;
  private readonly suffixLength: number;
  private readonly logger: ChangeLogger | undefined;
  private readonly now: TimestampSource;
  private readonly toChangelog: ChangelogForm | undefined;
  private listener: StoreChangeListener | undefined;

  protected constructor(options: SegmentedStoreOptions<K, V>, suffixLength: number) {
    this.name = options.name;
    this.segments = options.segments;
    this.serdes = new StoreSerdes(options.name, options.keySerde, options.valueSerde);
    this.suffixLength = suffixLength;
    this.logger = options.logger;
    this.now = options.now;
    this.toChangelog = options.toChangelog;
  }

  get persistent(): boolean {
    return this.segments.bytes.persistent;
  }

  /** Stored entries, including a few bookkeeping ones: close enough for a size metric. */
  approximateNumEntries(): number {
    return this.segments.bytes.size();
  }

  setChangeListener(listener: StoreChangeListener | undefined): void {
    this.listener = listener;
  }

  /**
   * A number a processor keeps with the store's data, written with it at commit (for example how far
   * an aggregation emitting on window close has emitted). It is not in the changelog: a copy of the
   * store restored on another worker starts without it.
   */
  processorMetadata(name: string): number | undefined {
    return this.segments.readMeta(`processor:${name}`);
  }

  setProcessorMetadata(name: string, value: number): void {
    this.segments.writeMeta(`processor:${name}`, value);
  }

  /**
   * Whether data at `time` is within retention (behind the stream time of the writes the store has
   * taken): reads show only that, and so does the record cache in front.
   */
  isLive(time: number): boolean {
    return this.segments.isLive(time);
  }

  /** Saves the store's bookkeeping with the data; run right before a commit takes its batch. */
  prepareCommit(): void {
    this.segments.prepareCommit();
  }

  /** Tells the change listener about a write (the record cache in front does when it takes one). */
  notifyChange(change: StoreChange): void {
    this.listener?.(change);
  }

  /**
   * Writes one stored key (undefined deletes it), logs the write and tells the listener, unless the
   * record cache in front told it already (`notify` false).
   */
  protected write(
    storeKey: BinaryKey,
    bytes: Uint8Array | undefined,
    change: StoreChange,
    notify = true,
  ): void {
    this.segments.bytes.put(storeKey, bytes);
    if (notify) this.listener?.(change);
    if (this.logger) logWrite(this.logger, storeKey, bytes, this.now, this.toChangelog);
  }

  /** The record key as it stands inside stored keys, for prefixes of one key's entries. */
  protected recordKeyPrefix(key: K): string {
    return encodeRecordKey(this.serdes.encodeKey(key));
  }

  /**
   * The stored entries of keys in [keyFrom, keyTo] (undefined is open), from the live segments
   * overlapping [timeFrom, timeTo]. Whole segments are read: callers filter the times of the entries.
   */
  protected keyRangeEntries(
    keyFrom: K | undefined,
    keyTo: K | undefined,
    timeFrom: number,
    timeTo: number,
    reverse?: boolean,
    oldest?: OldestRead,
  ): IterableIterator<[BinaryKey, Uint8Array]> {
    const keys = recordKeyRange(
      keyFrom === undefined ? undefined : this.serdes.encodeKey(keyFrom),
      keyTo === undefined ? undefined : this.serdes.encodeKey(keyTo),
    );
    if (!keys) return [].values();
    return this.segments.scan(
      timeFrom,
      timeTo,
      (prefix) => ({ gte: prefix + keys.gte, lt: prefix + keys.lt }),
      reverse,
      oldest,
    );
  }

  /** The record key of a stored key. */
  protected storedRecordKey(storeKey: BinaryKey): BinaryKey {
    return decodeRecordKey(storeKey, SEGMENT_PREFIX_LENGTH, this.suffixLength);
  }
}
