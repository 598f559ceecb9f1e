import type {
  GroupGeneration,
  OutgoingRecord,
  TopicPartitionOffset,
  TransactionalProducerPort,
  WrittenOffsets,
} from '../../kafka/port.ts';
import { silentLogger, warnOnFailure, type Logger } from '../../common/logger.ts';
import { RecordSender } from './record-sender.ts';

/** One producer and what it sends: replaced as a whole once an operation of it failed. */
interface Incarnation {
  readonly producer: Promise<TransactionalProducerPort>;
  readonly sender: RecordSender;
  transactionOpen: boolean;
}

/**
 * Exactly-once with one transactional producer for every task of this group member (Kafka Streams'
 * `exactly_once_v2` thread producer), where the event log fences offsets by the group generation
 * (`EventLogPort.groupFencedOffsets`, KIP-447). One transaction at a time spans the output, changelog
 * records and consumed offsets of all the member's tasks: they commit together or not at all. A zombie
 * (a member the group has moved on from) is fenced by its generation, refused when it adds offsets.
 *
 * Sends are continuous (a RecordSender, opening the transaction with its first send); `commit` waits
 * for them, adds the offsets and commits. After any failure the producer is done (see
 * TransactionalProducerPort): `reset` aborts and closes it, and the next send makes a new one.
 */
export class ThreadProducer {
  private readonly create: () => Promise<TransactionalProducerPort>;
  private readonly onWritten: (written: WrittenOffsets) => void;
  private readonly logger: Logger;
  private current: Incarnation | undefined;

  constructor(options: {
    /** Makes the producer (InitProducerId: fences an older producer of the same transactional id). */
    create: () => Promise<TransactionalProducerPort>;
    /** Learns the offsets an acknowledged send wrote (the tasks' changelog positions). */
    onWritten: (written: WrittenOffsets) => void;
    /** Where failures to abort or close a dropped producer are reported. */
    logger?: Logger;
  }) {
    this.create = options.create;
    this.onWritten = options.onWritten;
    this.logger = options.logger ?? silentLogger;
  }

  /** Hands records over to be sent in the open transaction. */
  enqueue(records: readonly OutgoingRecord[]): void {
    if (records.length > 0) this.incarnation().sender.enqueue(records);
  }

  /** Resolves once the sender is within its bounds; a failed send surfaces at `commit`. */
  async room(): Promise<void> {
    if (this.current?.sender.full) await this.current.sender.room().catch(() => undefined);
  }

  /**
   * Waits for every send, adds the consumed offsets with the generation they were processed in, and
   * commits. Nothing to commit (no records, no offsets): no transaction is opened.
   */
  async commit(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    generation: GroupGeneration | undefined,
  ): Promise<void> {
    const current = this.current;
    if (!current && offsets.length === 0) return;
    const incarnation = current ?? this.incarnation();
    await incarnation.sender.flushed();
    if (offsets.length === 0 && !incarnation.transactionOpen) return;
    const producer = await incarnation.producer;
    if (!incarnation.transactionOpen) {
      await producer.begin();
      incarnation.transactionOpen = true;
    }
    if (offsets.length > 0) await producer.sendOffsets(groupId, offsets, generation);
    await producer.commit();
    incarnation.transactionOpen = false;
  }

  /**
   * Drops the producer after a failure: its open transaction is aborted (the coordinator would at its
   * timeout, holding read_committed readers back until then) and it is closed.
   */
  async reset(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    // A producer that could not be created has nothing to abort or close: its failure was reported
    // by the send or commit that awaited it.
    const producer = await current.producer.catch(() => undefined);
    if (current.transactionOpen)
      await producer
        ?.abort()
        .catch(warnOnFailure(this.logger, 'aborting the transaction of a dropped producer'));
    await producer?.close().catch(warnOnFailure(this.logger, 'closing a dropped producer'));
  }

  close(): Promise<void> {
    return this.reset();
  }

  private incarnation(): Incarnation {
    if (this.current) return this.current;
    const producer = this.create();
    // A failure to create surfaces through the first send or commit, which await it.
    producer.catch(() => undefined);
    const incarnation: Incarnation = {
      producer,
      transactionOpen: false,
      sender: new RecordSender({
        send: async (records) => {
          const ready = await producer;
          if (!incarnation.transactionOpen) {
            await ready.begin();
            incarnation.transactionOpen = true;
          }
          return ready.send(records);
        },
        onWritten: this.onWritten,
      }),
    };
    return (this.current = incarnation);
  }
}
