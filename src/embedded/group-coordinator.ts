import { TributaryError } from '../errors.ts';
import type { GroupAssignment, GroupAssignor, MemberAssignment } from '../kafka/port.ts';
import type { EmbeddedLog } from './embedded-log.ts';
import { toError } from '../common/to-error.ts';

/** What the coordinator needs from a member of the group. */
export interface GroupMemberHandle {
  readonly memberId: string;
  readonly topics: readonly string[];
  readonly assignor: GroupAssignor;
  /** A rebalance is starting. */
  revoking(): void;
  /** The rebalance is done: this member's share. */
  assigned(assignment: GroupAssignment): void;
  /** The rebalance failed for good (the assignor threw). */
  crashed(error: Error): void;
}

/** Joins and leaves that arrive within this window are settled by one rebalance. */
const REBALANCE_DELAY_MS = 5;
/**
 * With other members in the group, partitions may move: they get this long to commit what they
 * processed (they were told the rebalance is starting) before the assignment, as members of a Kafka
 * group commit in their revocation callback before they rejoin.
 */
const HANDOVER_GRACE_MS = 250;

/**
 * The coordinator of one consumer group whose members all live in this process. A member joining or
 * leaving starts a rebalance: every member is told it is starting (so it can commit), then the
 * assignor of the longest-standing member — the leader — assigns the partitions of the subscribed
 * topics from every member's subscription, as Kafka's group leader does, and each member gets its
 * share, its user data, and everyone's assignment.
 */
export class GroupCoordinator {
  readonly groupId: string;
  private readonly log: EmbeddedLog;
  private readonly members: GroupMemberHandle[] = [];
  private generationId = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(groupId: string, log: EmbeddedLog) {
    this.groupId = groupId;
    this.log = log;
  }

  get generation(): number {
    return this.generationId;
  }

  isMember(member: GroupMemberHandle): boolean {
    return this.members.includes(member);
  }

  join(member: GroupMemberHandle): void {
    const other = this.members[0];
    if (other && other.assignor.name !== member.assignor.name)
      throw new TributaryError(
        'TRIB_GROUP',
        `member ${member.memberId} of group "${this.groupId}" uses assignor "${member.assignor.name}" but the group uses "${other.assignor.name}"`,
      );
    this.members.push(member);
    this.schedule();
  }

  leave(member: GroupMemberHandle): void {
    const at = this.members.indexOf(member);
    if (at < 0) return;
    this.members.splice(at, 1);
    if (this.members.length > 0) this.schedule();
    else if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** A member asks for a rebalance (one of its tasks was taken over): every member is assigned again. */
  rejoin(member: GroupMemberHandle): void {
    if (this.members.includes(member)) this.schedule();
  }

  private schedule(): void {
    for (const member of this.members) member.revoking();
    if (this.timer) return;
    // A member that was assigned partitions before may be handing some over.
    const handover = this.generationId > 0 && this.members.length > 1;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.rebalance();
      },
      handover ? HANDOVER_GRACE_MS : REBALANCE_DELAY_MS,
    );
  }

  private rebalance(): void {
    const members = [...this.members];
    const leader = members[0];
    if (leader === undefined || this.log.isClosed) return;
    this.generationId++;
    const subscriptions = members.map((m) => ({
      memberId: m.memberId,
      userData: m.assignor.subscriptionUserData(),
    }));
    const counts = new Map<string, number>();
    for (const topic of new Set(members.flatMap((m) => m.topics))) {
      const count = this.log.partitionCount(topic);
      if (count !== undefined) counts.set(topic, count);
    }
    let assignment: Map<string, MemberAssignment>;
    try {
      assignment = leader.assignor.assign(subscriptions, counts);
    } catch (error) {
      const failure = toError(error);
      for (const member of members) member.crashed(failure);
      return;
    }
    const empty: MemberAssignment = { partitions: [], userData: new Uint8Array() };
    const everyone = subscriptions.map(({ memberId, userData }) => ({
      memberId,
      subscription: userData,
      assignment: assignment.get(memberId) ?? empty,
    }));
    const generationId = this.generationId;
    for (const member of members) {
      const own = assignment.get(member.memberId) ?? empty;
      member.assigned({
        generationId,
        memberId: member.memberId,
        partitions: own.partitions,
        userData: own.userData,
        members: everyone,
        // A later rebalance makes a new generation: this assignment is then on its way out.
        superseded: () => this.generationId !== generationId,
      });
    }
  }
}
