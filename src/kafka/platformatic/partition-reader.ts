import type {
  PartitionReaderOptions,
  PartitionReaderPort,
  RecordBatch,
  TopicPartition,
  TopicPartitionOffset,
} from '../port.ts';
import { Fetcher } from './fetcher.ts';
import type { Wire } from './wire.ts';
import { TributaryError } from '../../errors.ts';

/** Reads chosen partitions from chosen offsets: fetches of its own, no consumer group. */
export class PlatformaticPartitionReader implements PartitionReaderPort {
  private readonly wire: Wire;
  private readonly options: PartitionReaderOptions;
  private readonly refused: (error: unknown) => Error;
  private fetcher: Fetcher | undefined;

  constructor(wire: Wire, options: PartitionReaderOptions, refused: (error: unknown) => Error) {
    this.wire = wire;
    this.options = options;
    this.refused = refused;
  }

  async start(onBatch: (batch: RecordBatch) => void, onCrash: (error: Error) => void): Promise<void> {
    this.fetcher = new Fetcher(this.wire, {
      readCommitted: this.options.readCommitted,
      onBatch,
      onCrash,
      refused: this.refused,
    });
    this.fetcher.start();
  }

  async assign(position: TopicPartitionOffset): Promise<void> {
    if (!this.fetcher)
      throw new TributaryError('TRIB_INTERNAL', `cannot read ${position.topic}: the reader was not started`);
    this.fetcher.assign(position, BigInt(position.offset), false);
  }

  async unassign(partition: TopicPartition): Promise<void> {
    this.fetcher?.unassign(partition);
  }

  async stop(): Promise<void> {
    const fetcher = this.fetcher;
    this.fetcher = undefined;
    await fetcher?.stop();
    await this.wire.close();
  }
}
