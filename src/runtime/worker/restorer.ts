import { turns } from '../../common/event-loop-turns.ts';
import type { LogRecord, PartitionReaderPort, RecordBatch, TopicPartition } from '../../kafka/port.ts';
import type { ChangelogRecord } from '../../state/bytes.ts';
import type { ChangelogTarget } from '../changelog-target.ts';
import type { Logger } from '../../common/logger.ts';
import {
  RestoreProgressLog,
  type RestoreProgressOptions,
  type RestoresUnderWay,
} from './restore-progress.ts';
import { toError } from '../../common/to-error.ts';
import type { Offset } from '../../common/offset.ts';

/** Records applied to a target between two of its saves, unless it says otherwise (`recordsPerSave`). */
export const RECORDS_PER_SAVE = 10_000;
/** Records applied between two looks at the event loop's turn (`turns`). */
const RECORDS_PER_SLICE = 250;

interface Follower {
  readonly target: ChangelogTarget;
  /** Stop once this offset is reached (restore), or never (standby). */
  readonly end: Offset | undefined;
  /** The next offset to apply. */
  position: Offset;
  applied: number;
  /** Records applied since the target last saved. */
  unsaved: number;
  /** The batches being applied or waiting for the target's preparation, in order: the last one's. */
  pending: Promise<void> | undefined;
  readonly done: (restored: number) => void;
  readonly fail: (error: Error) => void;
}

export interface RestoreProgress {
  readonly topic: string;
  readonly partition: number;
  readonly restored: number;
  readonly remaining: bigint;
}

/**
 * Reads changelog partitions into stores: to a given end when restoring an active task, and without
 * end for standby replicas. One partition reader serves every store of the application.
 */
export class Restorer {
  private readonly reader: PartitionReaderPort;
  private readonly logger: Logger;
  private readonly followers = new Map<string, Follower>();
  private started = false;
  private crashed: Error | undefined;
  private readonly progressLog: RestoreProgressLog;

  constructor(reader: PartitionReaderPort, logger: Logger, options: RestoreProgressOptions = {}) {
    this.reader = reader;
    this.logger = logger;
    this.progressLog = new RestoreProgressLog(logger, () => this.progressOf(), options);
  }

