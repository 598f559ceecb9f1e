import {
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  describeGroupsV5,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  heartbeatV4,
  joinGroupV9,
  leaveGroupV5,
  offsetCommitV8,
  syncGroupV5,
  type Connection,
} from '@platformatic/kafka';
import type { GroupAssignor, MemberAssignment, TopicPartition, TopicPartitionOffset } from '../port.ts';
import { hasProtocolError, protocolErrors, type Wire } from './wire.ts';

/** Answers that end this member's generation: it must join the group again. */
export const REJOIN = [
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
];
/** Answers meaning the coordinator moved or is loading: find it again. */
const COORDINATOR_MOVED = ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'];
/** Joins tried again in place while the coordinator moves: about 10 s. */
const COORDINATOR_ATTEMPTS = 15;

export interface GroupMemberOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly assignor: GroupAssignor;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

/** One generation of the group as this member joined it. */
export interface Generation {
  readonly generationId: number;
  readonly memberId: string;
  readonly partitions: readonly TopicPartition[];
  readonly userData: Uint8Array;
  readonly members: readonly { memberId: string; subscription: Uint8Array; assignment: MemberAssignment }[];
}

/**
 * A member of a consumer group on the classic protocol, with the runtime's assignor on the leader:
 * JoinGroup, then (leader) the assignor over every member's subscription user data, SyncGroup, and
 * heartbeats. Written on the library's protocol requests rather than its Consumer, whose assigner
 * hook cannot give each member its own assignment user data and is skipped for a lone member.
 */
export class GroupMember {
  private readonly wire: Wire;
  private readonly options: GroupMemberOptions;
  private coordinatorId: number | undefined;
  generationId = -1;
  memberId = '';

  constructor(wire: Wire, options: GroupMemberOptions) {
    this.wire = wire;
    this.options = options;
  }

