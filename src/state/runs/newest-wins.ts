import type { BinaryKey } from '../bytes.ts';
import type { SortedSource } from './run-cursor.ts';

/** Entries held in an array, already in the order of the scan. */
export class ArraySource implements SortedSource {
  key: BinaryKey | undefined;
  tombstone = false;
  private readonly entries: readonly [BinaryKey, boolean][];
  private position = -1;

  constructor(entries: readonly [BinaryKey, boolean][]) {
    this.entries = entries;
    this.next();
  }

  next(): void {
    const entry = this.entries[++this.position];
    this.key = entry?.[0];
    this.tombstone = entry?.[1] ?? false;
  }
}

/**
 * Merges sources into one sequence of distinct keys, in ascending order (descending when reversed).
 * Sources come newest first: where several hold a key, the newest one's entry is the key's state.
 * `stop` ends the merge at the first key it returns true for (the far bound of a scan).
 */
export function* newestWins(
  sources: readonly SortedSource[],
  reverse: boolean,
  stop: (key: BinaryKey) => boolean = () => false,
): Generator<[key: BinaryKey, tombstone: boolean]> {
  for (;;) {
    let next: BinaryKey | undefined;
    let winner: SortedSource | undefined;
    for (const source of sources) {
      const key = source.key;
      if (key === undefined) continue;
      if (next === undefined || (reverse ? key > next : key < next)) {
        next = key;
        winner = source;
      }
    }
    if (next === undefined || stop(next)) return;
    const tombstone = winner!.tombstone;
    for (const source of sources) if (source.key === next) source.next();
    yield [next, tombstone];
  }
}
