/**
 * Runs an async job one run at a time, where asking again while a run waits to start joins that run
 * instead of queueing another: a persist asked for after every record (the test driver commits after
 * each) costs one LevelDB write per store for all the commits made while the previous one ran. Each
 * run starts after the one before has settled, whether it failed or not, and does what its latest
 * asker wants (the job reads the state when it starts).
 */
export class CoalescedRuns {
  /** The run going on or last made. */
  private last: Promise<void> = Promise.resolve();
  /** The run asked for and not started yet. */
  private waiting: Promise<void> | undefined;

  /** Resolves once a run that started after this call has finished. */
  run(job: () => Promise<void>): Promise<void> {
    if (this.waiting) return this.waiting;
    const run = this.last
      .catch(() => undefined)
      .then(() => {
        this.waiting = undefined;
        return job();
      });
    this.waiting = run;
    this.last = run;
    return run;
  }

  /** Resolves once every run asked for so far has settled (failures are the askers'). */
  settled(): Promise<void> {
    return this.last.catch(() => undefined);
  }
}
