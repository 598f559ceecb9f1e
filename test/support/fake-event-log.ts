/**
 * A scriptable event log for the runtime's unit tests: implements the port (src/kafka/port.ts) in
 * memory, writes down every call the runtime makes in a journal, and fails or holds chosen calls —
 * a fenced producer, a commit refused by a rebalance, a send that fails, a slow fetch — as Kafka
 * Streams' tests drive `StreamTask` with mock clients. It is not an event log to run applications
 * on (that is src/embedded); it keeps just enough state for the runtime's invariants to be checked:
 * partitions with their records, transactions that commit or abort, committed offsets per group.
 */
import type {
  AdminPort,
  CommittedOffset,
  EventLogPort,
  GroupAssignment,
  GroupConsumerHandlers,
  GroupConsumerOptions,
  GroupConsumerPort,
  GroupGeneration,
  LogRecord,
  NewTopic,
  OffsetRange,
  OutgoingRecord,
  PartitionReaderOptions,
  PartitionReaderPort,
  ProducerPort,
  RecordBatch,
  TopicPartition,
  TopicPartitionOffset,
  TransactionalProducerPort,
  WrittenOffsets,
} from '../../src/kafka/port.ts';
import { GroupFencedError, ProducerFencedError } from '../../src/kafka/port.ts';
import { toOffset, type Offset } from '../../src/common/offset.ts';

/** The calls a test can script (fail or hold) and finds in the journal. */
export type FakeOperation =
  | 'send' // ProducerPort.send (at-least-once)
  | 'commit' // GroupConsumerPort.commit
  | 'begin'
  | 'transactional-send'
  | 'send-offsets'
  | 'commit-transaction'
  | 'abort'
  | 'fetch' // a partition reader handing over a batch (restores, standbys)
  | 'seek'
  | 'pause'
  | 'resume'
  | 'rejoin';

export interface JournalEntry {
  readonly operation: FakeOperation;
  /** The transactional id, for the calls of a transactional producer. */
  readonly transactionalId?: string;
  /** The topics a send wrote to. */
  readonly topics?: readonly string[];
  readonly offsets?: readonly TopicPartitionOffset[];
  readonly metadata?: string;
}

/** What a scripted call does instead of (or before) its normal work. */
export type ScriptStep =
  | { readonly fail: Error }
  /** Runs first, then the call goes on: to look at the runtime's state at that moment, or to wait. */
  | { readonly before: () => void | Promise<void> };

interface StoredRecord {
  readonly record: LogRecord;
  /** Records written in a transaction are readable (read_committed) once it commits. */
  readonly transaction?: { state: 'open' | 'committed' | 'aborted' };
}

export class FakeEventLog implements EventLogPort {
  readonly description = 'fake event log (tests)';
  readonly groupFencedOffsets: boolean;
  readonly journal: JournalEntry[] = [];
  /** Committed offsets per group, by `topic\0partition`. */
  readonly committed = new Map<string, Map<string, CommittedOffset>>();
  /** The group generation the coordinator is at: offsets sent with an older one are refused. */
  groupGenerationId = 1;
  readonly consumers: FakeGroupConsumer[] = [];
  /** The transactional ids of the producers made, in order. */
  readonly transactionalIds: string[] = [];
  private readonly partitions = new Map<string, StoredRecord[][]>();
  private readonly scripts = new Map<FakeOperation, ScriptStep[]>();
  private readonly producers = new Map<string, FakeTransactionalProducer>();
  private readonly readers = new Set<FakePartitionReader>();

  constructor(options: { groupFencedOffsets?: boolean } = {}) {
    this.groupFencedOffsets = options.groupFencedOffsets ?? false;
  }

  /** The next call of `operation` does `step` (steps of one operation are used in order, once each). */
  script(operation: FakeOperation, step: ScriptStep): void {
    const steps = this.scripts.get(operation) ?? [];
    steps.push(step);
    this.scripts.set(operation, steps);
  }

  /** The next call of `operation` waits until `release` is called; `reached` resolves when it is made. */
  hold(operation: FakeOperation): { reached: Promise<void>; release: () => void } {
    let reach!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.script(operation, {
      before: () => {
        reach();
        return released;
      },
    });
    return { reached, release };
  }

  /** The operations in the journal, in order (optionally only those listed). */
  operations(...only: FakeOperation[]): FakeOperation[] {
    return this.journal.map((e) => e.operation).filter((o) => only.length === 0 || only.includes(o));
  }

