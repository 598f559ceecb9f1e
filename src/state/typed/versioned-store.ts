import { StoreError } from '../../errors.ts';
import { readInt64, writeInt64 } from '../../serde/int64.ts';
import type { Serde } from '../../serde/serde.ts';
import {
  VersionedStore,
  type VersionedKeyValueStore,
  type VersionedRecord,
  type VersionsQuery,
} from '../api.ts';
import type { BinaryKey, KeyValueBytesStore } from '../bytes.ts';
import type { ChangeLogger } from '../change-logger.ts';
import { StoreSerdes } from './store-serdes.ts';

/** One stored version: its timestamp and its serialized value (undefined: a delete). */
interface Version {
  readonly timestamp: number;
  readonly value: Uint8Array | undefined;
}

/**
 * A key's versions as one stored value, oldest first: per version an 8-byte timestamp, a 4-byte length
 * (-1 for a delete) and the value's bytes. The whole history of a key is one row, so the row (and its
 * changelog record, which is the row) always holds every version the store still needs.
 */
export function encodeVersions(versions: readonly Version[]): Uint8Array {
  let length = 0;
  for (const v of versions) length += 12 + (v.value?.byteLength ?? 0);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const v of versions) {
    writeInt64(bytes, offset, v.timestamp);
    view.setInt32(offset + 8, v.value ? v.value.byteLength : -1);
    offset += 12;
    if (v.value) {
      bytes.set(v.value, offset);
      offset += v.value.byteLength;
    }
  }
  return bytes;
}

export function decodeVersions(bytes: Uint8Array, storeName: string): Version[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const versions: Version[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (offset + 12 > bytes.byteLength)
      throw new StoreError(`store "${storeName}": a version row is cut off`);
    const timestamp = readInt64(bytes, offset);
    const length = view.getInt32(offset + 8);
    offset += 12;
    if (length < 0) versions.push({ timestamp, value: undefined });
    else {
      if (offset + length > bytes.byteLength)
        throw new StoreError(`store "${storeName}": a version row is cut off`);
      versions.push({ timestamp, value: bytes.subarray(offset, offset + length) });
      offset += length;
    }
  }
  return versions;
}

/** The timestamp of a row's newest version: what the row adds to the store's stream time. */
export function newestTimestamp(row: Uint8Array): number {
  let newest = Number.NEGATIVE_INFINITY;
  const view = new DataView(row.buffer, row.byteOffset, row.byteLength);
  for (let offset = 0; offset + 12 <= row.byteLength;) {
    newest = readInt64(row, offset);
    const length = view.getInt32(offset + 8);
    offset += 12 + Math.max(0, length);
  }
  return newest;
}

/**
 * A versioned key-value store (KIP-889) over a bytes store, as Kafka Streams' RocksDB versioned store
 * behaves:
 *
 * - the store's stream time is the largest timestamp put; a write older than stream time minus the
 *   history retention is refused (`PUT_RETURN_CODE_NOT_PUT`), a delete included;
 * - `get(key, asOf)` answers from the version with the largest timestamp not after `asOf`, and answers
 *   nothing for `asOf` beyond the history retention, unless the latest version is old enough;
 * - a version no read can reach any more (its successor is older than the retention bound) is dropped
 *   when its key is written.
 *
 * Each key's history is one row (`encodeVersions`); the changelog carries that row, stamped with its
 * newest timestamp. Stream time is not stored: it is the newest timestamp of all rows, found when the
 * store is first used.
 */
export class TypedVersionedKeyValueStore<K, V> implements VersionedKeyValueStore<K, V> {
  readonly name: string;
  readonly historyRetentionMs: number;
  private readonly bytes: KeyValueBytesStore;
  private readonly serdes: StoreSerdes<K, V>;
  private readonly logger: ChangeLogger | undefined;
  private observedStreamTime: number | undefined;

  constructor(options: {
    name: string;
    bytes: KeyValueBytesStore;
    keySerde: Serde<K>;
    valueSerde: Serde<V>;
    historyRetentionMs: number;
    logger: ChangeLogger | undefined;
  }) {
    if (!Number.isFinite(options.historyRetentionMs) || options.historyRetentionMs < 0)
      throw new StoreError(
        `store "${options.name}": the history retention must be a non-negative number of ms, got ${options.historyRetentionMs}`,
      );
    this.name = options.name;
    this.historyRetentionMs = options.historyRetentionMs;
    this.bytes = options.bytes;
    this.serdes = new StoreSerdes(options.name, options.keySerde, options.valueSerde);
    this.logger = options.logger;
  }

  get persistent(): boolean {
    return this.bytes.persistent;
  }

  /** The largest timestamp put so far (computed from the rows the first time it is needed). */
  get streamTime(): number {
    if (this.observedStreamTime === undefined) {
      let newest = Number.NEGATIVE_INFINITY;
      for (const [, row] of this.bytes.range({})) newest = Math.max(newest, newestTimestamp(row));
      this.observedStreamTime = newest;
    }
    return this.observedStreamTime;
  }

