import type { BinaryKey } from '../bytes.ts';
import type { Block, LeafBlock } from './block-codec.ts';
import type { RunDescriptor } from './run-builder.ts';

/** Reads one block of a run, synchronously. */
export type BlockReader = (run: RunDescriptor, level: number, number: number) => Block;

/** A position in a sequence of keys in order (ascending, or descending for reverse scans). */
export interface SortedSource {
  /** The current key; undefined once the source is exhausted. */
  readonly key: BinaryKey | undefined;
  /** Whether the current key is a tombstone. */
  readonly tombstone: boolean;
  next(): void;
}

/**
 * Walks a run's keys in either direction. A seek goes down from the root (a block per level), then the
 * walk moves along the leaves, which are numbered in key order.
 */
export class RunCursor implements SortedSource {
  key: BinaryKey | undefined;
  tombstone = false;
  private readonly run: RunDescriptor;
  private readonly read: BlockReader;
  private readonly reverse: boolean;
  private leaf: LeafBlock | undefined;
  private leafNumber = 0;
  private position = 0;

  constructor(run: RunDescriptor, read: BlockReader, reverse: boolean) {
    this.run = run;
    this.read = read;
    this.reverse = reverse;
  }

  /**
   * Moves to the first key at or after `target` (after it when not inclusive), or for a reverse cursor
   * the last key at or before it; undefined: the run's first (last) key.
   */
  seek(target: BinaryKey | undefined, inclusive: boolean): this {
    if (target === undefined) {
      this.enter(this.reverse ? this.run.leaves - 1 : 0, this.reverse ? -1 : 0);
      return this;
    }
    // The child to descend to: the last one whose first key does not pass the target.
    const strictlyBelow = this.reverse && !inclusive;
    let block = this.read(this.run, this.run.height, 0);
    let number = 0;
    for (let level = this.run.height; level > 0; level--) {
      if (block.leaf) break;
      let child = (strictlyBelow ? lowerBound(block.keys, target) : upperBound(block.keys, target)) - 1;
      if (child < 0) {
        // Every key of the run lies past the target: forward, start at the first; reverse, none is left.
        if (this.reverse) return this.exhaust();
        child = 0;
      }
      number = block.firstChild + child;
      block = this.read(this.run, level - 1, number);
    }
    const leaf = block as LeafBlock;
    const at = this.reverse
      ? (inclusive ? upperBound(leaf.keys, target) : lowerBound(leaf.keys, target)) - 1
      : inclusive
        ? lowerBound(leaf.keys, target)
        : upperBound(leaf.keys, target);
    this.leaf = leaf;
    this.leafNumber = number;
    this.position = at;
    this.settle();
    return this;
  }

  next(): void {
    if (this.key === undefined) return;
    this.position += this.reverse ? -1 : 1;
    this.settle();
  }

  /** Steps to the neighbouring leaf when the position ran off the current one. */
  private settle(): void {
    const leaf = this.leaf!;
    if (this.position >= 0 && this.position < leaf.keys.length) {
      this.key = leaf.keys[this.position];
      this.tombstone = leaf.tombstones[this.position] === 1;
      return;
    }
    const next = this.leafNumber + (this.reverse ? -1 : 1);
    if (next < 0 || next >= this.run.leaves) {
      this.exhaust();
      return;
    }
    this.enter(next, this.reverse ? -1 : 0);
  }

  /** Positions on a leaf: at `position`, or from its end when negative. */
  private enter(number: number, position: number): void {
    const leaf = this.read(this.run, 0, number) as LeafBlock;
    this.leaf = leaf;
    this.leafNumber = number;
    this.position = position < 0 ? leaf.keys.length + position : position;
    this.settle();
  }

  private exhaust(): this {
    this.key = undefined;
    this.tombstone = false;
    return this;
  }
}

/** The first index whose key is at or after `target`. */
function lowerBound(keys: readonly BinaryKey[], target: BinaryKey): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose key is after `target`. */
function upperBound(keys: readonly BinaryKey[], target: BinaryKey): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! <= target) low = middle + 1;
    else high = middle;
  }
  return low;
}
