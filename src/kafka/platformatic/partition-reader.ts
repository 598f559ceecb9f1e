import type { Logger } from '../../common/logger.ts';
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

/**
 * Reads chosen partitions from chosen offsets: fetches of its own, no consumer group. It rides out
 * a broker restart by fetching again (see Fetcher), for at most `retryTimeoutMs` of failures in a row.
 */
export class PlatformaticPartitionReader implements PartitionReaderPort {
  private readonly wire: Wire;
  private readonly options: PartitionReaderOptions;
  private readonly refused: (error: unknown) => Error;
  private readonly logger: Logger;
  private fetcher: Fetcher | undefined;

  constructor(
    wire: Wire,
    options: PartitionReaderOptions,
    refused: (error: unknown) => Error,
    logger: Logger,
  ) {
    this.wire = wire;
    this.options = options;
    this.refused = refused;
    this.logger = logger;
  }

  async start(onBatch: (batch: RecordBatch) => void, onCrash: (error: Error) => void): Promise<void> {
    this.fetcher = new Fetcher(this.wire, {
      readCommitted: this.options.readCommitted,
      onBatch,
      onCrash,
      refused: this.refused,
      retryTimeoutMs: this.options.retryTimeoutMs,
      what: `the partition reader of client "${this.options.clientId ?? 'tributary'}"`,
      logger: this.logger,
    });
    this.fetcher.start();
  }

  async assign(position: TopicPartitionOffset): Promise<void> {
    if (!this.fetcher)
      throw new TributaryError('TRIB_INTERNAL', `cannot read ${position.topic}: the reader was not started`);
    this.fetcher.assign(position, position.offset, false);
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
