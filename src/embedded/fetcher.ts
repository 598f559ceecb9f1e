import type { RecordBatch, TopicPartition } from '../kafka/port.ts';
import type { PartitionLog } from './partition-log.ts';
import { toError } from '../common/to-error.ts';
import { toOffset } from '../common/offset.ts';

/** Records per partition per fetch, and about how many bytes. */
const MAX_RECORDS = 500;
const MAX_BYTES = 1024 * 1024;

interface Fetched {
  readonly log: PartitionLog;
  /** The next offset to read; undefined until first fetched (then `initialPosition` decides). */
  position: number | undefined;
  paused: boolean;
}

export interface FetcherOptions {
  readonly readCommitted: boolean;
  readonly deliver: (batch: RecordBatch) => void;
  /** Where a partition without a position starts (a group's committed offset, else the beginning). */
  readonly initialPosition: (partition: TopicPartition) => number;
  readonly onError: (error: Error) => void;
}

/**
 * The fetch loop of a consumer: round-robin over its unpaused partitions, one batch each, handing
 * batches over synchronously; when none has anything new it sleeps until one of their logs changes
 * (an append, a transaction marker) or its own partitions change. It never polls.
 */
export class Fetcher {
  private readonly options: FetcherOptions;
  private readonly partitions = new Map<string, Fetched>();
  private wake: (() => void) | undefined;
  private running = false;
  private done: Promise<void> = Promise.resolve();

  constructor(options: FetcherOptions) {
    this.options = options;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop().catch((error: unknown) => {
      this.running = false;
      this.options.onError(toError(error));
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.done;
  }

  /** Adds or replaces a partition. */
  set(partition: TopicPartition, log: PartitionLog, position: number | undefined, paused: boolean): void {
    this.partitions.set(key(partition), { log, position, paused });
    this.poke();
  }

  remove(partition: TopicPartition): void {
    this.partitions.delete(key(partition));
  }

  clear(): void {
    this.partitions.clear();
  }

  has(partition: TopicPartition): boolean {
    return this.partitions.has(key(partition));
  }

  pause(partition: TopicPartition): void {
    const fetched = this.partitions.get(key(partition));
    if (fetched) fetched.paused = true;
  }

  resume(partition: TopicPartition): void {
    const fetched = this.partitions.get(key(partition));
    if (!fetched || !fetched.paused) return;
    fetched.paused = false;
    this.poke();
  }

  seek(partition: TopicPartition, offset: number): void {
    const fetched = this.partitions.get(key(partition));
    if (!fetched) return;
    fetched.position = offset;
    this.poke();
  }

  private poke(): void {
    this.wake?.();
  }

  private async loop(): Promise<void> {
    const { readCommitted, deliver } = this.options;
    while (this.running) {
      let fetched = false;
      for (const [k, p] of [...this.partitions]) {
        if (!this.running) return;
        // A delivery may have paused, moved or removed it.
        if (p.paused || this.partitions.get(k) !== p) continue;
        const { topic, partition } = p.log;
        p.position ??= this.options.initialPosition({ topic, partition });
        if (p.position >= p.log.visibleEnd(readCommitted)) continue;
        const read = p.log.read(p.position, readCommitted, MAX_RECORDS, MAX_BYTES);
        p.position = read.next;
        fetched = true;
        deliver({
          topic,
          partition,
          records: read.records,
          nextOffset: toOffset(read.next),
          highWatermark: toOffset(p.log.visibleEnd(readCommitted)),
        });
      }
      // Let the runtime process what it got (and others fetch) before reading more.
      if (fetched) await new Promise((resolve) => setImmediate(resolve));
      else await this.changed();
    }
  }

  /** Resolves when a watched log changes or the partitions change. */
  private changed(): Promise<void> {
    return new Promise((resolve) => {
      const unsubscribe: (() => void)[] = [];
      const done = () => {
        for (const u of unsubscribe) u();
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      if (!this.running) return done();
      let ready = false;
      for (const p of this.partitions.values()) {
        if (p.paused) continue;
        unsubscribe.push(p.log.onChange(done));
        // Written to while the loop went over the others: no notification is coming for that.
        if (p.position === undefined || p.position < p.log.visibleEnd(this.options.readCommitted))
          ready = true;
      }
      if (ready) done();
    });
  }
}

function key(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}
