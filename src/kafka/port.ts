/**
 * The narrow port between the worker runtime and an event log: what the runtime needs from Kafka,
 * without any client library's types. `kafkajs/` implements it on a real cluster; the embedded log
 * implements it in process for `npm start` without a broker.
 *
 * Failures are TributaryErrors whose `kind` tells the runtime what to do (see ErrorKind): a
 * `retriable` one is tried again after a backoff (retry.ts), `task-migrated` closes the task and
 * rejoins the group, `abortable` (transactions only) aborts the task's transaction and starts the
 * task again from its last commit, and `fatal` stops the application. Implementations classify
 * their client's errors; the runtime decides what to retry and for how long.
 */
import { TributaryError, errorKind } from '../errors.ts';
import type { LogRecord, OutgoingRecord } from '../common/records.ts';
import type { Offset } from '../common/offset.ts';

/** The event log's records; their shapes live with the other record shapes, below every layer. */
export type { LogRecord, OutgoingRecord };

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read (Kafka's committed-offset convention). */
  readonly offset: Offset;
}

/** Records of one partition as one fetch returned them. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly LogRecord[];
  /**
   * The offset after everything this fetch covered, including records the client filtered out
   * (transaction markers, aborted records), which never appear in `records`.
   */
  readonly nextOffset: Offset;
  /** The offset after the last record the log holds (readable by this consumer's isolation level). */
  readonly highWatermark: Offset;
}

/** A consumer group's committed position in a partition, with the metadata string stored beside it. */
export interface CommittedOffset {
  readonly offset: Offset;
  readonly metadata: string | null;
}

/** A partition's readable range. */
export interface OffsetRange {
  readonly low: Offset;
  readonly high: Offset;
}

