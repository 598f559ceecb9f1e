/**
 * "Remember the first, drop repeats": what payments, validations-aggregator, fraud and inventory do to
 * act once per order whatever is delivered twice. A window store holds one entry per order id, under
 * the time it was first seen, for a retention of stream time; the store expires older entries by
 * itself.
 */
import {
  Serdes,
  Stores,
  type Serde,
  type WindowEntry,
  type WindowStore,
  type WindowStoreSpec,
} from 'tributary';

/** The window store FirstSeen keeps its entries in, each window as long as the retention. */
export function firstSeenStore<V>(
  name: string,
  valueSerde: Serde<V>,
  retentionMs: number,
): WindowStoreSpec<string, V> {
  return Stores.window({
    name,
    keySerde: Serdes.String(),
    valueSerde,
    // Each entry stands for the span the id is remembered: from when it was first seen, for the retention.
    windowSizeMs: retentionMs,
    retentionMs,
  });
}

/** What a processor remembers of the ids it has seen, over a store made by `firstSeenStore`. */
export class FirstSeen<V> {
  private readonly store: WindowStore<string, V>;
  private readonly retentionMs: number;
  /** Stream time as the windows measure it: the latest record time `advance` was given. */
  private streamTime = -Infinity;

  constructor(store: WindowStore<string, V>, retentionMs: number) {
    this.store = store;
    this.retentionMs = retentionMs;
  }

  /** What was remembered for `id`, with the time it was first seen; undefined when nothing is. */
  recall(id: string): WindowEntry<V> | undefined {
    const [entry] = this.store.fetchWindows(id, 0, Infinity);
    return entry;
  }

  /** Remembers `value` for `id` under `timestamp` (the entry of the same time is replaced). */
  remember(id: string, value: V, timestamp: number): void {
    this.store.put(id, value, timestamp);
  }

  /** Remembers `value` for `id` unless something is remembered already; true when it was the first. */
  first(id: string, value: V, timestamp: number): boolean {
    if (this.recall(id) !== undefined) return false;
    this.remember(id, value, timestamp);
    return true;
  }

  /** Moves stream time on to a record's time. */
  advance(timestamp: number): void {
    this.streamTime = Math.max(this.streamTime, timestamp);
  }

  /**
   * Whether a record of `timestamp` is older than the store remembers: it may repeat an id seen and
   * forgotten already, so it cannot be told from a repeat.
   */
  forgotten(timestamp: number): boolean {
    return timestamp <= this.streamTime - this.retentionMs;
  }
}
