import { originOf } from './error-handling.ts';
import type { DropReason } from '../processor/internal-context.ts';
import type { RecordMetadata, StreamRecord } from '../processor/record.ts';
import type { Logger } from '../common/logger.ts';

/** At most one warning per reason and task in this interval; the next one says how many were not logged. */
export const DROP_WARNING_INTERVAL_MS = 10_000;

const describeReason: Record<DropReason, string> = {
  'null-key': 'null key',
  'null-key-or-value': 'null key or value',
  'null-join-key-or-value': 'null join key or value',
  'expired-window': 'expired window',
  'out-of-order-version': 'out-of-order update of a versioned table',
};

/**
 * One task's records that built-in operators dropped (null keys, late records): counted per reason,
 * as Kafka Streams' dropped-records metric counts them, and logged as warnings. A stream full of late
 * records must not flood the log, so each reason logs at most once per interval of the task's clock.
 */
export class DroppedRecords {
  private readonly counts = new Map<DropReason, number>();
  private readonly lastWarning = new Map<DropReason, { at: number; count: number }>();
  private readonly logger: Logger;
  private readonly clock: () => number;

  /** `logger` is the task's: it names the task on every line. */
  constructor(options: { logger: Logger; clock: () => number }) {
    this.logger = options.logger;
    this.clock = options.clock;
  }

  record(
    reason: DropReason,
    processor: string,
    origin: RecordMetadata | undefined,
    record: StreamRecord<unknown, unknown>,
    details: Readonly<Record<string, unknown>> = {},
  ): void {
    const count = (this.counts.get(reason) ?? 0) + 1;
    this.counts.set(reason, count);
    const now = this.clock();
    const last = this.lastWarning.get(reason);
    if (last && now - last.at < DROP_WARNING_INTERVAL_MS) return;
    this.lastWarning.set(reason, { at: now, count });
    const where = origin
      ? `topic "${origin.topic}" partition ${origin.partition} offset ${origin.offset}`
      : 'during punctuation (topic, partition and offset not known)';
    this.logger.warn(
      {
        processor,
        reason,
        ...(origin && originOf(origin)),
        timestamp: record.timestamp,
        ...details,
        droppedTotal: count,
        notLoggedSinceLastWarning: last ? count - last.count - 1 : 0,
      },
      `skipping record due to ${describeReason[reason]} at ${where}`,
    );
  }

  /** Dropped records per reason since the task started. */
  byReason(): ReadonlyMap<DropReason, number> {
    return this.counts;
  }

  get total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }
}