export interface NewTopic {
  readonly topic: string;
  readonly partitions: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface AdminPort {
  /** Creates the topics that do not exist yet and waits until each partition has a leader. */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /** Partition counts of existing topics; topics that do not exist are absent from the map. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  offsets(topic: string): Promise<Map<number, OffsetRange>>;
  /**
   * Per partition, the offset of the first record whose timestamp is at or after `timestamp`, or the
   * partition's end when there is none: Kafka's ListOffsets by time (`offsetsForTimes`).
   */
  offsetsForTime(topic: string, timestamp: number): Promise<Map<number, Offset>>;
  /** The committed offsets of a consumer group for a topic (absent partitions have none). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, CommittedOffset>>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  close(): Promise<void>;
}

/** A member of the group as the leader sees it while assigning. */
export interface GroupMember {
  readonly memberId: string;
  /** What the member put in its subscription (host, tasks it has state for, ...). */
  readonly userData: Uint8Array;
}

export interface MemberAssignment {
  readonly partitions: readonly TopicPartition[];
  readonly userData: Uint8Array;
}

/**
 * Decides the assignment on the group leader. Runs inside the client's rebalance, so it is
 * synchronous and must be deterministic for the same input.
 */
export interface GroupAssignor {
  readonly name: string;
  readonly version: number;
  /** This member's subscription user data. */
  subscriptionUserData(): Uint8Array;
  assign(
    members: readonly GroupMember[],
    partitionCounts: ReadonlyMap<string, number>,
  ): Map<string, MemberAssignment>;
}

/** The outcome of a rebalance for this member. */
export interface GroupAssignment {
  readonly generationId: number;
  readonly memberId: string;
  readonly partitions: readonly TopicPartition[];
  /** The user data the leader's assignor gave this member. */
  readonly userData: Uint8Array;
  /** Every member's assignment and subscription, for routing queries to the owner of a key. */
  readonly members: readonly { memberId: string; subscription: Uint8Array; assignment: MemberAssignment }[];
  /**
   * True once this member knows a newer assignment is on its way: it has joined the group again, or
   * learned that the group is rebalancing. A superseded assignment may give this member tasks the
   * group has given to others meanwhile: nothing more is started for it.
   */
  superseded(): boolean;
}

export interface GroupConsumerHandlers {
  /**
   * A rebalance is starting: commit what can be committed. Best effort: the client does not wait, and
   * the group may already refuse the offsets; the runtime commits again when the assignment arrives
   * (and a stopping member waits for it before leaving).
   */
  onRevoking(): void;
  /** A rebalance completed; the runtime reconciles its tasks before records of new partitions arrive. */
  onAssigned(assignment: GroupAssignment): Promise<void>;
  /** Records fetched for an assigned partition. */
  onBatch(batch: RecordBatch): void;
  /**
   * The consumer failed for good: a fatal error, or retriable ones for longer than
   * `retryTimeoutMs`. Passing failures (a broker restarting) the consumer rides out by itself,
   * reconnecting and rejoining the group, which then assigns again (`onAssigned`).
   */
  onCrash(error: Error): void;
}

export interface GroupConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly assignor: GroupAssignor;
  /** read_committed (exactly-once) or read_uncommitted. */
  readonly readCommitted: boolean;
  readonly sessionTimeoutMs?: number;
  readonly clientId?: string;
  /** How long the consumer keeps failing with retriable errors before `onCrash` (default 5 min). */
  readonly retryTimeoutMs?: number;
  /**
   * The most record bytes one fetch asks for per partition (Kafka's `max.partition.fetch.bytes`;
   * default DEFAULT_MAX_PARTITION_FETCH_BYTES). A fetch is decoded whole, into objects many times the
   * size of small records, so this bounds the memory a fetch takes beyond the runtime's own buffers.
   */
  readonly maxPartitionFetchBytes?: number;
}

/** What a group consumer fetches per partition at most by default: see GroupConsumerOptions. */
export const DEFAULT_MAX_PARTITION_FETCH_BYTES = 256 * 1024;

/** A consumer-group member that fetches its assigned partitions and hands batches to the runtime. */
export interface GroupConsumerPort {
  start(handlers: GroupConsumerHandlers): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Moves a partition's fetch position (the runtime's own position after a rebalance). */
  seek(position: TopicPartitionOffset): void;
  /**
   * Commits offsets for the current generation. `metadata` is stored with each offset (how a worker
   * tells the next owner of a task that it has let go of it).
   */
  commit(offsets: readonly TopicPartitionOffset[], options?: { metadata?: string }): Promise<void>;
  /**
   * Has the group rebalance, so that every member gets a fresh assignment: what a member does when
   * one of its tasks was taken over by a worker acting on another assignment (task migrated).
   * Resolves once the request is made; the new assignment arrives through `onAssigned`.
   */
  rejoin(): Promise<void>;
  /** Leaves the group. */
  stop(): Promise<void>;
}

export interface PartitionReaderOptions {
  readonly readCommitted: boolean;
  /** Every topic the reader may be asked to read (changelogs, global topics). */
  readonly topics: readonly string[];
  readonly clientId?: string;
  /** How long the reader keeps failing with retriable errors before its `onCrash` (default 5 min). */
  readonly retryTimeoutMs?: number;
  /**
   * Where a client that reads through a consumer group of its own (kafkajs) starts that group's id:
   * the application id, so the ACL on the application's group prefix covers it.
   */
  readonly groupIdPrefix?: string;
}

/**
 * Reads chosen partitions from chosen offsets with no group semantics: restores stores from
 * changelogs and keeps standby replicas up to date.
 */
export interface PartitionReaderPort {
  /**
   * Starts reading; `onBatch` gets each fetched batch. When it returns a promise, a reader may wait for
   * it before handing over more (back-pressure from a receiver that applies batches slowly).
   */
  start(onBatch: (batch: RecordBatch) => void, onCrash: (error: Error) => void): Promise<void>;
  /** Starts (or restarts) reading a partition at an offset. */
  assign(position: TopicPartitionOffset): Promise<void>;
  unassign(partition: TopicPartition): Promise<void>;
  stop(): Promise<void>;
}

/** The offset of the last record a send wrote to each partition. */
export type WrittenOffsets = Map<string, Map<number, Offset>>;

export interface ProducerPort {
  /** Sends records; resolves once all are acknowledged, with the last offset written per partition. */
  send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets>;
  close(): Promise<void>;
}

/**
 * The generation of the consumer group in which a member was given the work whose offsets it commits:
 * what KIP-447 fences transactional offset commits with (Kafka's `ConsumerGroupMetadata`).
 */
