/**
 * What a table processor forwards: the new value of a key and the value it replaces. `null` means
 * absent (a delete, or a key seen for the first time). Downstream aggregations use `oldValue` to
 * retract, joins to decide whether the result changed.
 */
export interface Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
}

export function change<V>(newValue: V | null, oldValue: V | null): Change<V> {
  return { newValue, oldValue };
}
