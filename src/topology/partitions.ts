import { TopologyError } from '../errors.ts';
import { Topology } from './topology.ts';

/** Partition counts of every topic a topology reads or writes internally, by broker topic name. */
export interface PartitionLayout {
  /** Partitions of each topic: sources, repartition topics and changelogs. */
  readonly topics: ReadonlyMap<string, number>;
  /** Number of tasks (partitions) of each sub-topology, by sub-topology id. */
  readonly tasksPerSubtopology: ReadonlyMap<number, number>;
}

/**
 * Works out partition counts the way Kafka Streams does: a repartition topic gets the largest count of
 * the topics feeding its writer (unless the user fixed one), changelogs get one partition per task,
 * and topics that must be co-partitioned (join inputs) must agree — repartition topics in such a group
 * are sized to match the group. `externalPartitions` gives the counts of user topics (from the broker,
 * or the test driver's settings); it returns undefined for a topic that does not exist.
 */
export function resolvePartitions(
  topology: Topology,
  applicationId: string,
  externalPartitions: (topic: string) => number | undefined,
): PartitionLayout {
  const counts = new Map<string, number>();
  const name = (ref: { name: string; internal: boolean }) => Topology.topicName(ref, applicationId);
  /** The partition counts of these topics, when all are known by now. */
  const knownCounts = (refs: readonly { name: string; internal: boolean }[]): number[] | undefined => {
    const known = refs.flatMap((ref) => counts.get(name(ref)) ?? []);
    return known.length === refs.length ? known : undefined;
  };
  const internalNames = new Set(
    [...topology.internalTopics.values()]
      .filter((t) => t.kind === 'repartition')
      .map((t) => `${applicationId}-${t.name}`),
  );

  for (const sub of topology.subtopologies) {
    for (const ref of sub.sourceTopics) {
      if (ref.internal) continue;
      const topic = name(ref);
      const count = externalPartitions(topic);
      if (count === undefined)
        throw new TopologyError(
          `source topic "${topic}" does not exist; create it before starting the application`,
        );
      counts.set(topic, count);
    }
  }
  for (const def of topology.internalTopics.values()) {
    if (def.kind === 'repartition' && def.partitions !== undefined)
      counts.set(`${applicationId}-${def.name}`, def.partitions);
  }

  // Co-partition groups first: a repartition topic without a fixed count takes its group's count.
  for (const group of topology.copartitionGroups) {
    const topics = group.map((t) =>
      internalNames.has(`${applicationId}-${t}`) ? `${applicationId}-${t}` : t,
    );
    const known = topics.flatMap((topic) => {
      const count = counts.get(topic);
      return count === undefined ? [] : [{ topic, count }];
    });
    const distinct = new Set(known.map((k) => k.count));
    if (distinct.size > 1) {
      const listing = known.map((k) => `"${k.topic}" (${k.count} partitions)`).join(', ');
      throw new TopologyError(
        `topics joined with each other must have the same number of partitions, but ${listing} differ`,
      );
    }
    for (const count of distinct) for (const t of topics) if (!counts.has(t)) counts.set(t, count);
  }

  // Remaining repartition topics: the largest count among the sources of the sub-topology writing them.
  let progress = true;
  while (progress) {
    progress = false;
    for (const sub of topology.subtopologies) {
      const sourceCounts = knownCounts(sub.sourceTopics);
      if (!sourceCounts) continue;
      const tasks = Math.max(...sourceCounts);
      for (const sink of sub.sinks) {
        if (typeof sink.topic === 'function' || !sink.topic.internal) continue;
        const topic = name(sink.topic);
        if (!counts.has(topic)) {
          counts.set(topic, tasks);
          progress = true;
        }
      }
    }
  }

  const tasksPerSubtopology = new Map<number, number>();
  for (const sub of topology.subtopologies) {
    const sourceCounts = knownCounts(sub.sourceTopics);
    if (!sourceCounts) {
      throw new TopologyError(
        `cannot work out the partition count of sub-topology ${sub.id}: its input topics form a cycle`,
      );
    }
    const tasks = Math.max(...sourceCounts);
    tasksPerSubtopology.set(sub.id, tasks);
    for (const store of sub.stores) {
      const changelog = topology.changelogTopic(store.name, applicationId);
      if (changelog && !store.logging.sourceTopic) counts.set(changelog, tasks);
    }
  }
  return { topics: counts, tasksPerSubtopology };
}
