/**
 * When a windowed aggregation emits its results: Kafka Streams' `EmitStrategy` (KIP-825). By default
 * every update of a window is emitted (`onWindowUpdate`); with `onWindowClose` a window's result is
 * emitted once, when the window closes, and never updated after. A window closes when stream time
 * passes its end plus the grace period:
 *
 * - time windows: [start, end) is final once end <= stream time - grace;
 * - sliding windows: [start, end] (both inclusive) once end < stream time - grace;
 * - session windows: a session [start, end] once end < stream time - grace - inactivity gap.
 *
 * Closed windows are looked for when a record arrives (Kafka Streams does not emit on punctuation
 * either); they are emitted in the order of their start (sessions: their end), each with the
 * aggregate's timestamp (sessions: their end) and the arriving record's headers.
 *
 * @example
 * ```ts
 * clicks
 *   .groupByKey()
 *   .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
 *   .emitStrategy(EmitStrategy.onWindowClose())
 *   .count();
 * ```
 */
export class EmitStrategy {
  /** @internal */
  readonly type: 'on-window-update' | 'on-window-close';

  private constructor(type: 'on-window-update' | 'on-window-close') {
    this.type = type;
  }

  /**
   * Every update of a window is emitted (the default).
   *
   * @example
   * ```ts
   * windowed.emitStrategy(EmitStrategy.onWindowUpdate()).count();
   * ```
   */
  static onWindowUpdate(): EmitStrategy {
    return new EmitStrategy('on-window-update');
  }

  /**
   * Each window's final result is emitted once, when the window closes.
   *
   * @example
   * ```ts
   * windowed.emitStrategy(EmitStrategy.onWindowClose()).count();
   * ```
   */
  static onWindowClose(): EmitStrategy {
    return new EmitStrategy('on-window-close');
  }
}
