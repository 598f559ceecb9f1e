import type { SuppressSpec } from '../topology/ir.ts';

export interface BufferConfig {
  /** Most records to hold; unbounded when omitted. */
  readonly maxRecords?: number;
  /** When the buffer is full: emit the oldest record early (default for time limits) or stop. */
  readonly whenFull?: 'emit-early' | 'shutdown';
}

/** Holds back a table's updates: Kafka Streams' `Suppressed`. */
export class Suppressed {
  readonly spec: SuppressSpec;

  private constructor(spec: SuppressSpec) {
    this.spec = spec;
  }

  /** Emits each window's final result once, when the window closes (end + grace <= stream time). */
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
