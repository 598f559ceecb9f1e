import type { OutgoingRecord, WrittenOffsets } from '../../kafka/port.ts';
import { toError } from '../../common/to-error.ts';

/**
 * How much a sender holds before the processing loop waits for it: records handed over and not yet
 * acknowledged. Bounds memory between commits, and keeps a commit from waiting on a long queue.
 */
export const MAX_UNSENT_RECORDS = 20_000;
export const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

/**
 * Sends what one producer carries (an application's under at-least-once, a task's transaction under
 * exactly-once) continuously, one send at a time and in the order records were handed over: records
 * that arrive while a send is in flight go together in the next one. The producer splits a send into
 * requests the broker accepts. After a failed send nothing more is sent; the failure is what
 * `flushed` and `room` reject with.
 */
export class RecordSender {
  private readonly send: (records: readonly OutgoingRecord[]) => Promise<WrittenOffsets>;
  private readonly onWritten: (written: WrittenOffsets) => void;
  private readonly onFailed: ((error: Error) => void) | undefined;
  private queue: OutgoingRecord[] = [];
  private unsentRecords = 0;
  private unsentBytes = 0;
  private sending: Promise<void> | undefined;
  /** The send in flight, settling (never rejecting) when it is acknowledged or failed. */
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(options: {
    send: (records: readonly OutgoingRecord[]) => Promise<WrittenOffsets>;
    /** Learns the offsets an acknowledged send wrote (changelog positions). */
    onWritten: (written: WrittenOffsets) => void;
    /** Told at once when a send fails, besides `flushed` and `room` rejecting. */
    onFailed?: (error: Error) => void;
  }) {
    this.send = options.send;
    this.onWritten = options.onWritten;
    this.onFailed = options.onFailed;
  }

  /** Hands records over; they go out with the next send. */
  enqueue(records: readonly OutgoingRecord[]): void {
    if (records.length === 0) return;
    for (const record of records) this.queue.push(record);
    this.unsentRecords += records.length;
    this.unsentBytes += bytesOf(records);
    this.sending ??= this.drain();
  }

  /** True while more is unacknowledged than the bounds allow: the loop should wait for `room`. */
  get full(): boolean {
    return this.unsentRecords >= MAX_UNSENT_RECORDS || this.unsentBytes >= MAX_UNSENT_BYTES;
  }

  /** Resolves once the sender is below its bounds again (or idle); rejects if a send failed. */
  async room(): Promise<void> {
    while (this.full && this.inFlight && !this.failure) await this.inFlight;
    if (this.failure) throw this.failure;
  }

  /** Resolves once everything handed over so far is acknowledged; rejects if a send failed. */
  async flushed(): Promise<void> {
    while (this.sending && !this.failure) await this.sending;
    if (this.failure) throw this.failure;
  }

  /** The failed send's error, if any. */
  get failed(): Error | undefined {
    return this.failure;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failure) {
        const records = this.queue;
        this.queue = [];
        this.inFlight = this.send(records)
          .then((written) => {
            this.unsentRecords -= records.length;
            this.unsentBytes -= bytesOf(records);
            this.onWritten(written);
          })
          .catch((error: unknown) => {
            this.failure = toError(error);
            this.onFailed?.(this.failure);
          });
        await this.inFlight;
      }
    } finally {
      this.sending = undefined;
      this.inFlight = undefined;
    }
  }
}

/** The bytes of keys and values: what a sender's bounds count. */
function bytesOf(records: readonly OutgoingRecord[]): number {
  let bytes = 0;
  for (const record of records) bytes += (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0);
  return bytes;
}
