import type { ProcessorContext } from './api.ts';
import type { StreamRecord } from './record.ts';

/**
 * Why a built-in operator dropped a record: the keys of a task's dropped-record counts. They follow the
 * cases Kafka Streams counts in its dropped-records metric and names in its "Skipping record" warnings.
 */
export type DropReason =
  /** A table row, or a table join input, without a key. */
  | 'null-key'
  /** Aggregations and stream-stream joins cannot group or join a record without key or value. */
  | 'null-key-or-value'
  /**
   * A stream-table, stream-global or foreign-key join input without a value, or without a key to look
   * up (for a foreign-key join: a row whose foreign key is null).
   */
  | 'null-join-key-or-value'
  /** A record for a window that had already closed (past its end plus grace) when it arrived. */
  | 'expired-window'
  /** An out-of-order update of a versioned table, which a table-table join skips (KIP-914). */
  | 'out-of-order-version';

/**
 * What built-in operators see beyond the public `ProcessorContext`. User processors are handed the
 * same object but are typed against the public interface only.
 */
export interface InternalProcessorContext<KOut = unknown, VOut = unknown> extends ProcessorContext<
  KOut,
  VOut
> {
  /**
   * Counts a record the operator drops and logs a rate-limited warning naming where the record came
   * from; `details` are added to the warning (the window and its close time for expired windows).
   */
  recordDropped(
    reason: DropReason,
    record: StreamRecord<unknown, unknown>,
    details?: Readonly<Record<string, unknown>>,
  ): void;
  /** Logs a warning about the record being processed, naming the processor and where the record came from. */
  warn(message: string, details?: Readonly<Record<string, unknown>>): void;
}

/**
 * A processor's context as built-in operators hold it: the public one, which may also be the runtime's
 * internal one (test doubles may not be).
 */
type MaybeInternalContext = ProcessorContext<unknown, unknown> &
  Partial<Pick<InternalProcessorContext, 'recordDropped' | 'warn'>>;

/** Reports a dropped record through the context, when the context can count them (test doubles may not). */
export function recordDropped(
  context: MaybeInternalContext,
  reason: DropReason,
  record: StreamRecord<unknown, unknown>,
  details?: Readonly<Record<string, unknown>>,
): void {
  context.recordDropped?.(reason, record, details);
}

/** Logs a warning through the context, when the context can log (test doubles may not). */
export function warn(
  context: MaybeInternalContext,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): void {
  context.warn?.(message, details);
}
