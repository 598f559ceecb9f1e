/**
 * How long the work we slice (processing, commits, store writes, index merges, produce requests) may
 * run in one turn of the event loop before fetches, acknowledgements and heartbeats get their turn.
 */
export const TURN_BUDGET_MS = 5;

/**
 * One queue for every slice of work in the process that waits for the next turn. A `setImmediate` per
 * slice would let all of them run in the same turn, one after the other: seven applications'
 * processing loops and thirty stores' commits at a few milliseconds each held the event loop for tens
 * of milliseconds at a time. Here the waiting slices are resumed one after the other, in the order
 * they started waiting, until the turn's budget is spent; the rest go first in the next turn. A turn
 * therefore runs past its budget by at most the slice that was running when the budget ran out, and
 * slices decide themselves how small they are (`sliceDeadline`, `due`).
 */
export class TurnScheduler {
  private readonly now: () => number;
  private readonly budgetMs: number;
  private readonly defer: (run: () => void) => void;
  private readonly waiting: (() => void)[] = [];
  private next = 0;
  private turnStarted = Number.NEGATIVE_INFINITY;
  private state: 'idle' | 'scheduled' | 'running' = 'idle';

  constructor(
    options: {
      now?: () => number;
      budgetMs?: number;
      /** Runs a callback in a later turn of the event loop (default: `setImmediate`). */
      defer?: (run: () => void) => void;
    } = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.budgetMs = options.budgetMs ?? TURN_BUDGET_MS;
    this.defer = options.defer ?? ((run) => void setImmediate(run));
  }

  /** Resolves when the caller's slice may run: later in this turn if its budget allows, else in a later one. */
  nextTurn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.state === 'idle') this.schedule();
    });
  }

  /**
   * When the slice running now should stop (`now()` time): the end of the current turn's budget.
   * Work that did not start from `nextTurn` gets a deadline already past, so it does the least it can.
   */
  sliceDeadline(): number {
    return this.turnStarted + this.budgetMs;
  }

  /** True once the current turn's budget is spent: the caller should `await nextTurn()`. */
  due(): boolean {
    return this.now() >= this.sliceDeadline();
  }

  /** Slices waiting for a turn (tests look at it). */
  get pending(): number {
    return this.waiting.length - this.next;
  }

  private schedule(): void {
    this.state = 'scheduled';
    this.defer(() => {
      this.turnStarted = this.now();
      this.state = 'running';
      this.resumeNext();
    });
  }

  /**
   * Resumes one slice, then looks again once its synchronous part has run: resuming happens in
   * microtasks, so a slice's continuation runs before the next is resumed.
   */
  private resumeNext(): void {
    const resume = this.waiting[this.next];
    if (resume === undefined) {
      // Every waiting slice has been resumed.
      this.waiting.length = 0;
      this.next = 0;
      this.state = 'idle';
      return;
    }
    if (this.due()) return this.schedule();
    this.waiting[this.next++] = noop;
    if (this.next > 1024 && this.next * 2 > this.waiting.length) {
      this.waiting.splice(0, this.next);
      this.next = 0;
    }
    resume();
    queueMicrotask(() => this.resumeNext());
  }
}

function noop(): void {}

/** The process's scheduler: every slicing loop of the runtime and the stores waits here. */
export const turns = new TurnScheduler();
