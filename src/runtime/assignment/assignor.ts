import { taskIdString, type TaskId } from '../../processor/api.ts';

/** What a member tells the group leader when it joins. */
export interface MemberSubscription {
  readonly memberId: string;
  /** The worker process (stable across rejoins, unlike the member id). */
  readonly processId: string;
  /** Where this member answers interactive queries, if it does. */
  readonly endpoint: string | undefined;
  readonly previousActive: readonly string[];
  readonly previousStandby: readonly string[];
  /** Tasks whose stores this member has on disk. */
  readonly tasksWithState: readonly string[];
}

export interface TaskAssignment {
  readonly active: string[];
  readonly standby: string[];
}

export interface AssignmentInput {
  readonly members: readonly MemberSubscription[];
  /** Every task of the application, as `${subtopology}_${partition}`. */
  readonly tasks: readonly string[];
  readonly numStandbyReplicas: number;
  /**
   * Tasks a standby replica can keep warm: those with stores restored from a changelog. A standby of
   * any other task would only cost its member a consumer assignment (Kafka Streams gives them none).
   */
  readonly standbyCandidates?: ReadonlySet<string>;
}

/**
 * Assigns tasks to members, balanced and sticky: a task stays with the member that ran it while that
 * member has room; otherwise it goes to a member that has its state on disk, then to the least loaded.
 * Room is counted per sub-topology, so every member gets its share of each sub-topology's tasks (a
 * member with only the stateless tasks of a read-and-repartition step would idle while another holds
 * every store). Standby replicas go to other members, preferring those that already have the state.
 * Pure and deterministic: members and tasks are considered in sorted order.
 */
export function assignTasks(input: AssignmentInput): Map<string, TaskAssignment> {
  const members = [...input.members].sort((a, b) => compare(a.memberId, b.memberId));
  const result = new Map<string, TaskAssignment>(
    members.map((m) => [m.memberId, { active: [], standby: [] }]),
  );
  if (members.length === 0) return result;
  const tasks = [...input.tasks].sort(compareTaskIds);
  const owner = new Map<string, string>();
  const load = (memberId: string) => result.get(memberId)!.active.length;
  const give = (task: string, memberId: string) => {
    result.get(memberId)!.active.push(task);
    owner.set(task, memberId);
  };

  for (const group of bySubtopology(tasks)) {
    const capacity = Math.ceil(group.length / members.length);
    const groupLoad = new Map<string, number>();
    const hasRoom = (m: MemberSubscription) => (groupLoad.get(m.memberId) ?? 0) < capacity;
    const take = (task: string, member: MemberSubscription) => {
      give(task, member.memberId);
      groupLoad.set(member.memberId, (groupLoad.get(member.memberId) ?? 0) + 1);
    };
    // 1. Stickiness: previous owners keep their tasks while they have room. When two members claim a
    //    task (a rebalance raced a crash), the first in member order wins.
    for (const task of group) {
      const previous = members.find((m) => m.previousActive.includes(task) && hasRoom(m));
      if (previous) take(task, previous);
    }
    // 2. The rest: a member with the state on disk (a former standby), else the least loaded.
    for (const task of group) {
      if (owner.has(task)) continue;
      const withRoom = members.filter(hasRoom);
      const withState = leastLoaded(
        withRoom.filter((m) => m.previousStandby.includes(task) || m.tasksWithState.includes(task)),
        load,
      );
      take(task, withState ?? leastLoaded(withRoom, load)!);
    }
  }

  // 3. Standbys on members other than the active one, on distinct worker processes where possible.
  const replicas = Math.min(input.numStandbyReplicas, members.length - 1);
  const standbyLoad = (memberId: string) => result.get(memberId)!.standby.length;
  for (const task of tasks) {
    if (input.standbyCandidates && !input.standbyCandidates.has(task)) continue;
    const activeOwner = members.find((m) => m.memberId === owner.get(task))!;
    const chosen: MemberSubscription[] = [];
    for (let r = 0; r < replicas; r++) {
      const candidates = members.filter(
        (m) => m !== activeOwner && !chosen.includes(m) && m.processId !== activeOwner.processId,
      );
      const pool =
        candidates.length > 0 ? candidates : members.filter((m) => m !== activeOwner && !chosen.includes(m));
      const preferred = pool.filter(
        (m) => m.previousStandby.includes(task) || m.tasksWithState.includes(task),
      );
      const pick = leastLoaded(preferred.length > 0 ? preferred : pool, standbyLoad);
      if (!pick) break;
      chosen.push(pick);
      result.get(pick.memberId)!.standby.push(task);
    }
  }
  return result;
}

/** Tasks grouped by sub-topology, in order. */
function bySubtopology(tasks: readonly string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const task of tasks) {
    const { subtopology } = parseTaskId(task);
    let group = groups.get(subtopology);
    if (!group) groups.set(subtopology, (group = []));
    group.push(task);
  }
  return [...groups.values()];
}

function leastLoaded(
  members: readonly MemberSubscription[],
  load: (memberId: string) => number,
): MemberSubscription | undefined {
  let best: MemberSubscription | undefined;
  for (const member of members) if (!best || load(member.memberId) < load(best.memberId)) best = member;
  return best;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function parseTaskId(id: string): TaskId {
  const [subtopology, partition] = id.split('_').map(Number);
  return { subtopology: subtopology!, partition: partition! };
}

/** Orders `2_10` after `2_9`: by sub-topology, then partition, numerically. */
export function compareTaskIds(a: string, b: string): number {
  const x = parseTaskId(a);
  const y = parseTaskId(b);
  return x.subtopology - y.subtopology || x.partition - y.partition;
}

export { taskIdString };
