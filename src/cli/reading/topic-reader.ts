/**
 * Reads chosen partitions of live topics through the event-log port (Kafka or the embedded log), from
 * a start offset to an end offset or until stopped, and hands the records over in the order a Kafka
 * Streams task would process them: offset order within a partition, and across partitions always the
 * buffered record with the smallest timestamp. `tributary record` and `tributary tail` share it.
 */
import { TributaryError } from '../../errors.ts';
import type { EventLogPort, LogRecord, PartitionReaderPort, RecordBatch } from '../../kafka/port.ts';
import { toError } from '../../common/to-error.ts';
import { toOffset } from '../../common/offset.ts';

/** What to read of one partition. */
export interface PartitionPlan {
  readonly topic: string;
  readonly partition: number;
  /** The first offset to read. */
  readonly from: bigint;
  /** Stop before this offset; undefined: read until stopped. */
  readonly end: bigint | undefined;
  /** The partition's end when reading began: records before it were there already. */
  readonly endAtStart: bigint;
}

export interface ReadHandlers {
  /** Each record, in processing order; reading waits for it (so output can apply back-pressure). */
  onRecord(record: LogRecord): void | Promise<void>;
  /**
   * Once: every record that was in the partitions when reading began (up to `endAtStart`) has been
   * handed over. Following readers go on with new records after it.
   */
  onCaughtUp?(): void | Promise<void>;
}

export interface TopicReaderOptions {
  readonly readCommitted: boolean;
  readonly clientId?: string;
  /**
   * When reading until stopped: how long a partition that has not caught up (a fetch on its way, an
   * open transaction under read_committed) may hold back records of the others. Kafka Streams'
   * `max.task.idle.ms`. Reading to an end always waits, so the order is exact.
   */
  readonly maxIdleMs?: number;
}

export interface ReadSummary {
  readonly records: number;
  /** True when reading stopped on request rather than at the ends. */
  readonly stopped: boolean;
}

const DEFAULT_MAX_IDLE_MS = 500;

interface PartitionState {
  readonly plan: PartitionPlan;
  /** The next offset to read. */
  position: bigint;
  /** Records not yet handed over start at `head`; the slots before it are emptied, so they can be freed. */
  readonly queue: (LogRecord | undefined)[];
  head: number;
  /** The last fetch reached what the log holds: nothing more to wait for right now. */
  caughtUp: boolean;
  /** Since when an empty, not caught-up partition has been holding the others back. */
  waitingSince: number | undefined;
}

export class TopicReader {
  private readonly port: EventLogPort;
  private readonly options: TopicReaderOptions;

  constructor(port: EventLogPort, options: TopicReaderOptions) {
    this.port = port;
    this.options = options;
  }

  /**
   * Reads the plan. Resolves when every partition reached its end, or — after handing over what was
   * already read, in order — when `signal` aborts. Rejects when the reader fails.
   */
  async read(
    plan: readonly PartitionPlan[],
    handlers: ReadHandlers,
    signal?: AbortSignal,
  ): Promise<ReadSummary> {
    const run = new ReadRun(plan, handlers, this.options.maxIdleMs ?? DEFAULT_MAX_IDLE_MS);
    const reader = this.port.partitionReader({
      readCommitted: this.options.readCommitted,
      topics: [...new Set(plan.map((p) => p.topic))],
      clientId: this.options.clientId,
    });
    const onAbort = () => run.stop();
    signal?.addEventListener('abort', onAbort);
    try {
      if (signal?.aborted) run.stop();
      await reader.start(
        (batch) => run.onBatch(batch),
        (error) => run.fail(error),
      );
      for (const state of run.partitions)
        if (!run.isDone(state))
          await reader.assign({
            topic: state.plan.topic,
            partition: state.plan.partition,
            offset: toOffset(state.position),
          });
      run.pump();
      return await run.finished;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      run.dispose();
      await stopQuietly(reader);
    }
  }
}

async function stopQuietly(reader: PartitionReaderPort): Promise<void> {
  try {
    await reader.stop();
  } catch {
    // Reading is over; a failure to disconnect changes nothing about what was read.
  }
}

