import { SerdeError } from '../../errors.ts';
import type { Serde, SerdeContext } from '../../serde/serde.ts';
import type { Change } from '../change.ts';

const HAS_NEW = 1;
const HAS_OLD = 2;

/**
 * Serializes a table change (new and old value, each possibly null) with the value's own serde, so a
 * re-grouped table can send both halves of an update through a repartition topic as one record.
 *
 * Layout: one flag byte (1: new value present, 2: old value present); when both are present the new
 * value's length follows as a 4-byte big-endian integer; then the new value's bytes, then the old's.
 */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  return {
    name: `change(${inner.name})`,
    serialize: (change, context) => {
      const newBytes = change.newValue === null ? undefined : inner.serialize(change.newValue, context);
      const oldBytes = change.oldValue === null ? undefined : inner.serialize(change.oldValue, context);
      const flags = (newBytes ? HAS_NEW : 0) | (oldBytes ? HAS_OLD : 0);
      const lengthPrefix = newBytes && oldBytes ? 4 : 0;
      const bytes = new Uint8Array(
        1 + lengthPrefix + (newBytes?.byteLength ?? 0) + (oldBytes?.byteLength ?? 0),
      );
      bytes[0] = flags;
      let offset = 1;
      if (newBytes && oldBytes) {
        new DataView(bytes.buffer).setUint32(offset, newBytes.byteLength);
        offset += 4;
      }
      if (newBytes) {
        bytes.set(newBytes, offset);
        offset += newBytes.byteLength;
      }
      if (oldBytes) bytes.set(oldBytes, offset);
      return bytes;
    },
    deserialize: (bytes, context) => {
      if (bytes.byteLength < 1) throw malformed('it is empty', context);
      const flags = bytes[0]!;
      if (flags > (HAS_NEW | HAS_OLD)) throw malformed(`its flag byte is ${flags}`, context);
      let newPart: Uint8Array | undefined;
      let oldPart: Uint8Array | undefined;
      if (flags === (HAS_NEW | HAS_OLD)) {
        if (bytes.byteLength < 5) throw malformed('its length prefix is cut off', context);
        const newLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
        if (5 + newLength > bytes.byteLength)
          throw malformed(`its new value claims ${newLength} bytes`, context);
        newPart = bytes.subarray(5, 5 + newLength);
        oldPart = bytes.subarray(5 + newLength);
      } else if (flags === HAS_NEW) newPart = bytes.subarray(1);
      else if (flags === HAS_OLD) oldPart = bytes.subarray(1);
      return {
        newValue: newPart ? inner.deserialize(newPart, context) : null,
        oldValue: oldPart ? inner.deserialize(oldPart, context) : null,
      };
    },
    toJson: (change) => ({
      newValue:
        change.newValue === null ? null : inner.toJson ? inner.toJson(change.newValue) : change.newValue,
      oldValue:
        change.oldValue === null ? null : inner.toJson ? inner.toJson(change.oldValue) : change.oldValue,
    }),
    fromJson: (json, context) => {
      if (json === null || typeof json !== 'object')
        throw new SerdeError(
          `expected a change {"newValue": ..., "oldValue": ...}, got ${JSON.stringify(json)}`,
        );
      const part = (value: unknown): V | null =>
        value === null || value === undefined
          ? null
          : inner.fromJson
            ? inner.fromJson(value, context)
            : (value as V);
      return {
        newValue: part('newValue' in json ? json.newValue : undefined),
        oldValue: part('oldValue' in json ? json.oldValue : undefined),
      };
    },
  };
}

function malformed(why: string, context: SerdeContext | undefined): SerdeError {
  const where = context ? ` (${context.part} of topic "${context.topic}")` : '';
  return new SerdeError(`cannot read a table change: ${why}${where}`);
}
