import type { ProducedRecord } from '../runtime/records.ts';
import type { AppInstance } from './app-instance.ts';
import type { InMemoryBroker, StoredRecord } from './in-memory-broker.ts';

/**
 * Several applications on one in-memory broker, fed the way a broker would feed them: every record
 * written to a topic an application reads is delivered to it, in write order, until nothing is left.
 * Then every application commits, and the next input may come.
 */
export class TestCluster {
  readonly broker: InMemoryBroker;
  private readonly apps: AppInstance[] = [];
  private readonly pending: StoredRecord[] = [];
  private draining = false;

  constructor(broker: InMemoryBroker) {
    this.broker = broker;
    broker.onAppend((record) => {
      if (this.apps.some((app) => app.reads(record.topic))) this.pending.push(record);
    });
  }

  addApp(app: AppInstance): void {
    this.apps.push(app);
  }

  get applications(): readonly AppInstance[] {
    return this.apps;
  }

  /** Writes a record to its topic and processes everything that follows from it. */
  pipe(record: ProducedRecord): StoredRecord {
    const stored = this.broker.append(record);
    this.drain();
    return stored;
  }

  /** Runs wall-clock punctuation of every application, then processes what it produced and commits. */
  punctuateWallClock(): void {
    let fired = false;
    for (const app of this.apps) fired = app.punctuateWallClock() || fired;
    // Replay calls this after every input record; when nothing was due there is nothing to commit.
    if (fired || this.pending.length > 0) this.drain();
  }

  /**
   * Flushes every application's record cache and processes what that produced, again until nothing
   * more follows (a flush may feed another sub-topology's cache through a repartition topic), then
   * commits.
   */
  commit(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        for (const app of this.apps) app.flushCaches();
        if (this.pending.length === 0) break;
        this.deliverPending();
      }
    } finally {
      this.draining = false;
    }
    this.drain();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      this.deliverPending();
      for (const app of this.apps) app.commit();
    } finally {
      this.draining = false;
      this.pending.length = 0;
    }
  }

  private deliverPending(): void {
    for (let record = this.pending.shift(); record; record = this.pending.shift()) {
      for (const app of this.apps) if (app.reads(record.topic)) app.deliver(record);
    }
  }
}
