import { SerdeError } from '../../errors.ts';
import type { Serde, SerdeContext } from '../../serde/serde.ts';

export type JoinSide = 'left' | 'right';

/**
 * Key of the store of records still waiting for a partner (left and outer stream-stream joins): the
 * timestamp first (8 bytes, big-endian), then the side (right 0, left 1), then the record key, so a
 * scan meets the oldest records first.
 */
export interface OuterKey<K> {
  readonly timestamp: number;
  readonly side: JoinSide;
  readonly key: K;
}

/**
 * Every value of one (timestamp, side, key): records of the same key and time share one entry. The side
 * says which input the values came from, and so their type.
 */
export type OuterValues<VL, VR> =
  | { readonly side: 'left'; readonly values: readonly VL[] }
  | { readonly side: 'right'; readonly values: readonly VR[] };

export function outerKeySerde<K>(keySerde: Serde<K>): Serde<OuterKey<K>> {
  return {
    name: `join-outer-key(${keySerde.name})`,
    serialize: (value, context) => {
      const key = keySerde.serialize(value.key, context);
      const bytes = new Uint8Array(9 + key.byteLength);
      const view = new DataView(bytes.buffer);
      // Timestamps are never negative here (the runtime refuses such records), so unsigned order is time order.
      view.setBigUint64(0, BigInt(value.timestamp));
      view.setUint8(8, value.side === 'left' ? 1 : 0);
      bytes.set(key, 9);
      return bytes;
    },
    deserialize: (bytes, context) => {
      if (bytes.byteLength < 9)
        throw new SerdeError(`join buffer key is ${bytes.byteLength} bytes, too short`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return {
        timestamp: Number(view.getBigUint64(0)),
        side: view.getUint8(8) === 1 ? 'left' : 'right',
        key: keySerde.deserialize(bytes.subarray(9), context),
      };
    },
  };
}

/** Layout: the side (0 right, 1 left), then each value as a 4-byte length and its bytes. */
export function outerValuesSerde<VL, VR>(
  leftSerde: Serde<VL>,
  rightSerde: Serde<VR>,
): Serde<OuterValues<VL, VR>> {
  return {
    name: `join-outer-values(${leftSerde.name},${rightSerde.name})`,
    serialize: (entry, context?: SerdeContext) => {
      const parts =
        entry.side === 'left'
          ? entry.values.map((v) => leftSerde.serialize(v, context))
          : entry.values.map((v) => rightSerde.serialize(v, context));
      const bytes = new Uint8Array(1 + parts.reduce((n, p) => n + 4 + p.byteLength, 0));
      const view = new DataView(bytes.buffer);
      view.setUint8(0, entry.side === 'left' ? 1 : 0);
      let offset = 1;
      for (const part of parts) {
        view.setUint32(offset, part.byteLength);
        bytes.set(part, offset + 4);
        offset += 4 + part.byteLength;
      }
      return bytes;
    },
    deserialize: (bytes, context) =>
      new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint8(0) === 1
        ? { side: 'left', values: lengthPrefixed(bytes).map((part) => leftSerde.deserialize(part, context)) }
        : {
            side: 'right',
            values: lengthPrefixed(bytes).map((part) => rightSerde.deserialize(part, context)),
          },
  };
}

/** The length-prefixed parts of an entry, after its side byte. */
function lengthPrefixed(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 1;
  while (offset < bytes.byteLength) {
    if (offset + 4 > bytes.byteLength) throw new SerdeError('join buffer value is truncated');
    const length = view.getUint32(offset);
    if (offset + 4 + length > bytes.byteLength) throw new SerdeError('join buffer value is truncated');
    parts.push(bytes.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return parts;
}
