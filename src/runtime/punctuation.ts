import type { Cancellable, PunctuationType, Punctuator } from '../processor/api.ts';

interface Schedule {
  next: number;
  readonly intervalMs: number;
  readonly punctuator: Punctuator;
  readonly owner: string;
  cancelled: boolean;
}

/**
 * Due punctuations of one type for one task. As in Kafka Streams, stream-time schedules are aligned to
 * 0 and fire as soon as there is data; missed intervals (a gap in the data, a long pause) are skipped
 * rather than fired in a burst.
 */
export class PunctuationQueue {
  readonly type: PunctuationType;
  private schedules: Schedule[] = [];

  constructor(type: PunctuationType) {
    this.type = type;
  }

  schedule(owner: string, first: number, intervalMs: number, punctuator: Punctuator): Cancellable {
    const schedule: Schedule = { next: first, intervalMs, punctuator, owner, cancelled: false };
    this.schedules.push(schedule);
    return {
      cancel: () => {
        schedule.cancelled = true;
        this.schedules = this.schedules.filter((s) => s !== schedule);
      },
    };
  }

  /** Fires every schedule due at `time`; `run` wraps each call (to set the current node). Returns whether any fired. */
  punctuate(time: number, run: (owner: string, fire: () => void) => void): boolean {
    let fired = false;
    for (const schedule of [...this.schedules]) {
      if (schedule.cancelled || schedule.next > time) continue;
      const scheduledFor = schedule.next;
      schedule.next = scheduledFor + schedule.intervalMs;
      if (time >= schedule.next) {
        const missed = Math.floor((time - scheduledFor) / schedule.intervalMs);
        schedule.next = scheduledFor + (missed + 1) * schedule.intervalMs;
      }
      fired = true;
      run(schedule.owner, () => schedule.punctuator(time));
    }
    return fired;
  }

  get size(): number {
    return this.schedules.length;
  }
}
