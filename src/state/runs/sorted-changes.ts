import type { BinaryKey } from '../bytes.ts';
import { binaryKeyTreeOf, type BTree } from '../sorted-tree.ts';

/**
 * The changes of a log of key changes (`deleted[i]` tells whether `keys[i]` was deleted or written),
 * as a sorted tree of each key's last change: true marks a deletion. Sorting the keys at once and
 * loading the tree in bulk costs a fraction of inserting them one at a time, which matters when a
 * restore changes tens of thousands of keys between two commits. Sorts `keys` in place.
 */
export function sortedChanges(keys: BinaryKey[], deleted: readonly boolean[]): BTree<BinaryKey, boolean> {
  // The keys whose last change deleted them; none in a restore of writes only.
  let removed: Set<BinaryKey> | undefined;
  for (let i = 0; i < keys.length; i++) {
    if (deleted[i]) (removed ??= new Set()).add(keys[i]!);
    else removed?.delete(keys[i]!);
  }
  // The default order compares UTF-16 code units: a binary key's chars are its bytes, so byte order.
  keys.sort();
  let unique = 0;
  for (let i = 0; i < keys.length; i++)
    if (unique === 0 || keys[i] !== keys[unique - 1]) keys[unique++] = keys[i]!;
  keys.length = unique;
  const flags = removed ? keys.map((key) => removed.has(key)) : new Array<boolean>(unique).fill(false);
  return binaryKeyTreeOf(keys, flags);
}