  /**
   * Starts reading. The reader rides out passing failures itself; `onCrash` hears when it failed for
   * good (restores under way fail with it, and later ones at once).
   */
  async start(onCrash: (error: Error) => void = () => undefined): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.reader.start(
      (batch) => this.onBatch(batch),
      (error) => {
        this.crashed = error;
        for (const follower of this.followers.values()) follower.fail(error);
        this.followers.clear();
        onCrash(error);
      },
    );
  }

  /** Replays the changelog partition from `from` up to `to` into the target; resolves with the count applied. */
  async restore(
    partition: TopicPartition,
    from: Offset,
    to: Offset,
    target: ChangelogTarget,
  ): Promise<number> {
    if (from >= to) return 0;
    if (this.crashed) throw this.crashed;
    const restored = new Promise<number>((resolve, reject) => {
      this.followers.set(key(partition), {
        target,
        end: to,
        position: from,
        applied: 0,
        unsaved: 0,
        pending: undefined,
        done: resolve,
        fail: reject,
      });
    });
    this.progressLog.restoring();
    await this.reader.assign({ ...partition, offset: from });
    try {
      return await restored;
    } finally {
      this.followers.delete(key(partition));
      this.progressLog.settled();
      await this.reader.unassign(partition);
    }
  }

  /** Keeps applying the changelog partition from `from` on, until `unfollow`. */
  async follow(partition: TopicPartition, from: Offset, target: ChangelogTarget): Promise<void> {
    if (this.crashed) throw this.crashed;
    this.followers.set(key(partition), {
      target,
      end: undefined,
      position: from,
      applied: 0,
      unsaved: 0,
      pending: undefined,
      done: () => undefined,
      fail: (error) =>
        this.logger.error(
          { err: error, topic: partition.topic, partition: partition.partition },
          'standby replica stopped following its changelog',
        ),
    });
    await this.reader.assign({ ...partition, offset: from });
  }

  /** The position a follower has reached (the next offset to apply). */
  position(partition: TopicPartition): Offset | undefined {
    return this.followers.get(key(partition))?.position;
  }

  async unfollow(partition: TopicPartition): Promise<void> {
    if (!this.followers.delete(key(partition))) return;
    await this.reader.unassign(partition);
  }

  progress(): RestoreProgress[] {
    return [...this.followers.entries()].flatMap(([k, f]) => {
      if (f.end === undefined) return [];
      const [topic, partition] = splitKey(k);
      return [{ topic, partition, restored: f.applied, remaining: f.end - f.position }];
    });
  }

  async stop(): Promise<void> {
    this.progressLog.stop();
    await this.reader.stop();
  }

  /** Changelog offsets still to apply by the restores under way, and how many restores that is. */
  private progressOf(): RestoresUnderWay {
    let remaining = 0n;
    let partitions = 0;
    for (const f of this.followers.values()) {
      if (f.end === undefined) continue;
      remaining += f.end - f.position;
      partitions++;
    }
    return { remaining, partitions };
  }

  /**
   * Applies a fetched batch after the ones before it. Returns the application of the batch before this
   * one when that is still under way, so a reader that waits for it fetches at most one batch ahead:
   * fetching overlaps applying, and a restore never queues more than that in memory.
   */
  private onBatch(batch: RecordBatch): Promise<void> | undefined {
    const k = key(batch);
    const follower = this.followers.get(k);
    if (!follower) return undefined;
    const preparing = follower.target.prepare?.(batch.records.filter(hasKey));
    const previous = follower.pending;
    const applying =
      !preparing && !previous
        ? this.apply(k, follower, batch, 0)
        : (previous ?? Promise.resolve()).then(() => preparing).then(() => this.apply(k, follower, batch, 0));
    if (!applying) return undefined;
    follower.pending = applying;
    void applying.finally(() => {
      if (follower.pending === applying) follower.pending = undefined;
    });
    return previous;
  }

  /**
   * Applies a batch's records from index `from` on, a slice at a time: once the event loop's turn is
   * spent (`turns`) the rest waits for a later turn, so a large fetch never holds the event loop.
   */
  private apply(k: string, follower: Follower, batch: RecordBatch, from: number): Promise<void> | undefined {
    const records = batch.records;
    let i = from;
    while (this.followers.get(k) === follower) {
      const slice: ChangelogRecord[] = [];
      let reachedEnd = false;
      const last = Math.min(records.length, i + RECORDS_PER_SLICE);
      // A batch's offsets ascend: when the slice's first and last records are within the range to
      // apply, all of it is, and no record's offset needs parsing.
      const first = i < last ? records[i] : undefined;
      const final = records[last - 1];
      const within =
        first !== undefined &&
        final !== undefined &&
        first.offset >= follower.position &&
        (follower.end === undefined || final.offset < follower.end);
      for (let record = records[i]; record !== undefined && i < last; record = records[++i]) {
        if (!within) {
          const offset = record.offset;
          if (offset < follower.position) continue;
          if (follower.end !== undefined && offset >= follower.end) {
            reachedEnd = true;
            break;
          }
        }
        if (hasKey(record)) slice.push(record);
      }
      try {
        if (slice.length > 0) follower.target.apply(slice);
      } catch (error) {
        this.followers.delete(k);
        follower.fail(toError(error));
        return undefined;
      }
      follower.applied += slice.length;
      const whole = reachedEnd || i >= records.length;
      // Not whole: the slice stopped before records[i], where the next one starts.
      const stoppedAt = whole ? undefined : records[i];
      this.advance(follower, stoppedAt === undefined ? batch.nextOffset : stoppedAt.offset);
      follower.unsaved += slice.length;
      const { target } = follower;
      if (
        target.save &&
        (follower.unsaved >= (target.recordsPerSave ?? RECORDS_PER_SAVE) || target.saveDue?.())
      ) {
        follower.unsaved = 0;
        target.save(follower.position);
      }
      if (follower.end !== undefined && follower.position >= follower.end) {
        follower.done(follower.applied);
        return undefined;
      }
      if (whole) return undefined;
      if (turns.due()) {
        const at = i;
        return turns.nextTurn().then(() => this.apply(k, follower, batch, at));
      }
    }
    return undefined;
  }

  /** Moves a follower's position on to `next` (never back, never past its end). */
  private advance(follower: Follower, next: Offset): void {
    if (next <= follower.position) return;
    const position = follower.end === undefined ? next : min(next, follower.end);
    if (follower.end !== undefined) this.progressLog.advanced(position - follower.position);
    follower.position = position;
  }
}

/** A record with a key is a changelog record as it is (no copy per record). */
function hasKey(record: LogRecord): record is LogRecord & ChangelogRecord {
  return record.key !== null;
}

function key(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}

function splitKey(k: string): [string, number] {
  const at = k.lastIndexOf('\u0000');
  return [k.slice(0, at), Number(k.slice(at + 1))];
}

function min(a: Offset, b: Offset): Offset {
  return a < b ? a : b;
}
