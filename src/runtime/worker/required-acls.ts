/**
 * The Kafka ACLs an application needs and no more, from its topology: what a least-privilege principal
 * must be granted to run it. `tributary acls` prints them; docs/security.md lists them for the orders
 * system; the tests on a broker with an authorizer run every application with exactly these.
 */
import type { AclOperation, AclResourceType } from '../../kafka/security-errors.ts';
import { Topology } from '../../topology/topology.ts';
import { deadLetterTopic, usesDeadLetters, type ErrorHandling } from '../error-handling.ts';
import type { ProcessingGuarantee } from './settings.ts';

export interface RequiredAcl {
  readonly resourceType: AclResourceType;
  /** `prefixed` matches every name that starts with `name`. */
  readonly pattern: 'literal' | 'prefixed';
  readonly name: string;
  /** Kafka's operations; READ and WRITE imply DESCRIBE. */
  readonly operations: readonly AclOperation[];
  readonly why: string;
}

export interface AclOptions {
  readonly processingGuarantee: ProcessingGuarantee;
  readonly errorHandling?: ErrorHandling;
  /** Topics the application's HTTP routes write to (they are not in the topology). */
  readonly httpWrites?: readonly string[];
}

/**
 * The ACLs of one application: READ on its source and global topics, WRITE on its sink topics, all
 * of its internal topics (repartition, changelogs, the default dead-letter topic) and its consumer
 * groups under its id as a prefix, and under exactly-once its tasks' transactional ids.
 */
export function requiredAcls(topology: Topology, applicationId: string, options: AclOptions): RequiredAcl[] {
  const reads = new Set<string>();
  const sinks = new Set<string>();
  const chosenSinks: string[] = [];
  const external = (name: string) => !name.startsWith(`${applicationId}-`);
  for (const sub of topology.subtopologies)
    for (const ref of sub.sourceTopics) if (!ref.internal) reads.add(ref.name);
  for (const global of topology.globalStores.values())
    for (const ref of global.source.topics) reads.add(Topology.topicName(ref, applicationId));
  for (const node of topology.nodes.values()) {
    if (node.kind !== 'sink') continue;
    if (typeof node.topic === 'function') chosenSinks.push(node.name);
    else if (!node.topic.internal) sinks.add(node.topic.name);
  }
  const writes = new Set([...sinks, ...(options.httpWrites ?? [])]);
  const handling = options.errorHandling;
  const dlq = handling && usesDeadLetters(handling) ? deadLetterTopic(handling, applicationId) : undefined;

  const acls: RequiredAcl[] = [];
  for (const topic of [...reads].sort())
    acls.push(
      writes.has(topic)
        ? literalTopic(
            topic,
            ['READ', 'WRITE'],
            sinks.has(topic) ? 'source and sink topic' : 'source topic, written by its HTTP routes',
          )
        : literalTopic(topic, ['READ'], 'source topic'),
    );
  for (const topic of [...writes].filter((t) => !reads.has(t)).sort())
    acls.push(literalTopic(topic, ['WRITE'], sinks.has(topic) ? 'sink topic' : 'written by its HTTP routes'));
  if (dlq && external(dlq))
    acls.push(literalTopic(dlq, ['CREATE', 'WRITE'], 'dead-letter topic (created by the first worker)'));
  for (const node of chosenSinks)
    acls.push({
      resourceType: 'topic',
      pattern: 'literal',
      name: '<each topic it chooses>',
      operations: ['WRITE'],
      why: `sink ${node} chooses its topic per record`,
    });
  acls.push({
    resourceType: 'topic',
    pattern: 'prefixed',
    name: `${applicationId}-`,
    operations: ['CREATE', 'READ', 'WRITE'],
    why: 'internal topics: repartition topics, changelogs, the default dead-letter topic',
  });
  acls.push({
    resourceType: 'group',
    pattern: 'prefixed',
    name: applicationId,
    operations: ['READ'],
    why: "the application's consumer group, and its restore readers' groups",
  });
  if (options.processingGuarantee === 'exactly-once')
    acls.push({
      resourceType: 'transactional-id',
      pattern: 'prefixed',
      name: `${applicationId}-`,
      operations: ['WRITE'],
      why: 'exactly-once: one transactional producer per stream thread',
    });
  return acls;
}

function literalTopic(name: string, operations: AclOperation[], why: string): RequiredAcl {
  return { resourceType: 'topic', pattern: 'literal', name, operations, why };
}