/** One read: the partitions' buffers, and the loop that hands records over in order. */
class ReadRun {
  readonly partitions: PartitionState[];
  readonly finished: Promise<ReadSummary>;
  private readonly byKey = new Map<string, PartitionState>();
  private readonly handlers: ReadHandlers;
  private readonly maxIdleMs: number;
  private readonly following: boolean;
  private resolve!: (summary: ReadSummary) => void;
  private reject!: (error: Error) => void;
  private pumping = false;
  private again = false;
  private stopped = false;
  private ended = false;
  private caughtUpSent = false;
  private handed = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(plan: readonly PartitionPlan[], handlers: ReadHandlers, maxIdleMs: number) {
    this.handlers = handlers;
    this.maxIdleMs = maxIdleMs;
    this.following = plan.some((p) => p.end === undefined);
    this.partitions = plan.map((p) => ({
      plan: p,
      position: p.from,
      queue: [],
      head: 0,
      caughtUp: p.from >= p.endAtStart,
      waitingSince: undefined,
    }));
    for (const state of this.partitions) this.byKey.set(key(state.plan), state);
    this.finished = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  isDone(state: PartitionState): boolean {
    return state.plan.end !== undefined && state.position >= state.plan.end;
  }

  onBatch(batch: RecordBatch): void {
    const state = this.byKey.get(key(batch));
    if (!state || this.isDone(state)) return;
    const { end } = state.plan;
    for (const record of batch.records) {
      const offset = record.offset;
      if (offset < state.position) continue;
      if (end !== undefined && offset >= end) break;
      state.queue.push(record);
    }
    const next = batch.nextOffset;
    if (next > state.position) state.position = end !== undefined && next > end ? end : next;
    state.caughtUp = next >= batch.highWatermark;
    this.pump();
  }

  fail(error: Error): void {
    this.ended = true;
    this.reject(
      new TributaryError('TRIB_READ', `reading ${this.describe()} failed: ${error.message}`, {
        cause: error,
      }),
    );
  }

  /** Hand over what was read, then finish. */
  stop(): void {
    this.stopped = true;
    this.pump();
  }

  dispose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }

  /** Hands over every record that may go now; runs one loop at a time, again if asked meanwhile. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.drain()
      .catch((error: unknown) => this.fail(toError(error)))
      .finally(() => {
        this.pumping = false;
        if (this.again && !this.ended) {
          this.again = false;
          this.pump();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.ended) return;
      this.again = false;
      const next = this.next();
      if (next) {
        const { state, record } = next;
        state.queue[state.head++] = undefined;
        if (state.head > 1024 && state.head * 2 > state.queue.length) {
          state.queue.splice(0, state.head);
          state.head = 0;
        }
        this.handed++;
        await this.handlers.onRecord(record);
        continue;
      }
      if (!this.caughtUpSent && this.initialDone()) {
        this.caughtUpSent = true;
        await this.handlers.onCaughtUp?.();
        continue;
      }
      if (this.stopped || this.partitions.every((p) => this.isDone(p) && p.head === p.queue.length)) {
        this.ended = true;
        this.resolve({ records: this.handed, stopped: this.stopped });
      }
      return;
    }
  }

  /** The partition whose head goes next, or none while a partition without records may still have earlier ones. */
  private next(): { state: PartitionState; record: LogRecord } | undefined {
    let best: { state: PartitionState; record: LogRecord } | undefined;
    const now = Date.now();
    let wait = false;
    for (const state of this.partitions) {
      const record = state.queue[state.head];
      if (record !== undefined) {
        state.waitingSince = undefined;
        if (!best || record.timestamp < best.record.timestamp) best = { state, record };
        continue;
      }
      if (this.stopped || this.isDone(state)) continue;
      if (this.following && state.caughtUp) continue;
      state.waitingSince ??= now;
      if (this.following && now - state.waitingSince >= this.maxIdleMs) continue;
      wait = true;
    }
    if (!wait) return best;
    if (best && this.following) this.wakeAfterIdle();
    return undefined;
  }

  /** Every record that was there when reading began has been handed over. */
  private initialDone(): boolean {
    return this.partitions.every((p) => {
      const head = p.queue[p.head];
      return (
        (this.isDone(p) || p.position >= p.plan.endAtStart) &&
        (head === undefined || head.offset >= p.plan.endAtStart)
      );
    });
  }

  private wakeAfterIdle(): void {
    if (this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.pump();
    }, this.maxIdleMs);
  }

  private describe(): string {
    const topics = [...new Set(this.partitions.map((p) => p.plan.topic))];
    return topics.map((t) => `"${t}"`).join(', ');
  }
}

function key(p: { topic: string; partition: number }): string {
  return `${p.topic}\u0000${p.partition}`;
}
