import type { Logger } from '../../common/logger.ts';
import type { GlobalStoreDef, NodeDef, SinkNodeDef, SourceNodeDef } from '../../topology/physical.ts';
import { PhysicalTopologyBuilder } from '../../topology/physical.ts';
import { Topology } from '../../topology/topology.ts';
import { avroTypeOf } from '../../serde/avro.ts';
import type { SchemaRegistryClient } from '../../serde/registry.ts';
import { registryAvroSerde, serdeIdentity, subjectName } from '../../serde/registry-serde.ts';
import type { Serde } from '../../serde/serde.ts';

type AnySerde = Serde<unknown>;
type Part = 'key' | 'value';

/** One Avro serde as used at the topology's edges, with the topics it (de)serializes. */
interface Usage {
  readonly serde: AnySerde;
  readonly part: Part;
  readonly topics: Set<string>;
  /** A sink picks its topic per record: the topics are not known before records flow. */
  dynamic: boolean;
}

/**
 * Puts a topology's Avro topics on the schema registry: every topic it reads or writes with an Avro
 * serde (its own repartition topics included) gets the serde's schema registered under
 * `<topic>-key` / `<topic>-value`, and the source and sink nodes get serdes in the registry's wire
 * format. Stores keep their plain Avro serdes (no framing in stores or changelogs). Fails, naming the
 * subject and the registry's reason, when a schema is refused.
 */
export async function withSchemaRegistry(
  topology: Topology,
  applicationId: string,
  registry: SchemaRegistryClient,
  logger: Logger,
): Promise<Topology> {
  const usages = new Map<string, Usage>();
  const use = (serde: AnySerde, part: Part, topic: string | undefined) => {
    if (!avroTypeOf(serde)) return;
    const key = `${part}:${serdeIdentity(serde)}`;
    let usage = usages.get(key);
    if (!usage) usages.set(key, (usage = { serde, part, topics: new Set(), dynamic: false }));
    if (topic === undefined) usage.dynamic = true;
    else usage.topics.add(topic);
  };
  const sources: SourceNodeDef[] = [
    ...[...topology.nodes.values()].filter((n): n is SourceNodeDef => n.kind === 'source'),
    ...[...topology.globalStores.values()].map((g) => g.source),
  ];
  for (const source of sources) {
    for (const ref of source.topics) {
      use(source.keySerde, 'key', Topology.topicName(ref, applicationId));
      use(source.valueSerde, 'value', Topology.topicName(ref, applicationId));
    }
  }
  for (const node of topology.nodes.values()) {
    if (node.kind !== 'sink') continue;
    const topic =
      typeof node.topic === 'function' ? undefined : Topology.topicName(node.topic, applicationId);
    use(node.keySerde, 'key', topic);
    use(node.valueSerde, 'value', topic);
  }
  if (usages.size === 0) return topology;

  const wrapped = new Map<string, AnySerde>();
  const registered: string[] = [];
  for (const [key, usage] of usages) {
    const type = avroTypeOf(usage.serde)!;
    const ids = new Map<string, number>();
    for (const topic of [...usage.topics].sort()) {
      const subject = subjectName(topic, usage.part);
      const id = await registry.register(subject, type);
      registry.remember(id, type);
      ids.set(subject, id);
      registered.push(`${subject}=${id}`);
    }
    let fallbackId: number | undefined;
    if (usage.dynamic) {
      // Records to topics chosen per record carry an id registered under the record's full name
      // (Confluent's RecordNameStrategy): any reader can fetch the schema by id.
      const subject = type.name ?? `${applicationId}-${usage.part}`;
      fallbackId = await registry.register(subject, type);
      registry.remember(fallbackId, type);
      registered.push(`${subject}=${fallbackId}`);
    }
    wrapped.set(key, registryAvroSerde({ plain: usage.serde, type, registry, ids, fallbackId }));
  }
  logger.info({ registry: registry.url, subjects: registered }, 'schemas registered');

  const swap = (serde: AnySerde, part: Part): AnySerde =>
    avroTypeOf(serde) ? wrapped.get(`${part}:${serdeIdentity(serde)}`)! : serde;
  const swapSource = (source: SourceNodeDef): SourceNodeDef => ({
    ...source,
    keySerde: swap(source.keySerde, 'key'),
    valueSerde: swap(source.valueSerde, 'value'),
  });
  const builder = new PhysicalTopologyBuilder();
  for (const [name, node] of topology.nodes) builder.nodes.set(name, swapNode(node));
  function swapNode(node: NodeDef): NodeDef {
    if (node.kind === 'source') return swapSource(node);
    if (node.kind === 'sink')
      return {
        ...node,
        keySerde: swap(node.keySerde, 'key'),
        valueSerde: swap(node.valueSerde, 'value'),
      } satisfies SinkNodeDef;
    return node;
  }
  for (const [name, spec] of topology.stores) builder.stores.set(name, spec);
  for (const [name, global] of topology.globalStores)
    builder.globalStores.set(name, { ...global, source: swapSource(global.source) } satisfies GlobalStoreDef);
  for (const [name, def] of topology.internalTopics) builder.internalTopics.set(name, def);
  for (const group of topology.copartitionGroups) builder.copartitionGroups.push([...group]);
  return new Topology(builder, topology.ir);
}
