/**
 * Where the runtime reads wall-clock time: commit intervals, hand-over and final-commit deadlines,
 * wall-clock punctuation and the durations it logs. Injected (as Kafka Streams injects its `Time`) so
 * that tests drive time instead of waiting for it; production uses `systemClock`.
 */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