  createTopic(topic: string, partitions: number): void {
    const existing = this.partitions.get(topic) ?? [];
    while (existing.length < partitions) existing.push([]);
    this.partitions.set(topic, existing);
  }

  /** Appends records as a plain (non-transactional) producer would; returns their offsets. */
  append(
    topic: string,
    partition: number,
    records: readonly { key: Uint8Array | null; value: Uint8Array | null }[],
  ): Offset[] {
    return records.map((r) =>
      this.store({ topic, partition, key: r.key, value: r.value, timestamp: 0, headers: {} }, undefined),
    );
  }

  /** The records a read_committed consumer sees in a partition. */
  records(topic: string, partition: number): LogRecord[] {
    return this.log({ topic, partition })
      .filter((s) => !s.transaction || s.transaction.state === 'committed')
      .map((s) => s.record);
  }

  committedOffset(groupId: string, partition: TopicPartition): Offset | undefined {
    return this.committed.get(groupId)?.get(key(partition))?.offset;
  }

  /** The last group consumer made (the runtime makes one per application). */
  get consumer(): FakeGroupConsumer {
    const consumer = this.consumers.at(-1);
    if (!consumer) throw new Error('no group consumer was made');
    return consumer;
  }

  admin(): AdminPort {
    return new FakeAdmin(this);
  }

  groupConsumer(options: GroupConsumerOptions): FakeGroupConsumer {
    const consumer = new FakeGroupConsumer(this, options);
    this.consumers.push(consumer);
    return consumer;
  }

  partitionReader(options: PartitionReaderOptions): PartitionReaderPort {
    const reader = new FakePartitionReader(this, options.readCommitted);
    this.readers.add(reader);
    return reader;
  }

  producer(): ProducerPort {
    return {
      send: async (records) => {
        await this.call({ operation: 'send', topics: topicsOf(records) });
        return this.write(records, undefined);
      },
      close: async () => undefined,
    };
  }

  /** A new producer with an id in use fences the old one and aborts its open transaction, as Kafka does. */
  async transactionalProducer(options: { transactionalId: string }): Promise<TransactionalProducerPort> {
    this.transactionalIds.push(options.transactionalId);
    this.producers.get(options.transactionalId)?.fence();
    const producer = new FakeTransactionalProducer(this, options.transactionalId);
    this.producers.set(options.transactionalId, producer);
    return producer;
  }

  /** Journals a call, then runs its scripted step, if any. */
  async call(entry: JournalEntry): Promise<void> {
    this.journal.push(entry);
    const step = this.scripts.get(entry.operation)?.shift();
    if (!step) return;
    if ('fail' in step) throw step.fail;
    await step.before();
  }

  log(partition: TopicPartition): StoredRecord[] {
    this.createTopic(partition.topic, partition.partition + 1);
    return this.partitions.get(partition.topic)![partition.partition]!;
  }

  partitionCount(topic: string): number | undefined {
    return this.partitions.get(topic)?.length;
  }

  deleteTopic(topic: string): void {
    this.partitions.delete(topic);
  }

  topicNames(): string[] {
    return [...this.partitions.keys()];
  }

  write(records: readonly OutgoingRecord[], transaction: StoredRecord['transaction']): WrittenOffsets {
    const written: WrittenOffsets = new Map();
    for (const record of records) {
      const offset = this.store(record, transaction);
      const topic = written.get(record.topic) ?? new Map<number, Offset>();
      topic.set(record.partition, offset);
      written.set(record.topic, topic);
    }
    return written;
  }

  commitOffsets(groupId: string, offsets: readonly TopicPartitionOffset[], metadata: string | null): void {
    const group = this.committed.get(groupId) ?? new Map<string, CommittedOffset>();
    for (const o of offsets) group.set(key(o), { offset: o.offset, metadata });
    this.committed.set(groupId, group);
  }

  private store(record: Omit<LogRecord, 'offset'>, transaction: StoredRecord['transaction']): Offset {
    const log = this.log(record);
    const offset = toOffset(log.length);
    log.push({ record: { ...record, offset }, transaction });
    for (const reader of this.readers) reader.wake();
    return offset;
  }
}

class FakeAdmin implements AdminPort {
  private readonly log: FakeEventLog;

