import { StoreError } from '../../errors.ts';
import type { Serde, SerdeContext } from '../../serde/serde.ts';
import { toBinaryKey, type BinaryKey } from '../bytes.ts';

/** The serdes of one typed store, with the contexts that name the store in serde errors. */
export class StoreSerdes<K, V> {
  private readonly storeName: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly keyContext: SerdeContext;
  private readonly valueContext: SerdeContext;

  constructor(storeName: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.storeName = storeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.keyContext = { topic: `store "${storeName}"`, part: 'key' };
    this.valueContext = { topic: `store "${storeName}"`, part: 'value' };
  }

  encodeKey(key: K): BinaryKey {
    if (key === null || key === undefined)
      throw new StoreError(`store "${this.storeName}": keys cannot be null`);
    return toBinaryKey(this.keySerde.serialize(key, this.keyContext));
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