export interface GroupGeneration {
  readonly generationId: number;
  readonly memberId: string;
  /** The member's static group instance id; null for a dynamic member (Tributary's). */
  readonly groupInstanceId: string | null;
}

/**
 * One producer with one transactional id: the unit of exactly-once (one per task, or one per group
 * member where the event log has `groupFencedOffsets`). Once an operation failed with an `abortable`
 * or `task-migrated` error, the producer is done: its tasks are closed and, if they still belong
 * here, created again with a new producer.
 */
export interface TransactionalProducerPort {
  readonly transactionalId: string;
  begin(): Promise<void>;
  send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets>;
  /**
   * Adds consumed offsets to the open transaction. With `generation` (only where the event log has
   * `groupFencedOffsets`) the group refuses them once that generation is over, or when the member is
   * not in it: a `task-migrated` error (GroupFencedError). Without it the offsets are fenced by the
   * transactional id alone.
   */
  sendOffsets(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    generation?: GroupGeneration,
  ): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The producer was fenced: a newer producer claimed its transactional id (a task's producer: another
 * instance of the task, which runs elsewhere now), or the coordinator aborted its transaction when
 * it outlived the transaction timeout (a thread producer's id is its worker's own, so for it that
 * is what fencing usually means). Either way its open transaction is lost.
 */
export class ProducerFencedError extends TributaryError {
  constructor(transactionalId: string, options: { cause?: unknown } = {}) {
    super(
      'TRIB_FENCED',
      `producer "${transactionalId}" was fenced: a newer producer with the same transactional id took over, or its transaction outlived the transaction timeout and the coordinator aborted it`,
      { ...options, kind: 'task-migrated' },
    );
  }
}

/**
 * The group refused a transaction's offsets: the generation they were sent with is over, or the member
 * is no longer in the group. Another member may own the work now: every task of this member goes.
 */
export class GroupFencedError extends TributaryError {
  constructor(groupId: string, generation: GroupGeneration, options: { cause?: unknown } = {}) {
    super(
      'TRIB_GROUP_FENCED',
      `group "${groupId}" refused the offsets of generation ${generation.generationId} (member "${generation.memberId}"): the member's tasks may belong to another member now`,
      { ...options, kind: 'task-migrated' },
    );
  }
}

/** True when a producer was fenced or the group refused its offsets: its tasks may run elsewhere now. */
export function isFencedError(error: unknown): boolean {
  return errorKind(error) === 'task-migrated';
}

/** A commit refused because the group is rebalancing; the next owner starts from the last commit. */
export class RebalanceInProgressError extends TributaryError {
  constructor(options: { cause?: unknown } = {}) {
    super('TRIB_REBALANCE', 'the consumer group is rebalancing; offsets were not committed', {
      ...options,
      retriable: true,
    });
  }
}

/** An event log without `groupFencedOffsets` was asked to fence offsets by a group generation. */
export function groupFencingUnsupported(log: string): TributaryError {
  return new TributaryError(
    'TRIB_UNSUPPORTED',
    `${log} cannot fence transactional offsets by the group generation (see EventLogPort.groupFencedOffsets)`,
  );
}

export interface EventLogPort {
  /** A short description for logs: broker addresses, or the embedded log's directory. */
  readonly description: string;
  /**
   * True when a transactional producer's `sendOffsets` takes the group generation and the group fences
   * offsets with it (KIP-447, Kafka Streams' `exactly_once_v2`): then one transactional producer can
   * serve every task of a group member, as a stale member's offsets are refused whatever producer sends
   * them. False (kafkajs 2.2.4 sends TxnOffsetCommit without the generation; the embedded log): zombies
   * are fenced by transactional id only, so each task needs its own producer.
   */
  readonly groupFencedOffsets: boolean;
  admin(): AdminPort;
  groupConsumer(options: GroupConsumerOptions): GroupConsumerPort;
  partitionReader(options: PartitionReaderOptions): PartitionReaderPort;
  producer(options: { clientId?: string }): ProducerPort;
  transactionalProducer(options: {
    transactionalId: string;
    clientId?: string;
  }): Promise<TransactionalProducerPort>;
}
