/**
 * How windowed, suppressing and joining operators are configured: what the DSL records in the logical
 * graph and what each operator's processor is built with.
 *
 * The window specs are type aliases rather than interfaces on purpose: they are plain data of strings
 * and numbers, and an alias is assignable to a `Record<string, string | number>` (what `describe()`
 * shows of a store's windows) where an interface is not.
 */

export type TimeWindowsSpec = {
  readonly type: 'time';
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;
};

export type SlidingWindowsSpec = {
  readonly type: 'sliding';
  readonly timeDifferenceMs: number;
  readonly graceMs: number;
};

export type SessionWindowsSpec = {
  readonly type: 'session';
  readonly gapMs: number;
  readonly graceMs: number;
};

export type JoinWindowsSpec = {
  readonly type: 'join';
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;
};

export interface SuppressSpec {
  readonly until: 'window-close' | 'time-limit';
  /** For 'time-limit': how long a key's latest value waits for more updates. */
  readonly timeLimitMs: number | undefined;
  readonly maxRecords: number | undefined;
  /** Most bytes to hold, counted as Kafka Streams estimates a buffered record's size. Optional in JSON. */
  readonly maxBytes?: number | undefined;
  /** What to do when the buffer is full: emit the oldest early, or stop with an error. */
  readonly whenFull: 'emit-early' | 'shutdown';
}

export type AggregateKind = 'count' | 'reduce' | 'aggregate';
export type JoinType = 'inner' | 'left' | 'outer';
