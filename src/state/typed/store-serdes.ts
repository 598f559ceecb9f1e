import { StoreError } from '../../errors.ts';
import type { Serde, SerdeContext } from '../../serde/serde.ts';
import { toBinaryKey, type BinaryKey } from '../bytes.ts';

/** Matches no key, so the first key is always encoded. */
const NO_KEY = Symbol('no key');

/** The serdes of one typed store, with the contexts that name the store in serde errors. */
export class StoreSerdes<K, V> {
  private readonly storeName: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly keyContext: SerdeContext;
  private readonly valueContext: SerdeContext;
  /** The last primitive key encoded (objects could change between calls) and its encoding. */
  private lastKey: unknown = NO_KEY;
  private lastBinaryKey: BinaryKey = '';

  constructor(storeName: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.storeName = storeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.keyContext = { topic: `store "${storeName}"`, part: 'key' };
    this.valueContext = { topic: `store "${storeName}"`, part: 'value' };
  }

  encodeKey(key: K): BinaryKey {
    // Operators read a key and then write it: the second encoding of a primitive key is remembered.
    if (Object.is(key, this.lastKey)) return this.lastBinaryKey;
    if (key === null || key === undefined)
      throw new StoreError(`store "${this.storeName}": keys cannot be null`);
    const binary = toBinaryKey(this.keySerde.serialize(key, this.keyContext));
    if (typeof key !== 'object') {
      this.lastKey = key;
      this.lastBinaryKey = binary;
    }
    return binary;
  }

  /** A key prefix (prefix scans), serialized by its own serde but named as this store's key in errors. */
  encodeKeyPrefix<P>(prefix: P, prefixSerde: Serde<P>): Uint8Array {
    return prefixSerde.serialize(prefix, this.keyContext);
  }

  decodeKey(key: BinaryKey): K {
    return this.keySerde.deserialize(Buffer.from(key, 'latin1'), this.keyContext);
  }

  encodeValue(value: V): Uint8Array {
    return this.valueSerde.serialize(value, this.valueContext);
  }

  decodeValue(bytes: Uint8Array): V {
    return this.valueSerde.deserialize(bytes, this.valueContext);
  }
}
