// sorted-btree is CommonJS with an `__esModule` default: Node's ESM interop hands over the module object
// (class under `default`), bundler-style interop (vitest) hands over the class itself. Accept both.
import sortedBtree from 'sorted-btree';
import { bulkLoad } from 'sorted-btree/extended/bulkLoad.js';
import type * as SortedBtree from 'sorted-btree';

type BTreeClass = typeof sortedBtree.default;

export const BTree: BTreeClass =
  typeof sortedBtree === 'function' ? (sortedBtree as unknown as BTreeClass) : sortedBtree.default;
export type BTree<K, V> = SortedBtree.default<K, V>;

/** A sorted tree of binary-string keys, compared as strings (byte order) without the generic comparator's type checks. */
export function binaryKeyTree<V>(): BTree<string, V> {
  return new BTree<string, V>(undefined, compareStrings);
}

/** The node size `binaryKeyTree`'s trees get: sorted-btree's default. */
const NODE_SIZE = 32;

/**
 * A tree like `binaryKeyTree`'s, loaded at once from keys in strictly ascending order (and their
 * values): linear, where inserting them one at a time costs a search each.
 */
export function binaryKeyTreeOf<V>(keys: string[], values: V[]): BTree<string, V> {
  return bulkLoad(keys, values, NODE_SIZE, compareStrings);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
