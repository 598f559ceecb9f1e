import { TopologyError } from '../../errors.ts';
import type { TopicPartition } from '../../kafka/port.ts';
import { Topology } from '../../topology/topology.ts';
import { parseTaskId } from '../assignment/group-protocol.ts';

/**
 * The topics of one application as its worker sees them: which topics its tasks read, which ones its
 * stores are restored from, and — once the partition counts are known — which partitions make up a task.
 */
export class ApplicationTopics {
  readonly topology: Topology;
  readonly applicationId: string;
  private readonly counts: ReadonlyMap<string, number>;

  constructor(topology: Topology, applicationId: string, counts: ReadonlyMap<string, number>) {
    this.topology = topology;
    this.applicationId = applicationId;
    this.counts = counts;
  }

  /** Every topic the application's tasks read, internal ones by their full names. */
  sourceTopics(): string[] {
    return [...new Set(this.topology.subtopologies.flatMap((s) => s.sourceTopics.map((t) => this.name(t))))];
  }

  /** Every topic a store may be restored from: changelogs, tables' source topics, global topics. */
  restoreTopics(): string[] {
    const topics = new Set<string>();
    for (const name of this.topology.stores.keys()) {
      const topic = this.topology.changelogTopic(name, this.applicationId);
      if (topic) topics.add(topic);
    }
    for (const global of this.topology.globalStores.values()) topics.add(this.name(global.source.topics[0]!));
    return [...topics];
  }

  /** How many tasks (partitions) a sub-topology has: its widest source topic. */
  taskCount(subtopology: number): number | undefined {
    const sub = this.topology.subtopologies[subtopology];
    if (!sub) return undefined;
    const counts: number[] = [];
    for (const topic of sub.sourceTopics) {
      const count = this.counts.get(this.name(topic));
      if (count === undefined) return undefined;
      counts.push(count);
    }
    return Math.max(...counts);
  }

  partitionCount(topic: string): number {
    const count = this.counts.get(topic);
    if (count === undefined)
      throw new TopologyError(
        `topic "${topic}" is not known to application "${this.applicationId}"; does it exist?`,
      );
    return count;
  }

  /** The input partitions of a task, from the topology and the partition counts. */
  inputsOf(taskId: string): TopicPartition[] {
    const { subtopology, partition } = parseTaskId(taskId);
    return (this.topology.subtopologies[subtopology]?.sourceTopics ?? [])
      .map((ref) => this.name(ref))
      .filter((topic) => partition < (this.counts.get(topic) ?? 0))
      .map((topic) => ({ topic, partition }));
  }

  /** Which of the assigned partitions each of the given tasks reads. */
  partitionsByTask(
    partitions: readonly TopicPartition[],
    tasks: readonly string[],
  ): Map<string, TopicPartition[]> {
    const byTask = new Map<string, TopicPartition[]>(tasks.map((t) => [t, []]));
    for (const sub of this.topology.subtopologies) {
      const topics = new Set(sub.sourceTopics.map((t) => this.name(t)));
      for (const partition of partitions) {
        if (!topics.has(partition.topic)) continue;
        byTask.get(`${sub.id}_${partition.partition}`)?.push(partition);
      }
    }
    return byTask;
  }

  private name(ref: Parameters<typeof Topology.topicName>[0]): string {
    return Topology.topicName(ref, this.applicationId);
  }
}
