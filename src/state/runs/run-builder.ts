import { StoreError } from '../../errors.ts';
import type { BinaryKey } from '../bytes.ts';
import { BlockWriter } from './block-codec.ts';

/** What a built run is: enough to read it back (its root and leaf count) and to plan merges. */
export interface RunShape {
  /** The level of the root block; 0 when the run is a single leaf. */
  readonly height: number;
  /** Leaf blocks are numbered 0 to leaves - 1 in key order. */
  readonly leaves: number;
  readonly entries: number;
  readonly tombstones: number;
  readonly first: BinaryKey;
  readonly last: BinaryKey;
}

export interface RunDescriptor extends RunShape {
  readonly id: number;
}

/** Where a block of a run goes: its level (0 for leaves) and its number on that level. */
export type BlockSink = (level: number, number: number, bytes: Uint8Array) => void;

interface Level {
  readonly writer: BlockWriter;
  /** Blocks written on this level so far. */
  written: number;
  /** The number of the first child (on the level below) of the block being filled. */
  firstChild: number;
}

/**
 * Builds a run from keys in ascending order, as a B+tree loaded bottom-up: leaves fill one after the
 * other, and each block that closes adds its first key to the block being filled on the level above.
 * Only one open block per level is held, so building a run of any size takes a few blocks of memory.
 */
export class RunBuilder {
  private readonly levels: Level[] = [];
  private readonly sink: BlockSink;
  private entries = 0;
  private tombstones = 0;
  private first: BinaryKey = '';
  private last: BinaryKey = '';

  constructor(sink: BlockSink) {
    this.sink = sink;
  }

  add(key: BinaryKey, tombstone: boolean): void {
    if (this.entries > 0 && !(key > this.last))
      throw new StoreError('key index: keys of a run must come in ascending order');
    if (this.entries === 0) this.first = key;
    this.last = key;
    this.entries++;
    if (tombstone) this.tombstones++;
    const leaves = this.level(0);
    leaves.writer.add(key, tombstone);
    if (leaves.writer.full) this.close(0);
  }

  /** Writes the blocks still open; undefined when no key was added (an empty run is not written). */
  finish(): RunShape | undefined {
    if (this.entries === 0) return undefined;
    for (let level = 0; ; level++) {
      const state = this.level(level);
      // A level that never closed a block and holds one entry points at the root, the only block below it.
      if (level > 0 && state.written === 0 && state.writer.entries === 1) {
        return {
          height: level - 1,
          leaves: this.levels[0]!.written,
          entries: this.entries,
          tombstones: this.tombstones,
          first: this.first,
          last: this.last,
        };
      }
      if (state.writer.entries > 0) this.close(level);
    }
  }

  private level(index: number): Level {
    let state = this.levels[index];
    if (!state) {
      state = { writer: new BlockWriter(), written: 0, firstChild: 0 };
      this.levels[index] = state;
    }
    return state;
  }

  private close(index: number): void {
    const state = this.levels[index]!;
    const first = state.writer.firstKey;
    const bytes = index === 0 ? state.writer.finish() : state.writer.finish(state.firstChild);
    const number = state.written++;
    this.sink(index, number, bytes);
    const parent = this.level(index + 1);
    if (parent.writer.entries === 0) parent.firstChild = number;
    parent.writer.add(first);
    if (parent.writer.full) this.close(index + 1);
  }
}
