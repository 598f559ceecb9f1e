import type { SuppressSpec } from '../topology/ir.ts';

/**
 * How much a suppression buffer may hold: Kafka Streams' `BufferConfig`. Unbounded when neither limit
 * is given. The buffer is full when it holds more than `maxRecords` keys or more than `maxBytes` bytes,
 * a key counted as Kafka Streams estimates it: its serialized key, 8 bytes of time, its prior, old and
 * new serialized values, and its record context (timestamp, offset and partition, 20 bytes, plus the
 * topic name and the headers' names and values).
 */
export interface BufferConfig {
  /** Most records (keys) to hold. */
  readonly maxRecords?: number;
  /** Most bytes to hold. */
  readonly maxBytes?: number;
  /**
   * When the buffer is full: emit the oldest records early until it is not (`emitEarlyWhenFull`, the
   * default for time limits) or stop the application with an error (`shutDownWhenFull`, the only
   * choice until windows close, whose results must be final).
   */
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
      maxBytes: buffer.maxBytes,
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
      maxBytes: buffer.maxBytes,
      whenFull: buffer.whenFull ?? 'emit-early',
    });
  }
}