  /** Joins (or rejoins) the group and returns this member's part of the new generation. */
  async join(): Promise<Generation> {
    const { groupId, topics, assignor } = this.options;
    const subscription = encodeConsumerProtocolSubscription({
      version: 0,
      topics: [...topics],
      userData: Buffer.from(assignor.subscriptionUserData()),
    });
    for (let attempt = 0; ;) {
      const coordinator = await this.coordinator();
      let joined;
      try {
        joined = await joinGroupV9.api.async(
          coordinator,
          groupId,
          this.options.sessionTimeoutMs,
          this.options.rebalanceTimeoutMs,
          this.memberId,
          null,
          'consumer',
          [{ name: assignor.name, metadata: subscription }],
          null,
        );
      } catch (error) {
        // The first join is answered with the member id to join with.
        const memberId = (error as { response?: { memberId?: string } }).response?.memberId;
        if (hasProtocolError(error, 'MEMBER_ID_REQUIRED') && memberId) {
          this.memberId = memberId;
          continue;
        }
        if (hasProtocolError(error, 'UNKNOWN_MEMBER_ID')) this.memberId = '';
        if (await this.retry(error, ++attempt)) continue;
        this.forgetCoordinator(error);
        throw error;
      }
      this.memberId = joined.memberId;
      this.generationId = joined.generationId;
      const leader = joined.leader === joined.memberId;
      const subscriptions = joined.members.map((m) => ({
        memberId: m.memberId,
        subscription: decodeConsumerProtocolSubscription(m.metadata),
      }));
      const assignments = leader ? await this.assign(subscriptions) : undefined;
      let synced;
      try {
        synced = await syncGroupV5.api.async(
          coordinator,
          groupId,
          joined.generationId,
          joined.memberId,
          null,
          'consumer',
          joined.protocolName,
          assignments
            ? [...assignments].map(([memberId, a]) => ({
                memberId,
                assignment: encodeConsumerProtocolAssignment({
                  version: 0,
                  assignedPartitions: byTopic(a.partitions),
                  userData: Buffer.from(a.userData),
                }),
              }))
            : [],
        );
      } catch (error) {
        if (await this.retry(error, ++attempt)) continue;
        this.forgetCoordinator(error);
        throw error;
      }
      const own = decodeConsumerProtocolAssignment(synced.assignment);
      const partitions = own.assignedPartitions.flatMap(({ topic, partitions }) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      const members = assignments
        ? subscriptions.map((m) => ({
            memberId: m.memberId,
            subscription: new Uint8Array(m.subscription.userData ?? Buffer.alloc(0)),
            assignment: assignments.get(m.memberId) ?? { partitions: [], userData: new Uint8Array() },
          }))
        : await this.describeMembers();
      return {
        generationId: joined.generationId,
        memberId: joined.memberId,
        partitions,
        userData: new Uint8Array(own.userData ?? Buffer.alloc(0)),
        members,
      };
    }
  }

  /** One heartbeat; resolves false when the generation is over (the member must rejoin). */
  async heartbeat(): Promise<boolean> {
    try {
      await heartbeatV4.api.async(
        await this.coordinator(),
        this.options.groupId,
        this.generationId,
        this.memberId,
        null,
      );
      return true;
    } catch (error) {
      if (hasProtocolError(error, ...REJOIN)) {
        if (hasProtocolError(error, 'UNKNOWN_MEMBER_ID')) this.memberId = '';
        return false;
      }
      this.forgetCoordinator(error);
      throw error;
    }
  }

  /** Commits offsets for this member's generation; the group refuses them once the generation is over. */
  async commit(offsets: readonly TopicPartitionOffset[], metadata: string | null): Promise<void> {
    const topics = [...groupByTopic(offsets)].map(([name, list]) => ({
      name,
      partitions: list.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: -1,
        committedMetadata: metadata,
      })),
    }));
    try {
      await offsetCommitV8.api.async(
        await this.coordinator(),
        this.options.groupId,
        this.generationId,
        this.memberId,
        null,
        topics,
      );
    } catch (error) {
      this.forgetCoordinator(error);
      throw error;
    }
  }

  /** Leaves the group, so its partitions move at once instead of after the session timeout. */
  async leave(): Promise<void> {
    if (!this.memberId) return;
    const memberId = this.memberId;
    this.memberId = '';
    await leaveGroupV5.api
      .async(await this.coordinator(), this.options.groupId, [{ memberId, reason: 'the worker is stopping' }])
      .catch((error: unknown) => {
        if (!hasProtocolError(error, 'UNKNOWN_MEMBER_ID')) throw error;
      });
  }

  /** The leader's part: the runtime's assignor over every member's subscription. */
  private async assign(
    subscriptions: readonly {
      memberId: string;
      subscription: { topics: string[]; userData: Buffer | null };
    }[],
  ): Promise<Map<string, MemberAssignment>> {
    const topics = [...new Set(subscriptions.flatMap((m) => m.subscription.topics))].sort();
    const metadata = await this.wire.metadata(topics, true);
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const layout = metadata.topics.get(topic);
      if (layout) counts.set(topic, layout.partitionsCount);
    }
    return this.options.assignor.assign(
      subscriptions.map((m) => ({
        memberId: m.memberId,
        userData: new Uint8Array(m.subscription.userData ?? Buffer.alloc(0)),
      })),
      counts,
    );
  }

  /** Every member's subscription and assignment, as the coordinator describes the group. */
  private async describeMembers(): Promise<Generation['members']> {
    const described = await describeGroupsV5.api.async(
      await this.coordinator(),
      [this.options.groupId],
      false,
    );
    const group = described.groups[0];
    return (group?.members ?? []).map((m) => {
      const assignment =
        m.memberAssignment.length > 0 ? decodeConsumerProtocolAssignment(m.memberAssignment) : undefined;
      const subscription =
        m.memberMetadata.length > 0 ? decodeConsumerProtocolSubscription(m.memberMetadata) : undefined;
      return {
        memberId: m.memberId,
        subscription: new Uint8Array(subscription?.userData ?? Buffer.alloc(0)),
        assignment: {
          partitions: (assignment?.assignedPartitions ?? []).flatMap(({ topic, partitions }) =>
            partitions.map((partition) => ({ topic, partition })),
          ),
          userData: new Uint8Array(assignment?.userData ?? Buffer.alloc(0)),
        },
      };
    });
  }

  /**
   * True when a join or sync should be tried again: at once when the group moved on, after a short
   * wait while the coordinator moves or loads (a few times: then the caller backs off longer).
   */
  private async retry(error: unknown, attempt: number): Promise<boolean> {
    if (hasProtocolError(error, ...COORDINATOR_MOVED)) {
      this.coordinatorId = undefined;
      if (attempt > COORDINATOR_ATTEMPTS) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1_000)));
      return true;
    }
    return hasProtocolError(error, 'REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID');
  }

  private async coordinator(): Promise<Connection> {
    this.coordinatorId ??= await this.wire.coordinator(0, this.options.groupId);
    try {
      return await this.wire.node(this.coordinatorId);
    } catch (error) {
      this.coordinatorId = undefined;
      throw error;
    }
  }

  /**
   * After a coordinator's answer that it moved, or no answer at all (its broker down), the
   * coordinator is looked up again: in a cluster another broker takes over the group.
   */
  private forgetCoordinator(error: unknown): void {
    if (hasProtocolError(error, ...COORDINATOR_MOVED) || protocolErrors(error).length === 0)
      this.coordinatorId = undefined;
  }
}

function groupByTopic<T extends TopicPartition>(partitions: readonly T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const p of partitions) {
    let list = grouped.get(p.topic);
    if (!list) grouped.set(p.topic, (list = []));
    list.push(p);
  }
  return grouped;
}

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  return [...groupByTopic(partitions)].map(([topic, list]) => ({
    topic,
    partitions: list.map((p) => p.partition),
  }));
}
