/**
 * Which worker owns what: a key's partition is murmur2 of its serialized bytes modulo the store's task
 * count (as the producer's default partitioner placed the record), and the task `<subtopology>_<partition>`
 * runs where the group's last assignment put it (every member's endpoint travels with the assignment).
 */
import type { AssignmentInfo } from '../runtime/assignment/group-protocol.ts';
import { partitionForKey } from '../runtime/partitioner.ts';

export interface TaskOwners {
  /** The endpoint of the member running the task, if it serves queries. */
  readonly active: string | undefined;
  readonly standby: readonly string[];
}

const indexes = new WeakMap<AssignmentInfo, Map<string, { active?: string; standby: string[] }>>();

/** Who runs a task, by the assignment (indexed once per assignment). */
export function ownersOf(assignment: AssignmentInfo, taskId: string): TaskOwners {
  let index = indexes.get(assignment);
  if (!index) {
    index = new Map();
    for (const [endpoint, tasks] of Object.entries(assignment.endpoints)) {
      for (const task of tasks.active) ensure(index, task).active = endpoint;
      for (const task of tasks.standby) ensure(index, task).standby.push(endpoint);
    }
    indexes.set(assignment, index);
  }
  const owners = index.get(taskId);
  return { active: owners?.active, standby: owners?.standby ?? [] };
}

function ensure(index: Map<string, { active?: string; standby: string[] }>, task: string) {
  let owners = index.get(task);
  if (!owners) index.set(task, (owners = { standby: [] }));
  return owners;
}

export function keyPartition(keyBytes: Uint8Array, taskCount: number): number {
  return partitionForKey(keyBytes, taskCount);
}

export function taskId(subtopology: number, partition: number): string {
  return `${subtopology}_${partition}`;
}
