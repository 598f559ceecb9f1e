import { randomUUID } from 'node:crypto';
import { TopologyError } from '../../errors.ts';
import type { GroupAssignor, GroupMember, MemberAssignment, TopicPartition } from '../../kafka/port.ts';
import { Topology } from '../../topology/topology.ts';
import { assignTasks, compareTaskIds, parseTaskId, type MemberSubscription } from './assignor.ts';

const PROTOCOL_VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the leader tells each member: its tasks, and who runs what (for routing queries). */
export interface AssignmentInfo {
  readonly active: readonly string[];
  readonly standby: readonly string[];
  /** Names this rebalance: a worker letting go of a task marks its final commit with it. */
  readonly rebalance: string;
  /**
   * Active tasks that another member of the group ran until now: wait until it has let go of them
   * (final commit, changelog flushed) before restoring and starting them.
   */
  readonly handoffs: readonly string[];
  /** Tasks this member ran until now that another member takes over: let go of them (see handoffs). */
  readonly releases: readonly string[];
  /** Every member's endpoint with the tasks it runs, so any worker can route a query to the owner. */
  readonly endpoints: Readonly<Record<string, { active: readonly string[]; standby: readonly string[] }>>;
}

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ v: PROTOCOL_VERSION, ...(value as object) }));
}

export function decodeSubscription(memberId: string, bytes: Uint8Array): MemberSubscription {
  const parsed = parse(bytes);
  return {
    memberId,
    processId: typeof parsed.processId === 'string' ? parsed.processId : memberId,
    endpoint: typeof parsed.endpoint === 'string' ? parsed.endpoint : undefined,
    previousActive: stringList(parsed.previousActive),
    previousStandby: stringList(parsed.previousStandby),
    tasksWithState: stringList(parsed.tasksWithState),
  };
}

export function decodeAssignmentInfo(bytes: Uint8Array): AssignmentInfo {
  const parsed = parse(bytes);
  return {
    active: stringList(parsed.active),
    standby: stringList(parsed.standby),
    rebalance: typeof parsed.rebalance === 'string' ? parsed.rebalance : '',
    handoffs: stringList(parsed.handoffs),
    releases: stringList(parsed.releases),
    endpoints: (parsed.endpoints as AssignmentInfo['endpoints'] | undefined) ?? {},
  };
}

/**
 * The group protocol of one application: members subscribe to every source topic of the topology;
 * the leader assigns whole tasks, so all partitions a task reads (co-partitioned join inputs) go to
 * the same member, sticky across rebalances (see assignor.ts).
 */
export class TaskAssignor implements GroupAssignor {
  readonly name = 'tributary-tasks';
  readonly version = PROTOCOL_VERSION;
  private readonly topology: Topology;
  private readonly applicationId: string;
  private readonly numStandbyReplicas: number;
  private readonly subscription: () => Omit<MemberSubscription, 'memberId'>;

  constructor(options: {
    topology: Topology;
    applicationId: string;
    numStandbyReplicas: number;
    subscription: () => Omit<MemberSubscription, 'memberId'>;
  }) {
    this.topology = options.topology;
    this.applicationId = options.applicationId;
    this.numStandbyReplicas = options.numStandbyReplicas;
    this.subscription = options.subscription;
  }

  subscriptionUserData(): Uint8Array {
    return encodeJson(this.subscription());
  }

  assign(
    members: readonly GroupMember[],
    partitionCounts: ReadonlyMap<string, number>,
  ): Map<string, MemberAssignment> {
    const subscriptions = members.map((m) => decodeSubscription(m.memberId, m.userData));
    const tasks = this.tasks(partitionCounts);
    const assigned = assignTasks({
      members: subscriptions,
      tasks: [...tasks.keys()],
      numStandbyReplicas: this.numStandbyReplicas,
      standbyCandidates: new Set([...tasks.keys()].filter((task) => this.hasChangelog(task))),
    });
    const endpoints: Record<string, { active: string[]; standby: string[] }> = {};
    for (const member of subscriptions) {
      if (!member.endpoint) continue;
      const own = assigned.get(member.memberId)!;
      const entry = (endpoints[member.endpoint] ??= { active: [], standby: [] });
      entry.active.push(...own.active);
      entry.standby.push(...own.standby);
    }
    const rebalance = randomUUID();
    const result = new Map<string, MemberAssignment>();
    for (const member of subscriptions) {
      const own = assigned.get(member.memberId)!;
      const handoffs = own.active.filter((task) =>
        subscriptions.some((other) => other !== member && other.previousActive.includes(task)),
      );
      const releases = member.previousActive.filter((task) => tasks.has(task) && !own.active.includes(task));
      result.set(member.memberId, {
        partitions: own.active.sort(compareTaskIds).flatMap((task) => tasks.get(task)!),
        userData: encodeJson({
          active: own.active,
          standby: own.standby.sort(compareTaskIds),
          rebalance,
          handoffs: handoffs.sort(compareTaskIds),
          releases: releases.sort(compareTaskIds),
          endpoints,
        }),
      });
    }
    return result;
  }

  /** Whether a task has a store restored from a changelog of its own (what a standby follows). */
  private hasChangelog(task: string): boolean {
    const sub = this.topology.subtopologies[parseTaskId(task).subtopology];
    return sub?.stores.some((store) => store.logging.enabled && !store.logging.sourceTopic) ?? false;
  }

  /** Every task with the partitions it reads, from the live partition counts. */
  tasks(partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
    const tasks = new Map<string, TopicPartition[]>();
    for (const sub of this.topology.subtopologies) {
      const topics = sub.sourceTopics.map((ref) => Topology.topicName(ref, this.applicationId));
      const sized: { topic: string; count: number }[] = [];
      const unknown: string[] = [];
      for (const topic of topics) {
        const count = partitionCounts.get(topic);
        if (count === undefined) unknown.push(topic);
        else sized.push({ topic, count });
      }
      if (unknown.length > 0) {
        throw new TopologyError(
          `cannot assign sub-topology ${sub.id}: no partition count for ${unknown.join(', ')}`,
        );
      }
      const taskCount = Math.max(...sized.map((s) => s.count));
      for (let partition = 0; partition < taskCount; partition++) {
        tasks.set(
          `${sub.id}_${partition}`,
          sized.filter((s) => partition < s.count).map(({ topic }) => ({ topic, partition })),
        );
      }
    }
    return tasks;
  }
}

export { parseTaskId };

function parse(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.byteLength === 0) return {};
  try {
    const parsed: unknown = JSON.parse(decoder.decode(bytes));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    // A member of another version or protocol: treat it as knowing nothing.
    return {};
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
