/**
 * The primitives of Kafka's flexible protocol versions (KIP-482), which kafkajs 2.2.4 does not write for
 * the requests the adapter sends itself: compact strings and arrays (lengths as unsigned varints, plus
 * one) and tagged fields.
 */
import { TributaryError } from '../../errors.ts';

/** Writes a request's bytes. */
export class Writer {
  private readonly parts: Buffer[] = [];

  int8(value: number): this {
    return this.push(Buffer.from([value & 0xff]));
  }

  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    return this.push(b);
  }

  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return this.push(b);
  }

  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    return this.push(b);
  }

  /** Unsigned varint, as compact lengths and tagged-field counts are written. */
  uvarint(value: number): this {
    const bytes: number[] = [];
    let rest = value >>> 0;
    while (rest > 0x7f) {
      bytes.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    bytes.push(rest);
    return this.push(Buffer.from(bytes));
  }

  /** COMPACT_NULLABLE_STRING: length + 1 (0 for null), then UTF-8. */
  compactString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    const bytes = Buffer.from(value, 'utf8');
    return this.uvarint(bytes.length + 1).push(bytes);
  }

  /** COMPACT_NULLABLE_ARRAY: length + 1 (0 for null), then each element. */
  compactArray<T>(items: readonly T[] | null, write: (item: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const item of items) write(item);
    return this;
  }

  /** An empty TAG_BUFFER: no tagged fields. */
  noTags(): this {
    return this.uvarint(0);
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }

  private push(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }
}

/** Reads a response's bytes. */
export class Reader {
  private readonly buffer: Buffer;
  private offset = 0;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  int16(): number {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  int64(): bigint {
    const value = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      const byte = this.buffer.readUInt8(this.offset++);
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new TributaryError('TRIB_KAFKA', 'a response holds a malformed varint');
  }

  /** A COMPACT_NULLABLE_STRING; null reads as null. */
  compactString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  compactArray<T>(read: () => T): T[] {
    const length = this.uvarint() - 1;
    return Array.from({ length: Math.max(length, 0) }, read);
  }

  /** Skips a TAG_BUFFER: tagged fields this version does not define are ignored, as Kafka's clients do. */
  tags(): void {
    for (let count = this.uvarint(); count > 0; count--) {
      this.uvarint();
      const size = this.uvarint();
      this.offset += size;
    }
  }
}
