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
 */
export class TimeWindows {
  readonly spec: TimeWindowsSpec;

  private constructor(spec: TimeWindowsSpec) {
    this.spec = spec;
  }

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0);
  }

  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    positive(sizeMs, 'window size');
    return new TimeWindows({
      type: 'time',
      sizeMs,
      advanceMs: sizeMs,
      graceMs: nonNegative(graceMs, 'grace'),
    });
  }

  /** Hopping windows: a new window starts every `advanceMs`. */
  advanceBy(advanceMs: number): TimeWindows {
    positive(advanceMs, 'window advance');
    if (advanceMs > this.spec.sizeMs) {
      throw new TopologyError(
        `window advance (${advanceMs} ms) must not be larger than the window size (${this.spec.sizeMs} ms)`,
      );
    }
    return new TimeWindows({ ...this.spec, advanceMs });
  }

  get sizeMs(): number {
    return this.spec.sizeMs;
  }

  get graceMs(): number {
    return this.spec.graceMs;
  }
}

/**
 * Sliding windows: windows of `timeDifferenceMs` that move with the records, created only where
 * records are, so each distinct set of records within the time difference is aggregated once.
 */
export class SlidingWindows {
  readonly spec: SlidingWindowsSpec;

  private constructor(spec: SlidingWindowsSpec) {
    this.spec = spec;
  }

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows({
      type: 'sliding',
      timeDifferenceMs: positive(timeDifferenceMs, 'time difference'),
      graceMs: nonNegative(graceMs, 'grace'),
    });
  }
}

/** Session windows: activity periods of a key separated by gaps longer than `gapMs`; sessions merge. */
export class SessionWindows {
  readonly spec: SessionWindowsSpec;

  private constructor(spec: SessionWindowsSpec) {
    this.spec = spec;
  }

  static ofInactivityGapWithNoGrace(gapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(gapMs, 0);
  }

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
 */
export class JoinWindows {
  readonly spec: JoinWindowsSpec;

  private constructor(spec: JoinWindowsSpec) {
    this.spec = spec;
  }

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    nonNegative(timeDifferenceMs, 'time difference');
    return new JoinWindows({
      type: 'join',
      beforeMs: timeDifferenceMs,
      afterMs: timeDifferenceMs,
      graceMs: nonNegative(graceMs, 'grace'),
    });
  }

  /** Changes how far back (other.ts >= ts - before) the join reaches. */
  before(beforeMs: number): JoinWindows {
    return this.checked({ ...this.spec, beforeMs });
  }

  /** Changes how far ahead (other.ts <= ts + after) the join reaches. */
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
