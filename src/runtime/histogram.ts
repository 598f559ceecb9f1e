/**
 * A fixed-bucket histogram in the shape Prometheus expects: cumulative counts per upper bound, plus the
 * sum and count of observations. Observing is a short loop over the bounds, cheap enough per record.
 */
export class Histogram {
  readonly bounds: readonly number[];
  private readonly counts: number[];
  private sumValue = 0;
  private countValue = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = [...bounds].sort((a, b) => a - b);
    this.counts = new Array<number>(this.bounds.length).fill(0);
  }

  observe(value: number): void {
    this.sumValue += value;
    this.countValue++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  get sum(): number {
    return this.sumValue;
  }

  get count(): number {
    return this.countValue;
  }

  /** Cumulative counts per bound (observations at or below it), the last entry being +Inf. */
  cumulative(): { le: number; count: number }[] {
    let running = 0;
    const buckets = this.bounds.map((le, i) => ({ le, count: (running += this.counts[i]!) }));
    buckets.push({ le: Infinity, count: this.countValue });
    return buckets;
  }
}

/** Seconds from 1 ms to 1 minute: record latency, commits, queries. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
