import { StoreError } from '../../errors.ts';
import type { BinaryKey } from '../bytes.ts';

/**
 * The blocks a key run is made of, about 4 KiB each (LevelDB's own block size), stored as LevelDB
 * values. Keys are prefix-compressed: each entry holds how many leading bytes it shares with the key
 * before it, then the rest.
 *
 *   leaf:  0x00, count, then per entry: shared, length, bytes, flag (1: the key was deleted)
 *   inner: 0x01, count, first child, then per entry: shared, length, bytes
 *
 * Numbers are unsigned LEB128 varints. Entry i of an inner block is the first key of its child
 * `first child + i` on the level below: a run is bulk-loaded, so a block's children are consecutive.
 */
export type Block = LeafBlock | InnerBlock;

export interface LeafBlock {
  readonly leaf: true;
  readonly keys: readonly BinaryKey[];
  /** 1 where the key is a tombstone: deleted, hiding any older entry of the key. */
  readonly tombstones: Uint8Array;
}

export interface InnerBlock {
  readonly leaf: false;
  readonly keys: readonly BinaryKey[];
  readonly firstChild: number;
}

/** Blocks close once their encoding reaches this size; a block holds at least one entry. */
export const BLOCK_TARGET_BYTES = 4096;

const LEAF = 0;
const INNER = 1;

/** Collects one block's entries, encoding them as they come. */
export class BlockWriter {
  private bytes = new Uint8Array(BLOCK_TARGET_BYTES * 2);
  private length = 0;
  private count = 0;
  private previous: BinaryKey = '';
  private first: BinaryKey = '';

  get entries(): number {
    return this.count;
  }

  get firstKey(): BinaryKey {
    return this.first;
  }

  get full(): boolean {
    return this.length >= BLOCK_TARGET_BYTES;
  }

  add(key: BinaryKey, tombstone?: boolean): void {
    if (this.count === 0) this.first = key;
    const previous = this.previous;
    const limit = Math.min(previous.length, key.length);
    let shared = 0;
    while (shared < limit && previous.charCodeAt(shared) === key.charCodeAt(shared)) shared++;
    const rest = key.length - shared;
    this.reserve(rest + 11);
    this.varint(shared);
    this.varint(rest);
    for (let i = shared; i < key.length; i++) this.bytes[this.length++] = key.charCodeAt(i);
    if (tombstone !== undefined) this.bytes[this.length++] = tombstone ? 1 : 0;
    this.previous = key;
    this.count++;
  }

  /** The encoded block, and a fresh start for the next one. */
  finish(firstChild?: number): Uint8Array {
    const header: number[] = [];
    pushVarint(header, firstChild === undefined ? LEAF : INNER);
    pushVarint(header, this.count);
    if (firstChild !== undefined) pushVarint(header, firstChild);
    const out = new Uint8Array(header.length + this.length);
    out.set(header);
    out.set(this.bytes.subarray(0, this.length), header.length);
    this.length = 0;
    this.count = 0;
    this.previous = '';
    return out;
  }

  private varint(value: number): void {
    while (value >= 0x80) {
      this.bytes[this.length++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.length++] = value;
  }

  private reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + more));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

function pushVarint(out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

export function decodeBlock(bytes: Uint8Array): Block {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (offset >= buffer.length) throw new StoreError('a key index block is cut off');
      const byte = buffer[offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  const kind = varint();
  const count = varint();
  const leaf = kind === LEAF;
  if (!leaf && kind !== INNER) throw new StoreError(`a key index block has unknown kind ${kind}`);
  const firstChild = leaf ? 0 : varint();
  const keys = new Array<BinaryKey>(count);
  const tombstones = new Uint8Array(leaf ? count : 0);
  let previous = '';
  for (let i = 0; i < count; i++) {
    const shared = varint();
    const rest = varint();
    if (offset + rest > buffer.length) throw new StoreError('a key index block is cut off');
    const suffix = buffer.toString('latin1', offset, offset + rest);
    offset += rest;
    previous = shared === 0 ? suffix : previous.slice(0, shared) + suffix;
    keys[i] = previous;
    if (leaf) tombstones[i] = buffer[offset++]!;
  }
  return leaf ? { leaf, keys, tombstones } : { leaf, keys, firstChild };
}

/** Roughly what a decoded block costs in memory: its key strings (rebuilt from shared prefixes) and arrays. */
export function decodedBlockBytes(_key: string, block: Block): number {
  let bytes = 400;
  for (const key of block.keys) bytes += key.length + 80;
  return bytes;
}
