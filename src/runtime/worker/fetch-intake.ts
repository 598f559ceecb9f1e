import type { GroupConsumerPort, RecordBatch } from '../../kafka/port.ts';
import type { ActiveTask } from './active-task.ts';
import type { RecordPreparer } from './record-preparer.ts';
import { partitionKey, type RunningTask, type TaskRegistry } from './task-registry.ts';
import { toOffset } from '../../common/offset.ts';

export interface FetchIntakeOptions {
  readonly registry: TaskRegistry;
  readonly consumer: GroupConsumerPort;
  /** Prepares serdes that need I/O (registry schemas) before a batch's records can be decoded; undefined when none do. */
  readonly preparer: RecordPreparer | undefined;
  readonly maxBufferedRecordsPerPartition: number;
  /** Wakes the processing loop: records arrived. */
  readonly wake: () => void;
}

/**
 * Where fetched batches enter: each goes to the queue of the task that owns its partition, in fetch
 * order, once its records can be decoded synchronously. A queue over `maxBufferedRecordsPerPartition`
 * pauses its partition; the loop resumes it once the task has drained it below half (back-pressure).
 */
export class FetchIntake {
  private readonly options: FetchIntakeOptions;
  /** Batches waiting for their records' serdes to be prepared, per partition, in fetch order. */
  private readonly preparing = new Map<string, Promise<void>>();

  constructor(options: FetchIntakeOptions) {
    this.options = options;
  }

  onBatch(batch: RecordBatch): void {
    const key = partitionKey(batch);
    const owner = this.options.registry.ownerOf(batch);
    if (!owner) return; // a partition we gave up in a rebalance: its new owner reads it from the committed offset
    owner.active.noteFetch(batch);
    const waiting = this.preparing.get(key);
    const preparing = this.options.preparer?.prepare(batch);
    if (!waiting && !preparing) return this.enqueue(owner, batch);
    // Records wait until their serdes can decode them synchronously; later batches queue behind.
    // Meanwhile the task knows more is coming for this partition, so it does not run ahead of it.
    owner.active.queues.add(batch, [], toOffset(0), batch.highWatermark);
    const done = (waiting ?? Promise.resolve())
      .then(() => preparing)
      .then(() => {
        if (this.options.registry.ownerOf(batch) === owner) this.enqueue(owner, batch);
      });
    this.preparing.set(key, done);
    void done.finally(() => {
      if (this.preparing.get(key) === done) this.preparing.delete(key);
    });
  }

  /** Resumes the task's partitions whose queues the loop has drained below half the limit. */
  resumeDrained(active: ActiveTask): void {
    const threshold = this.options.maxBufferedRecordsPerPartition / 2;
    const drained = active.inputs.filter((p) => active.queues.size(p) < threshold);
    if (drained.length > 0) this.options.consumer.resume(drained);
  }

  private enqueue(owner: RunningTask, batch: RecordBatch): void {
    const size = owner.active.queues.add(batch, batch.records, batch.nextOffset, batch.highWatermark);
    if (size >= this.options.maxBufferedRecordsPerPartition) this.options.consumer.pause([batch]);
    this.options.wake();
  }
}