  /** Takes a row restored from the changelog into account for stream time. */
  restored(row: Uint8Array | undefined): void {
    if (row !== undefined && this.observedStreamTime !== undefined)
      this.observedStreamTime = Math.max(this.observedStreamTime, newestTimestamp(row));
  }

  get(key: K, asOfTimestamp?: number): VersionedRecord<V> | undefined {
    const versions = this.versionsOf(this.serdes.encodeKey(key));
    if (versions.length === 0) return undefined;
    const latest = versions.length - 1;
    if (asOfTimestamp === undefined) return this.record(versions, latest);
    if (asOfTimestamp < this.streamTime - this.historyRetentionMs)
      // Beyond the history retention only the latest version still answers, when it is old enough.
      return versions[latest]!.timestamp <= asOfTimestamp ? this.record(versions, latest) : undefined;
    for (let i = latest; i >= 0; i--)
      if (versions[i]!.timestamp <= asOfTimestamp) return this.record(versions, i);
    return undefined;
  }

  getVersions(key: K, query: VersionsQuery = {}): VersionedRecord<V>[] {
    const fromTime = query.fromTime ?? Number.NEGATIVE_INFINITY;
    const toTime = query.toTime ?? Number.POSITIVE_INFINITY;
    const versions = this.versionsOf(this.serdes.encodeKey(key));
    const found: VersionedRecord<V>[] = [];
    const latest = versions.length - 1;
    const bound = this.streamTime - this.historyRetentionMs;
    // Beyond the history retention only the latest version still answers, as for get(key, asOf).
    const first = toTime < bound ? latest : 0;
    for (let i = latest; i >= first; i--) {
      const validTo = versions[i + 1]?.timestamp ?? Number.POSITIVE_INFINITY;
      // A version that ended at or before the retention bound has expired, even if its row still holds it.
      if (versions[i]!.timestamp > toTime || validTo <= fromTime || validTo <= bound) continue;
      const record = this.record(versions, i);
      if (record) found.push(record);
    }
    return query.order === 'ascending' ? found.reverse() : found;
  }

  put(key: K, value: V | null, timestamp: number): number {
    if (timestamp < this.streamTime - this.historyRetentionMs) return VersionedStore.PUT_RETURN_CODE_NOT_PUT;
    this.observedStreamTime = Math.max(this.streamTime, timestamp);
    const binaryKey = this.serdes.encodeKey(key);
    const versions = this.versionsOf(binaryKey);
    const bytes = value === null || value === undefined ? undefined : this.serdes.encodeValue(value);
    let at = versions.findIndex((v) => v.timestamp >= timestamp);
    if (at === -1) at = versions.length;
    if (versions[at]?.timestamp === timestamp) versions[at] = { timestamp, value: bytes };
    else versions.splice(at, 0, { timestamp, value: bytes });
    const validTo = versions[at + 1]?.timestamp;
    this.write(binaryKey, this.prune(versions));
    return validTo ?? VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED;
  }

  delete(key: K, timestamp: number): VersionedRecord<V> | undefined {
    if (timestamp < this.streamTime - this.historyRetentionMs) return undefined;
    const existing = this.get(key, timestamp);
    this.put(key, null, timestamp);
    return existing;
  }

  /** Versions whose successor is at or before the retention bound can answer no read any more. */
  private prune(versions: Version[]): Version[] {
    const bound = this.streamTime - this.historyRetentionMs;
    let first = 0;
    while (first + 1 < versions.length && versions[first + 1]!.timestamp <= bound) first++;
    const kept = versions.slice(first);
    // A key whose only version left is an expired delete has nothing to answer.
    if (kept.length === 1 && kept[0]!.value === undefined && kept[0]!.timestamp <= bound) return [];
    return kept;
  }

  private versionsOf(key: BinaryKey): Version[] {
    const row = this.bytes.get(key);
    return row === undefined ? [] : decodeVersions(row, this.name);
  }

  private write(key: BinaryKey, versions: readonly Version[]): void {
    if (versions.length === 0) {
      this.bytes.put(key, undefined);
      this.logger?.log(key, null, this.streamTime);
      return;
    }
    const row = encodeVersions(versions);
    this.bytes.put(key, row);
    this.logger?.log(key, row, versions[versions.length - 1]!.timestamp);
  }

  private record(versions: readonly Version[], index: number): VersionedRecord<V> | undefined {
    const version = versions[index]!;
    if (version.value === undefined) return undefined;
    const value = this.serdes.decodeValue(version.value);
    const next = versions[index + 1];
    return next === undefined
      ? { value, timestamp: version.timestamp }
      : { value, timestamp: version.timestamp, validTo: next.timestamp };
  }
}
