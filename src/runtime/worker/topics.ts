import { TopologyError } from '../../errors.ts';
import type { AdminPort, NewTopic } from '../../kafka/port.ts';
import { resolvePartitions } from '../../topology/partitions.ts';
import { Topology } from '../../topology/topology.ts';
import type { Logger } from '../../common/logger.ts';

export interface TopicSetup {
  readonly admin: AdminPort;
  readonly topology: Topology;
  readonly applicationId: string;
  readonly deadLetterTopic: string | undefined;
  readonly logger: Logger;
}

/**
 * Checks the user's topics and creates the internal ones before any member joins the group: source and
 * sink topics must exist (and join inputs must be co-partitioned); repartition topics and compacted
 * changelogs are created with the partition counts the topology needs. Returns the partition count of
 * every topic the application touches.
 */
export async function setUpTopics(setup: TopicSetup): Promise<Map<string, number>> {
  const { admin, topology, applicationId, logger } = setup;
  const external = new Set<string>();
  for (const sub of topology.subtopologies)
    for (const ref of sub.sourceTopics) if (!ref.internal) external.add(ref.name);
  for (const global of topology.globalStores.values())
    for (const ref of global.source.topics) external.add(Topology.topicName(ref, applicationId));
  const sinks = new Set<string>();
  for (const node of topology.nodes.values()) {
    if (node.kind === 'sink' && typeof node.topic !== 'function' && !node.topic.internal)
      sinks.add(node.topic.name);
  }

  const counts = await admin.partitionCounts([...external, ...sinks]);
  const missing = [...external, ...sinks].filter((t) => !counts.has(t));
  if (missing.length > 0) {
    throw new TopologyError(
      `application "${applicationId}" needs topics that do not exist: ${missing.sort().join(', ')}; create them first`,
    );
  }
  const layout = resolvePartitions(topology, applicationId, (topic) => counts.get(topic));

  const internal = new Map<string, { partitions: number; config: Record<string, string> }>();
  for (const def of topology.internalTopics.values()) {
    const topic = `${applicationId}-${def.name}`;
    const partitions = layout.topics.get(topic);
    if (partitions !== undefined) internal.set(topic, { partitions, config: { ...def.config } });
  }
  if (setup.deadLetterTopic && !counts.has(setup.deadLetterTopic))
    internal.set(setup.deadLetterTopic, { partitions: 1, config: {} });

  const existing = await admin.partitionCounts([...internal.keys()]);
  for (const [topic, wanted] of internal) {
    const actual = existing.get(topic);
    if (actual !== undefined && actual !== wanted.partitions && topic !== setup.deadLetterTopic) {
      throw new TopologyError(
        `internal topic "${topic}" has ${actual} partitions but the topology needs ${wanted.partitions}; was the topology or a source topic changed? Reset the application to recreate it`,
      );
    }
  }
  const toCreate: NewTopic[] = [...internal]
    .filter(([topic]) => !existing.has(topic))
    .map(([topic, { partitions, config }]) => ({ topic, partitions, config }));
  if (toCreate.length > 0) {
    await admin.createTopics(toCreate);
    logger.info({ topics: toCreate.map((t) => t.topic) }, 'created internal topics');
  }

  const all = new Map<string, number>([...counts, ...layout.topics]);
  for (const [topic, { partitions }] of internal) all.set(topic, existing.get(topic) ?? partitions);
  return all;
}
