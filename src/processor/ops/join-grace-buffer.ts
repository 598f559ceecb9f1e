import { SerdeError } from '../../errors.ts';
import { readInt64, writeInt64 } from '../../serde/int64.ts';
import type { Serde, SerdeContext } from '../../serde/serde.ts';
import type { KeyValueStore } from '../../state/api.ts';
import type { StreamRecord } from '../record.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Timestamps as big-endian bytes with the sign bit flipped, so byte order is numeric order. */
function orderedTimestamp(bytes: Uint8Array, offset: number, timestamp: number): void {
  writeInt64(bytes, offset, timestamp);
  bytes[offset]! ^= 0x80;
}

function timestampOf(key: Uint8Array): number {
  // A copy: keys read back from a store may be Buffers, whose slice() shares their bytes.
  const copy = Uint8Array.from(key.subarray(0, 8));
  copy[0]! ^= 0x80;
  return readInt64(copy, 0);
}

/** Length-prefixed parts (-1 for absent), for the buffered record's value. */
function encodeParts(parts: readonly (Uint8Array | undefined)[]): Uint8Array {
  const length = parts.reduce((n, part) => n + 4 + (part?.byteLength ?? 0), 0);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const part of parts) {
    view.setInt32(offset, part ? part.byteLength : -1);
    offset += 4;
    if (part) {
      bytes.set(part, offset);
      offset += part.byteLength;
    }
  }
  return bytes;
}

function decodeParts(bytes: Uint8Array): (Uint8Array | undefined)[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: (Uint8Array | undefined)[] = [];
  for (let offset = 0; offset < bytes.byteLength;) {
    if (offset + 4 > bytes.byteLength) throw new SerdeError('a buffered join record is cut off');
    const length = view.getInt32(offset);
    offset += 4;
    if (length < 0) parts.push(undefined);
    else {
      if (offset + length > bytes.byteLength) throw new SerdeError('a buffered join record is cut off');
      parts.push(bytes.subarray(offset, offset + length));
      offset += length;
    }
  }
  return parts;
}

/**
 * The stream records a stream-table join holds back for its grace period (KIP-914): Kafka Streams'
 * `RocksDBTimeOrderedKeyValueBuffer`. Each record is kept under its timestamp, its serialized key and
 * a sequence number, so records leave in timestamp order, then key order, then arrival order. The
 * buffer's stream time is the largest timestamp put into it; a record older than that minus the grace
 * period is not buffered (the join takes it at once), and `evict` hands out, and removes, every record
 * whose timestamp is at most that bound.
 */
export class JoinGraceBuffer<K, V> {
  private readonly store: KeyValueStore<Uint8Array, Uint8Array>;
  private readonly graceMs: number;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly context: SerdeContext;
  private streamTime = Number.NEGATIVE_INFINITY;
  private sequence = 0;

  constructor(options: {
    store: KeyValueStore<Uint8Array, Uint8Array>;
    graceMs: number;
    keySerde: Serde<K>;
    valueSerde: Serde<V>;
    storeName: string;
  }) {
    this.store = options.store;
    this.graceMs = options.graceMs;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.context = { topic: `store "${options.storeName}"`, part: 'key' };
    // Records still waiting after a restart keep their places; new ones go after them.
    for (const { key } of this.store.all()) {
      this.streamTime = Math.max(this.streamTime, timestampOf(key));
      this.sequence = Math.max(
        this.sequence,
        new DataView(key.buffer, key.byteOffset).getInt32(key.byteLength - 4) + 1,
      );
    }
  }

  /** Holds the record back and returns true, or returns false when it is already too late to wait. */
  put(record: StreamRecord<K, V>): boolean {
    if (this.streamTime - this.graceMs > record.timestamp) return false;
    this.streamTime = Math.max(this.streamTime, record.timestamp);
    const keyBytes = this.keySerde.serialize(record.key, this.context);
    const key = new Uint8Array(8 + keyBytes.byteLength + 4);
    orderedTimestamp(key, 0, record.timestamp);
    key.set(keyBytes, 8);
    new DataView(key.buffer).setInt32(8 + keyBytes.byteLength, this.sequence);
    this.sequence = (this.sequence + 1) & 0x7fffffff;
    const valueContext = { ...this.context, part: 'value' as const };
    const headers = Object.entries(record.headers).flatMap(([name, value]) => [
      encoder.encode(name),
      Uint8Array.of(typeof value === 'string' ? 0 : 1),
      typeof value === 'string' ? encoder.encode(value) : value,
    ]);
    this.store.put(key, encodeParts([this.valueSerde.serialize(record.value, valueContext), ...headers]));
    return true;
  }

  /** Removes and returns, oldest first, the records whose grace period has passed. */
  *evict(): IterableIterator<StreamRecord<K, V>> {
    const bound = this.streamTime - this.graceMs;
    // Taken out of the store before they are joined, so no store iterator is open while they are deleted.
    const due: { key: Uint8Array; value: Uint8Array }[] = [];
    for (const entry of this.store.all()) {
      if (timestampOf(entry.key) > bound) break;
      due.push(entry);
    }
    for (const { key, value } of due) {
      const timestamp = timestampOf(key);
      this.store.delete(key);
      const [valueBytes, ...headerParts] = decodeParts(value);
      // Records with a null value are never buffered: they are dropped before they get here.
      if (!valueBytes) throw new SerdeError('a buffered join record has no value');
      const headers: Record<string, string | Uint8Array> = {};
      for (let i = 0; i + 2 < headerParts.length; i += 3) {
        const raw = headerParts[i + 2] ?? new Uint8Array();
        headers[decoder.decode(headerParts[i])] =
          headerParts[i + 1]?.[0] === 0 ? decoder.decode(raw) : raw.slice();
      }
      yield {
        key: this.keySerde.deserialize(key.subarray(8, key.byteLength - 4), this.context),
        value: this.valueSerde.deserialize(valueBytes, { ...this.context, part: 'value' }),
        timestamp,
        headers,
      };
    }
  }
}