  constructor(log: FakeEventLog) {
    this.log = log;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    for (const t of topics)
      if (this.log.partitionCount(t.topic) === undefined) this.log.createTopic(t.topic, t.partitions);
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const count = this.log.partitionCount(topic);
      if (count !== undefined) counts.set(topic, count);
    }
    return counts;
  }

  async offsets(topic: string): Promise<Map<number, OffsetRange>> {
    const ranges = new Map<number, OffsetRange>();
    for (let partition = 0; partition < (this.log.partitionCount(topic) ?? 0); partition++)
      ranges.set(partition, { low: toOffset(0), high: toOffset(this.log.log({ topic, partition }).length) });
    return ranges;
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<Map<number, Offset>> {
    const offsets = new Map<number, Offset>();
    for (let partition = 0; partition < (this.log.partitionCount(topic) ?? 0); partition++) {
      const log = this.log.log({ topic, partition });
      const at = log.findIndex((s) => s.record.timestamp >= timestamp);
      offsets.set(partition, toOffset(at === -1 ? log.length : at));
    }
    return offsets;
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, CommittedOffset>> {
    const offsets = new Map<number, CommittedOffset>();
    for (const [k, committed] of this.log.committed.get(groupId) ?? []) {
      const [t, partition] = k.split('\u0000');
      if (t === topic) offsets.set(Number(partition), committed);
    }
    return offsets;
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    for (const topic of topics) this.log.deleteTopic(topic);
  }

  async listTopics(): Promise<string[]> {
    return this.log.topicNames();
  }

  async close(): Promise<void> {}
}

/**
 * The application's group member. The test plays the group coordinator: `assign` hands an assignment
 * over (as a rebalance ends), `deliver` fetches a partition from the member's position.
 */
export class FakeGroupConsumer implements GroupConsumerPort {
  readonly options: GroupConsumerOptions;
  readonly paused = new Set<string>();
  rejoins = 0;
  stopped = false;
  private handlers: GroupConsumerHandlers | undefined;
  private readonly positions = new Map<string, Offset>();
  private readonly log: FakeEventLog;

  constructor(log: FakeEventLog, options: GroupConsumerOptions) {
    this.log = log;
    this.options = options;
  }

  async start(handlers: GroupConsumerHandlers): Promise<void> {
    this.handlers = handlers;
  }

  /** A rebalance starts (the client's revoke callback). */
  revoking(): void {
    this.started().onRevoking();
  }

  /** A rebalance ends with this assignment; resolves once the runtime has applied it. */
  assign(assignment: GroupAssignment): Promise<void> {
    return this.started().onAssigned(assignment);
  }

  /** Fetches a partition from the member's position to the log's end and hands the batch over. */
  deliver(partition: TopicPartition): RecordBatch {
    const log = this.log.log(partition);
    const from = Number(this.positions.get(key(partition)) ?? 0n);
    const visible = log.slice(from).filter((s) => !s.transaction || s.transaction.state === 'committed');
    const batch: RecordBatch = {
      ...partition,
      records: visible.map((s) => s.record),
      nextOffset: toOffset(log.length),
      highWatermark: toOffset(log.length),
    };
    this.positions.set(key(partition), batch.nextOffset);
    this.started().onBatch(batch);
    return batch;
  }

  /** The consumer fails for good. */
  crash(error: Error): void {
    this.started().onCrash(error);
  }

  position(partition: TopicPartition): Offset | undefined {
    return this.positions.get(key(partition));
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.paused.add(key(p));
    void this.log.call({
      operation: 'pause',
      offsets: partitions.map((p) => ({ ...p, offset: toOffset(-1) })),
    });
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.paused.delete(key(p));
    void this.log.call({
      operation: 'resume',
      offsets: partitions.map((p) => ({ ...p, offset: toOffset(-1) })),
    });
  }

  seek(position: TopicPartitionOffset): void {
    this.positions.set(key(position), position.offset);
    void this.log.call({ operation: 'seek', offsets: [position] });
  }

  async commit(offsets: readonly TopicPartitionOffset[], options: { metadata?: string } = {}): Promise<void> {
    await this.log.call({ operation: 'commit', offsets, metadata: options.metadata });
    this.log.commitOffsets(this.options.groupId, offsets, options.metadata ?? null);
  }

  async rejoin(): Promise<void> {
    this.rejoins++;
    await this.log.call({ operation: 'rejoin' });
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  private started(): GroupConsumerHandlers {
    if (!this.handlers) throw new Error('the group consumer was not started');
    return this.handlers;
  }
}

/**
 * Reads assigned partitions to the log's end, a batch per partition at a time, and again whenever
 * records are appended (standbys follow). Each batch is a 'fetch' call: script one to slow it down.
 */
class FakePartitionReader implements PartitionReaderPort {
  private readonly log: FakeEventLog;
  private readonly readCommitted: boolean;
  private readonly positions = new Map<string, TopicPartitionOffset>();
  private onBatch: ((batch: RecordBatch) => unknown) | undefined;
  private pumping = false;
  private again = false;

  constructor(log: FakeEventLog, readCommitted: boolean) {
    this.log = log;
    this.readCommitted = readCommitted;
  }

  async start(onBatch: (batch: RecordBatch) => void): Promise<void> {
    this.onBatch = onBatch;
  }

  async assign(position: TopicPartitionOffset): Promise<void> {
    this.positions.set(key(position), position);
    this.wake();
  }

  async unassign(partition: TopicPartition): Promise<void> {
    this.positions.delete(key(partition));
  }

  async stop(): Promise<void> {
    this.positions.clear();
    this.onBatch = undefined;
  }

  wake(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    setImmediate(() => void this.pump());
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      for (const [k, position] of [...this.positions]) {
        const log = this.log.log(position);
        const from = Number(position.offset);
        if (from >= log.length || !this.onBatch) continue;
        await this.log.call({ operation: 'fetch', offsets: [position] });
        if (this.positions.get(k) !== position) continue; // unassigned (or moved) meanwhile
        const records = log
          .slice(from)
          .filter((s) => !this.readCommitted || !s.transaction || s.transaction.state === 'committed')
          .map((s) => s.record);
        const next = { ...position, offset: toOffset(log.length) };
        this.positions.set(k, next);
        await this.onBatch({
          topic: position.topic,
          partition: position.partition,
          records,
          nextOffset: next.offset,
          highWatermark: next.offset,
        });
        this.again = true;
      }
    } while (this.again);
    this.pumping = false;
  }
}

class FakeTransactionalProducer implements TransactionalProducerPort {
  readonly transactionalId: string;
  fenced = false;
  closed = false;
  private readonly log: FakeEventLog;
  private open: { state: 'open' | 'committed' | 'aborted' } | undefined;
  private offsets: { groupId: string; offsets: readonly TopicPartitionOffset[] }[] = [];

  constructor(log: FakeEventLog, transactionalId: string) {
    this.log = log;
    this.transactionalId = transactionalId;
  }

  /** A newer producer with the same id took over: the open transaction is aborted, every call fails. */
  fence(): void {
    this.fenced = true;
    if (this.open) this.open.state = 'aborted';
    this.open = undefined;
  }

  async begin(): Promise<void> {
    await this.call('begin');
    if (this.open) throw new Error(`transaction of "${this.transactionalId}" begun twice`);
    this.open = { state: 'open' };
    this.offsets = [];
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    await this.call('transactional-send', { topics: topicsOf(records) });
    return this.log.write(records, this.inTransaction());
  }

  async sendOffsets(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    generation?: GroupGeneration,
  ): Promise<void> {
    await this.call('send-offsets', { offsets });
    this.inTransaction();
    if (generation && generation.generationId < this.log.groupGenerationId)
      throw new GroupFencedError(groupId, generation);
    this.offsets.push({ groupId, offsets });
  }

  async commit(): Promise<void> {
    await this.call('commit-transaction');
    const transaction = this.inTransaction();
    transaction.state = 'committed';
    for (const { groupId, offsets } of this.offsets) this.log.commitOffsets(groupId, offsets, null);
    this.open = undefined;
  }

  async abort(): Promise<void> {
    await this.call('abort');
    if (this.open) this.open.state = 'aborted';
    this.open = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async call(operation: FakeOperation, entry: Omit<JournalEntry, 'operation'> = {}): Promise<void> {
    await this.log.call({ operation, transactionalId: this.transactionalId, ...entry });
    if (this.fenced) throw new ProducerFencedError(this.transactionalId);
  }

  private inTransaction(): { state: 'open' | 'committed' | 'aborted' } {
    if (!this.open) throw new Error(`no transaction of "${this.transactionalId}" is open`);
    return this.open;
  }
}

function topicsOf(records: readonly OutgoingRecord[]): string[] {
  return [...new Set(records.map((r) => r.topic))];
}

function key(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}
