import type { Window } from './api.ts';
import type { BinaryKey } from './bytes.ts';

/**
 * One write to a store, as the store's change listener sees it (interactive queries push these to
 * subscribers). Restores and standby replicas write below the typed stores and raise none.
 */
export interface StoreChange {
  /** The record key (for window and session stores, without the window). */
  readonly key: unknown;
  /** The serialized record key, so subscriptions match keys without serializing them again. */
  readonly binaryKey: BinaryKey;
  /** The new value; null when the entry was deleted. Timestamped stores give a ValueAndTimestamp. */
  readonly value: unknown;
  /** The window of window and session stores. */
  readonly window?: Window;
}

export type StoreChangeListener = (change: StoreChange) => void;

/** A store that tells one listener about every write made through it. */
export interface ObservableStore {
  setChangeListener(listener: StoreChangeListener | undefined): void;
}

export function isObservableStore(store: unknown): store is ObservableStore {
  return typeof (store as Partial<ObservableStore> | undefined)?.setChangeListener === 'function';
}
