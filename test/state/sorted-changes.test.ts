import { describe, expect, it } from 'vitest';
import { sortedChanges } from '../../src/state/runs/sorted-changes.ts';
import { binaryKeyTree } from '../../src/state/sorted-tree.ts';

/** A deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** What inserting the changes one at a time into a tree gives: each key's last change. */
function oneByOne(keys: readonly string[], deleted: readonly boolean[]): [string, boolean][] {
  const tree = binaryKeyTree<boolean>();
  keys.forEach((key, i) => tree.set(key, deleted[i]!));
  return [...tree.entries()];
}

describe('sorted changes (a key index built in bulk)', () => {
  it('gives each key its last change, in byte order, as inserting one at a time does', () => {
    const next = random(42);
    for (let round = 0; round < 50; round++) {
      const count = Math.floor(next() * 2_000);
      const keys: string[] = [];
      const deleted: boolean[] = [];
      for (let i = 0; i < count; i++) {
        // Few distinct keys, so keys repeat, are deleted and written again; bytes from the whole range.
        const length = 1 + Math.floor(next() * 3);
        let key = '';
        for (let b = 0; b < length; b++) key += String.fromCharCode(Math.floor(next() * 256));
        keys.push(key);
        deleted.push(next() < 0.3);
      }
      const expected = oneByOne(keys, deleted);
      expect([...sortedChanges([...keys], deleted).entries()]).toEqual(expected);
    }
  });

  it('keeps a tombstone when a key is deleted last, and a write when it is written after its delete', () => {
    const changes = sortedChanges(
      ['b', 'a', 'b', 'c', 'a', '\xff', '\x00'],
      [false, true, true, false, false, true, false],
    );
    expect([...changes.entries()]).toEqual([
      ['\x00', false],
      ['a', false],
      ['b', true],
      ['c', false],
      ['\xff', true],
    ]);
  });

  it('gives a tree that takes further changes like any other', () => {
    const changes = sortedChanges(['k2', 'k1'], [false, false]);
    changes.set('k0', true);
    changes.set('k2', true);
    expect([...changes.entries()]).toEqual([
      ['k0', true],
      ['k1', false],
      ['k2', true],
    ]);
    expect(sortedChanges([], []).size).toBe(0);
  });
});
