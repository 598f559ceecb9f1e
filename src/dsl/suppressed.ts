import type { SuppressSpec } from '../topology/ir.ts';

export interface BufferConfig {
  /** Most records to hold; unbounded when omitted. */
  readonly maxRecords?: number;
  /** When the buffer is full: emit the oldest record early (default for time limits) or stop. */
  readonly whenFull?: 'emit-early' | 'shutdown';
}

/**
 * How `KTable.suppress` holds back updates: until a window closes, or until a time limit passes.
 *
 * @example
 * ```ts
 * table.suppress(Suppressed.untilTimeLimit(10_000, { maxRecords: 1_000 }));
 * ```
 */
export class Suppressed {
  /** @internal */
  readonly spec: SuppressSpec;

  private constructor(spec: SuppressSpec) {
    this.spec = spec;
  }

  /**
   * Emits each window's final result once, when the window closes (end + grace <= stream time): Kafka
   * Streams' emit-final for windowed aggregations.
   *
   * @example
   * ```ts
   * clicks
   *   .groupByKey()
   *   .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
   *   .count()
   *   .suppress(Suppressed.untilWindowCloses())
   *   .toStream()
   *   .to(topics.clicksPerMinute);
   * ```
   */
  static untilWindowCloses(buffer: BufferConfig = {}): Suppressed {
    return new Suppressed({
      until: 'window-close',
      timeLimitMs: undefined,
      maxRecords: buffer.maxRecords,
      whenFull: buffer.whenFull ?? 'shutdown',
    });
  }

  /**
   * Emits a key's latest value once `timeLimitMs` of stream time has passed since its first held-back
   * update; further updates replace the value but do not restart the wait.
   *
   * @example
   * ```ts
   * counts.suppress(Suppressed.untilTimeLimit(30_000)).toStream().to(topics.countsEvery30s);
   * ```
   */
  static untilTimeLimit(timeLimitMs: number, buffer: BufferConfig = {}): Suppressed {
    return new Suppressed({
      until: 'time-limit',
      timeLimitMs,
      maxRecords: buffer.maxRecords,
      whenFull: buffer.whenFull ?? 'emit-early',
    });
  }
}
