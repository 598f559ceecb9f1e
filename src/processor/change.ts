/**
 * What a table processor forwards: the new value of a key and the value it replaces. `null` means
 * absent (a delete, or a key seen for the first time). Downstream aggregations use `oldValue` to
 * retract, joins to decide whether the result changed.
 */
export interface Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
  /**
   * False for an out-of-order update of a versioned table (KIP-914): a version older than the key's
   * latest, which joins and re-groupings of that table skip. Absent means true.
   */
  readonly isLatest?: false;
}

export function change<V>(newValue: V | null, oldValue: V | null, isLatest = true): Change<V> {
  return isLatest ? { newValue, oldValue } : { newValue, oldValue, isLatest: false };
}

/** Whether a change is the latest version of its key (always, unless a versioned table says otherwise). */
export function isLatest(change: Change<unknown>): boolean {
  return change.isLatest !== false;
}
