import { TopologyError } from '../errors.ts';
import type {
  JoinWindowsSpec,
  SessionWindowsSpec,
  SlidingWindowsSpec,
  TimeWindowsSpec,
} from '../topology/ir.ts';

function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new TopologyError(`${what} must be a non-negative number of milliseconds, got ${value}`);
  return value;
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new TopologyError(`${what} must be a positive number of milliseconds, got ${value}`);
  return value;
}

/**
 * Fixed-size windows aligned to the epoch: tumbling, or hopping with `advanceBy`. A record belongs to
 * every window [start, start + size) that contains its timestamp. Records later than the window end
 * plus grace (in stream time) are dropped.
 *
 * @example
 * ```ts
 * TimeWindows.ofSizeWithNoGrace(60_000); // tumbling minutes
 * TimeWindows.ofSizeAndGrace(300_000, 30_000).advanceBy(60_000); // 5-minute windows every minute
 * ```
 */
export class TimeWindows {
  /** @internal */
  readonly spec: TimeWindowsSpec;

  private constructor(spec: TimeWindowsSpec) {
    this.spec = spec;
  }

  /**
   * Tumbling windows of `sizeMs` that close at their end: a record after it is dropped.
   *
   * @example
   * ```ts
   * orders.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count();
   * ```
   */
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0);
  }

  /**
   * Tumbling windows of `sizeMs` that still take records up to `graceMs` (of stream time) after their end.
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeAndGrace(60_000, 10_000);
   * ```
   */
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    positive(sizeMs, 'window size');
    return new TimeWindows({
      type: 'time',
      sizeMs,
      advanceMs: sizeMs,
      graceMs: nonNegative(graceMs, 'grace'),
    });
  }

  /**
   * Hopping windows: a new window starts every `advanceMs` (at most the size), so windows overlap.
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeWithNoGrace(300_000).advanceBy(60_000);
   * ```
   */
  advanceBy(advanceMs: number): TimeWindows {
    positive(advanceMs, 'window advance');
    if (advanceMs > this.spec.sizeMs) {
      throw new TopologyError(
        `window advance (${advanceMs} ms) must not be larger than the window size (${this.spec.sizeMs} ms)`,
      );
    }
    return new TimeWindows({ ...this.spec, advanceMs });
  }

  /**
   * The window size in milliseconds.
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeWithNoGrace(60_000).sizeMs; // 60000
   * ```
   */
  get sizeMs(): number {
    return this.spec.sizeMs;
  }

  /**
   * How long after its end a window still takes late records, in milliseconds.
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeAndGrace(60_000, 5_000).graceMs; // 5000
   * ```
   */
  get graceMs(): number {
    return this.spec.graceMs;
  }
}

/**
 * Sliding windows: windows of `timeDifferenceMs` that move with the records, created only where
 * records are, so each distinct set of records within the time difference is aggregated once.
 *
 * @example
 * ```ts
 * orders.groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10 * 60_000)).count();
 * ```
 */
export class SlidingWindows {
  /** @internal */
  readonly spec: SlidingWindowsSpec;

  private constructor(spec: SlidingWindowsSpec) {
    this.spec = spec;
  }

  /**
   * Sliding windows of a time difference, closed as soon as stream time passes them.
   *
   * @example
   * ```ts
   * SlidingWindows.ofTimeDifferenceWithNoGrace(60_000);
   * ```
   */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  /**
   * Sliding windows of a time difference that take late records for `graceMs` more.
   *
   * @example
   * ```ts
   * SlidingWindows.ofTimeDifferenceAndGrace(60_000, 10_000);
   * ```
   */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows({
      type: 'sliding',
      timeDifferenceMs: positive(timeDifferenceMs, 'time difference'),
      graceMs: nonNegative(graceMs, 'grace'),
    });
  }
}

/**
 * Session windows: activity periods of a key separated by gaps longer than `gapMs`; sessions merge when a record bridges them.
 *
 * @example
 * ```ts
 * clicks.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000)).count();
 * ```
 */
export class SessionWindows {
  /** @internal */
  readonly spec: SessionWindowsSpec;

  private constructor(spec: SessionWindowsSpec) {
    this.spec = spec;
  }

  /**
   * Sessions that end after `gapMs` without records, closed as soon as stream time passes them.
   *
   * @example
   * ```ts
   * SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000);
   * ```
   */
  static ofInactivityGapWithNoGrace(gapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(gapMs, 0);
  }

  /**
   * Sessions that end after `gapMs` without records, and take late records for `graceMs` more.
   *
   * @example
   * ```ts
   * SessionWindows.ofInactivityGapAndGrace(30 * 60_000, 60_000);
   * ```
   */
  static ofInactivityGapAndGrace(gapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows({
      type: 'session',
      gapMs: positive(gapMs, 'inactivity gap'),
      graceMs: nonNegative(graceMs, 'grace'),
    });
  }
}

/**
 * The time bounds of a stream-stream join: a record joins the other side's records whose timestamps
 * lie within [ts - before, ts + after]. Each side keeps its records for before + after + grace behind
 * the latest timestamp it has stored, so a record arriving late, within grace, still joins. Left and
 * outer joins emit a record without partner joined with null once its window and grace have passed in
 * stream time, or at once when it arrives after its window (ts + after) has passed, as Kafka Streams does.
 *
 * @example
 * ```ts
 * orders.join(payments, (o, p) => ({ o, p }), JoinWindows.ofTimeDifferenceWithNoGrace(5 * 60_000));
 * ```
 */
export class JoinWindows {
  /** @internal */
  readonly spec: JoinWindowsSpec;

  private constructor(spec: JoinWindowsSpec) {
    this.spec = spec;
  }

  /**
   * Joins records at most `timeDifferenceMs` apart, either way; no late records.
   *
   * @example
   * ```ts
   * JoinWindows.ofTimeDifferenceWithNoGrace(5 * 60_000);
   * ```
   */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  /**
   * Joins records at most `timeDifferenceMs` apart, and waits `graceMs` for late ones before emitting unmatched records.
   *
   * @example
   * ```ts
   * JoinWindows.ofTimeDifferenceAndGrace(5 * 60_000, 30_000);
   * ```
   */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    nonNegative(timeDifferenceMs, 'time difference');
    return new JoinWindows({
      type: 'join',
      beforeMs: timeDifferenceMs,
      afterMs: timeDifferenceMs,
      graceMs: nonNegative(graceMs, 'grace'),
    });
  }

  /**
   * Changes how far back (other.ts >= ts - before) the join reaches.
   *
   * @example
   * ```ts
   * JoinWindows.ofTimeDifferenceWithNoGrace(60_000).before(0); // only partners at or after the record
   * ```
   */
  before(beforeMs: number): JoinWindows {
    return this.checked({ ...this.spec, beforeMs });
  }

  /**
   * Changes how far ahead (other.ts <= ts + after) the join reaches.
   *
   * @example
   * ```ts
   * JoinWindows.ofTimeDifferenceWithNoGrace(60_000).after(0); // only partners at or before the record
   * ```
   */
  after(afterMs: number): JoinWindows {
    return this.checked({ ...this.spec, afterMs });
  }

  private checked(spec: JoinWindowsSpec): JoinWindows {
    if (spec.beforeMs + spec.afterMs < 0) {
      throw new TopologyError(
        `join window is empty: before (${spec.beforeMs} ms) + after (${spec.afterMs} ms) must be >= 0`,
      );
    }
    return new JoinWindows(spec);
  }
}
