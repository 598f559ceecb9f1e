import { SerdeError } from '../../../errors.ts';
import type { Serde, SerdeContext } from '../../../serde/serde.ts';

/**
 * What a subscription asks of the right-hand side:
 * - `unsubscribe`: forget this left row under this foreign key; no answer.
 * - `respond-always`: remember it and answer even when the foreign row is missing (a left join's null
 *   result, or an inner join's tombstone for a row whose foreign key moved to a key without a match).
 * - `respond-if-match`: remember it and answer only when the foreign row exists.
 */
export type SubscriptionInstruction = 'unsubscribe' | 'respond-always' | 'respond-if-match';

const instructionCodes: readonly SubscriptionInstruction[] = [
  'unsubscribe',
  'respond-always',
  'respond-if-match',
];

/** A left row registering (or withdrawing) its interest in the right row of its foreign key. */
export interface Subscription<K> {
  /** Hash of the left value that sent it (null for a deleted row): answers to older values are stale. */
  readonly hash: Uint8Array | null;
  readonly instruction: SubscriptionInstruction;
  readonly primaryKey: K;
  /** The left task's partition, where the answer must go. */
  readonly primaryPartition: number;
}

/** The right row's value (or null) sent back to the left row that subscribed. */
export interface SubscriptionResponse<VO> {
  readonly hash: Uint8Array | null;
  readonly foreignValue: VO | null;
  readonly primaryPartition: number;
}

/** The key of the subscription store: foreign key first, so one prefix scan finds every subscriber. */
export interface CombinedKey<KO, K> {
  readonly foreignKey: KO;
  readonly primaryKey: K;
}

const VERSION = 0;

/** A growable byte buffer for the wrappers' layouts (all integers big-endian). */
class Writer {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  byte(value: number): this {
    return this.bytes(Uint8Array.of(value));
  }

  int32(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setInt32(0, value);
    return this.bytes(bytes);
  }

  bytes(bytes: Uint8Array): this {
    this.parts.push(bytes);
    this.length += bytes.byteLength;
    return this;
  }

  done(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly what: string;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.what = what;
  }

  byte(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  int32(): number {
    this.need(4);
    const value = this.view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }

  take(length: number): Uint8Array {
    this.need(length);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  rest(): Uint8Array {
    return this.take(this.bytes.byteLength - this.offset);
  }

  private need(length: number): void {
    if (length < 0 || this.offset + length > this.bytes.byteLength)
      throw new SerdeError(`${this.what} is truncated (${this.bytes.byteLength} bytes)`);
  }
}

function readVersion(reader: Reader, what: string): void {
  const version = reader.byte();
  if (version !== VERSION) throw new SerdeError(`${what} has unknown format version ${version}`);
}

function writeHash(writer: Writer, hash: Uint8Array | null): void {
  writer.byte(hash ? hash.byteLength : 0);
  if (hash) writer.bytes(hash);
}

function readHash(reader: Reader): Uint8Array | null {
  const length = reader.byte();
  return length === 0 ? null : reader.take(length).slice();
}

/** Layout: version, instruction, hash length + hash, partition (int32), primary key bytes. */
export function subscriptionSerde<K>(
  primaryKeySerde: Serde<K>,
  keyContext: SerdeContext,
): Serde<Subscription<K>> {
  const what = 'foreign-key join subscription';
  return {
    name: `fk-subscription(${primaryKeySerde.name})`,
    serialize: (value) => {
      const writer = new Writer().byte(VERSION).byte(instructionCodes.indexOf(value.instruction));
      writeHash(writer, value.hash);
      return writer
        .int32(value.primaryPartition)
        .bytes(primaryKeySerde.serialize(value.primaryKey, keyContext))
        .done();
    },
    deserialize: (bytes) => {
      const reader = new Reader(bytes, what);
      readVersion(reader, what);
      const instruction = instructionCodes[reader.byte()];
      if (!instruction) throw new SerdeError(`${what} has an unknown instruction`);
      const hash = readHash(reader);
      const primaryPartition = reader.int32();
      return {
        instruction,
        hash,
        primaryPartition,
        primaryKey: primaryKeySerde.deserialize(reader.rest(), keyContext),
      };
    },
  };
}

/** Layout: version, hash length + hash, partition (int32), presence byte, foreign value bytes. */
export function responseSerde<VO>(
  foreignValueSerde: Serde<VO>,
  valueContext: SerdeContext,
): Serde<SubscriptionResponse<VO>> {
  const what = 'foreign-key join response';
  return {
    name: `fk-response(${foreignValueSerde.name})`,
    serialize: (value) => {
      const writer = new Writer().byte(VERSION);
      writeHash(writer, value.hash);
      writer.int32(value.primaryPartition);
      if (value.foreignValue === null || value.foreignValue === undefined) return writer.byte(0).done();
      return writer.byte(1).bytes(foreignValueSerde.serialize(value.foreignValue, valueContext)).done();
    },
    deserialize: (bytes) => {
      const reader = new Reader(bytes, what);
      readVersion(reader, what);
      const hash = readHash(reader);
      const primaryPartition = reader.int32();
      const present = reader.byte() === 1;
      return {
        hash,
        primaryPartition,
        foreignValue: present ? foreignValueSerde.deserialize(reader.rest(), valueContext) : null,
      };
    },
  };
}

/** The foreign key alone, length-prefixed as in the combined key: the prefix every subscriber shares. */
export function foreignKeyPrefixSerde<KO>(foreignKeySerde: Serde<KO>, context: SerdeContext): Serde<KO> {
  return {
    name: `fk-prefix(${foreignKeySerde.name})`,
    serialize: (foreignKey) => {
      const bytes = foreignKeySerde.serialize(foreignKey, context);
      return new Writer().int32(bytes.byteLength).bytes(bytes).done();
    },
    deserialize: (bytes) => {
      const reader = new Reader(bytes, 'foreign key prefix');
      return foreignKeySerde.deserialize(reader.take(reader.int32()), context);
    },
  };
}

/** Layout: foreign key length (int32), foreign key bytes, primary key bytes. */
export function combinedKeySerde<KO, K>(
  foreignKeySerde: Serde<KO>,
  foreignKeyContext: SerdeContext,
  primaryKeySerde: Serde<K>,
  primaryKeyContext: SerdeContext,
): Serde<CombinedKey<KO, K>> {
  return {
    name: `fk-combined(${foreignKeySerde.name},${primaryKeySerde.name})`,
    serialize: (key) => {
      const foreign = foreignKeySerde.serialize(key.foreignKey, foreignKeyContext);
      return new Writer()
        .int32(foreign.byteLength)
        .bytes(foreign)
        .bytes(primaryKeySerde.serialize(key.primaryKey, primaryKeyContext))
        .done();
    },
    deserialize: (bytes) => {
      const reader = new Reader(bytes, 'foreign-key join subscription key');
      const foreign = reader.take(reader.int32());
      return {
        foreignKey: foreignKeySerde.deserialize(foreign, foreignKeyContext),
        primaryKey: primaryKeySerde.deserialize(reader.rest(), primaryKeyContext),
      };
    },
  };
}
