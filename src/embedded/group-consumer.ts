import { randomUUID } from 'node:crypto';
import {
  RebalanceInProgressError,
  type GroupAssignment,
  type GroupAssignor,
  type GroupConsumerHandlers,
  type GroupConsumerOptions,
  type GroupConsumerPort,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../kafka/port.ts';
import type { EmbeddedLog } from './embedded-log.ts';
import { Fetcher } from './fetcher.ts';
import type { GroupCoordinator, GroupMemberHandle } from './group-coordinator.ts';
import { toError } from '../common/to-error.ts';

/**
 * A consumer-group member on the embedded log. Like the kafkajs adapter it pauses every partition of
 * a new assignment until the runtime has reconciled its tasks and resumes them; a partition starts at
 * the group's committed offset, or at the beginning when there is none (Kafka Streams' earliest).
 */
export class EmbeddedGroupConsumer implements GroupConsumerPort, GroupMemberHandle {
  readonly memberId: string;
  readonly topics: readonly string[];
  readonly assignor: GroupAssignor;
  private readonly log: EmbeddedLog;
  private readonly options: GroupConsumerOptions;
  private readonly group: GroupCoordinator;
  private handlers: GroupConsumerHandlers | undefined;
  private fetcher: Fetcher | undefined;

  constructor(log: EmbeddedLog, options: GroupConsumerOptions) {
    this.log = log;
    this.options = options;
    this.memberId = `${options.clientId ?? 'tributary'}-${randomUUID()}`;
    this.topics = [...options.topics];
    this.assignor = options.assignor;
    this.group = log.group(options.groupId);
  }

  async start(handlers: GroupConsumerHandlers): Promise<void> {
    this.log.checkWritable();
    this.handlers = handlers;
    const { groupId, readCommitted } = this.options;
    this.fetcher = new Fetcher({
      readCommitted,
      deliver: (batch) => handlers.onBatch(batch),
      initialPosition: (p) => this.log.coordinator.committedOffset(groupId, p.topic, p.partition) ?? 0,
      onError: (error) => handlers.onCrash(error),
    });
    this.fetcher.start();
    this.group.join(this);
  }

  revoking(): void {
    this.handlers?.onRevoking();
  }

  assigned(assignment: GroupAssignment): void {
    const fetcher = this.fetcher;
    if (!fetcher || !this.handlers) return;
    fetcher.clear();
    // Paused until the runtime resumes them, so no record arrives before its task exists.
    for (const p of assignment.partitions)
      fetcher.set(p, this.log.partition(p.topic, p.partition), undefined, true);
    this.handlers.onAssigned(assignment).catch((error: unknown) => this.crashed(toError(error)));
  }

  crashed(error: Error): void {
    this.handlers?.onCrash(error);
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.fetcher?.pause(p);
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.fetcher?.resume(p);
  }

  seek(position: TopicPartitionOffset): void {
    this.fetcher?.seek(position, Number(position.offset));
  }

  async commit(offsets: readonly TopicPartitionOffset[], options: { metadata?: string } = {}): Promise<void> {
    if (offsets.length === 0) return;
    // A member that left (or never joined) has no say over the group's positions any more.
    if (!this.group.isMember(this)) throw new RebalanceInProgressError();
    this.log.checkWritable();
    this.log.coordinator.commitOffsets(
      this.options.groupId,
      offsets.map((o) =>
        options.metadata === undefined
          ? ([o.topic, o.partition, Number(o.offset)] as const)
          : ([o.topic, o.partition, Number(o.offset), options.metadata] as const),
      ),
    );
    this.log.coordinator.maybeCompact();
  }

  async rejoin(): Promise<void> {
    this.group.rejoin(this);
  }

  async stop(): Promise<void> {
    const fetcher = this.fetcher;
    this.fetcher = undefined;
    this.group.leave(this);
    this.handlers = undefined;
    await fetcher?.stop();
  }
}
