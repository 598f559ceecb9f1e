import { TributaryError } from '../errors.ts';
import type {
  PartitionReaderOptions,
  PartitionReaderPort,
  RecordBatch,
  TopicPartition,
  TopicPartitionOffset,
} from '../kafka/port.ts';
import type { EmbeddedLog } from './embedded-log.ts';
import { Fetcher } from './fetcher.ts';

/** Reads chosen partitions from chosen offsets, with no group: restores and standby replicas. */
export class EmbeddedPartitionReader implements PartitionReaderPort {
  private readonly log: EmbeddedLog;
  private readonly options: PartitionReaderOptions;
  private fetcher: Fetcher | undefined;

  constructor(log: EmbeddedLog, options: PartitionReaderOptions) {
    this.log = log;
    this.options = options;
  }

  async start(onBatch: (batch: RecordBatch) => void, onCrash: (error: Error) => void): Promise<void> {
    this.fetcher = new Fetcher({
      readCommitted: this.options.readCommitted,
      deliver: onBatch,
      initialPosition: () => 0,
      onError: onCrash,
    });
    this.fetcher.start();
  }

  async assign(position: TopicPartitionOffset): Promise<void> {
    if (!this.fetcher) throw new TributaryError('TRIB_EMBEDDED_LOG', 'the partition reader is not started');
    if (!this.options.topics.includes(position.topic))
      throw new TributaryError(
        'TRIB_EMBEDDED_LOG',
        `cannot read ${position.topic}: the reader was started for ${this.options.topics.join(', ') || 'no topics'}`,
      );
    const log = this.log.partition(position.topic, position.partition);
    this.fetcher.set(position, log, Number(position.offset), false);
  }

  async unassign(partition: TopicPartition): Promise<void> {
    this.fetcher?.remove(partition);
  }

  async stop(): Promise<void> {
    const fetcher = this.fetcher;
    this.fetcher = undefined;
    await fetcher?.stop();
  }
}
