import type { Clock } from '../../src/common/clock.ts';

/** A clock that moves only when a test says so (Kafka's MockTime). */
export class ManualClock implements Clock {
  private ms: number;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
