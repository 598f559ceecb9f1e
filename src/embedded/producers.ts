import { TributaryError } from '../errors.ts';
import {
  ProducerFencedError,
  groupFencingUnsupported,
  type GroupGeneration,
  type OutgoingRecord,
  type ProducerPort,
  type TopicPartitionOffset,
  type TransactionalProducerPort,
  type WrittenOffsets,
} from '../kafka/port.ts';
import type { EmbeddedLog } from './embedded-log.ts';
import type { PartitionLog } from './partition-log.ts';
import type { Transaction } from './transactions.ts';
import { toOffset } from '../common/offset.ts';

/**
 * Appends records partition by partition, keeping their order within each partition; returns the
 * offset of the last record written to each. All partitions are checked before anything is written.
 */
function write(
  log: EmbeddedLog,
  records: readonly OutgoingRecord[],
  txnId: number,
  touched?: Set<PartitionLog>,
): WrittenOffsets {
  log.checkWritable();
  const byPartition = new Map<PartitionLog, OutgoingRecord[]>();
  for (const record of records) {
    const partition = log.partition(record.topic, record.partition);
    let list = byPartition.get(partition);
    if (!list) byPartition.set(partition, (list = []));
    list.push(record);
  }
  const written: WrittenOffsets = new Map();
  for (const [partition, list] of byPartition) {
    const first = partition.append(list, txnId);
    touched?.add(partition);
    let topic = written.get(partition.topic);
    if (!topic) written.set(partition.topic, (topic = new Map()));
    topic.set(partition.partition, toOffset(first + list.length - 1));
  }
  return written;
}

/** Sends that are written (and acknowledged) as soon as `send` is called. */
export class EmbeddedProducer implements ProducerPort {
  private readonly log: EmbeddedLog;

  constructor(log: EmbeddedLog) {
    this.log = log;
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    if (records.length === 0) return new Map();
    return write(this.log, records, 0);
  }

  async close(): Promise<void> {}
}

/**
 * A transactional producer. Creating one with a transactional id fences the previous holder of the id
 * and aborts its open transaction, as Kafka's InitProducerId does; the fenced producer's next call
 * fails with ProducerFencedError.
 */
export class EmbeddedTransactionalProducer implements TransactionalProducerPort {
  readonly transactionalId: string;
  private readonly log: EmbeddedLog;
  private transaction: Transaction | undefined;
  private fenced = false;
  private closed = false;

  constructor(log: EmbeddedLog, transactionalId: string) {
    this.log = log;
    this.transactionalId = transactionalId;
    log.checkWritable();
    log.transactions.claim(transactionalId, this);
  }

  fence(): void {
    if (this.transaction) this.log.transactions.abort(this.transaction);
    this.transaction = undefined;
    this.fenced = true;
  }

  async begin(): Promise<void> {
    this.check();
    if (this.transaction)
      throw new TributaryError(
        'TRIB_TRANSACTION',
        `producer "${this.transactionalId}" already has an open transaction`,
      );
    this.transaction = this.log.transactions.begin();
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    const transaction = this.open();
    if (records.length === 0) return new Map();
    return write(this.log, records, transaction.id, transaction.partitions);
  }

  async sendOffsets(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    generation?: GroupGeneration,
  ): Promise<void> {
    if (generation) throw groupFencingUnsupported('the embedded log');
    const transaction = this.open();
    transaction.addOffsets(
      groupId,
      offsets.map((o) => [o.topic, o.partition, Number(o.offset)] as const),
    );
  }

  async commit(): Promise<void> {
    const transaction = this.open();
    this.log.checkWritable();
    this.transaction = undefined;
    this.log.transactions.commit(transaction);
  }

  async abort(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    if (transaction && !this.fenced && !this.log.isClosed) this.log.transactions.abort(transaction);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.abort();
    this.log.transactions.release(this.transactionalId, this);
  }

  private check(): void {
    if (this.fenced) throw new ProducerFencedError(this.transactionalId);
    if (this.closed)
      throw new TributaryError('TRIB_TRANSACTION', `producer "${this.transactionalId}" is closed`);
  }

  private open(): Transaction {
    this.check();
    if (!this.transaction)
      throw new TributaryError(
        'TRIB_TRANSACTION',
        `producer "${this.transactionalId}" has no open transaction`,
      );
    return this.transaction;
  }
}
