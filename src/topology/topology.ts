import type { StoreSpec } from '../state/api.ts';
import { describeTopology, type DescribeOptions, type TopologyDescription } from './describe.ts';
import type {
  GlobalStoreDef,
  InternalTopicDef,
  NodeDef,
  PhysicalTopologyBuilder,
  SinkNodeDef,
  SourceNodeDef,
  TopicRef,
} from './physical.ts';
import type { IrGraph } from './ir.ts';

/** @internal A connected piece of the topology: the unit of parallelism (one task per partition). */
export interface Subtopology {
  readonly id: number;
  /** Nodes in the order they were added, sources first within each branch. */
  readonly nodes: readonly NodeDef[];
  readonly sources: readonly SourceNodeDef[];
  readonly sinks: readonly SinkNodeDef[];
  readonly sourceTopics: readonly TopicRef[];
  readonly stores: readonly StoreSpec[];
}

/**
 * The physical topology compiled from the DSL: source, processor and sink nodes grouped into
 * sub-topologies, the stores they use, and the internal topics they need.
 */
export class Topology {
  /** @internal */
  readonly nodes: ReadonlyMap<string, NodeDef>;
  /** @internal */
  readonly stores: ReadonlyMap<string, StoreSpec>;
  /** @internal */
  readonly globalStores: ReadonlyMap<string, GlobalStoreDef>;
  /** @internal */
  readonly internalTopics: ReadonlyMap<string, InternalTopicDef>;
  /** @internal */
  readonly copartitionGroups: readonly (readonly string[])[];
  /** @internal */
  readonly subtopologies: readonly Subtopology[];
  /** @internal The logical graph this topology was compiled from (its topology-as-data form). */
  readonly ir: IrGraph | undefined;

  /** @internal Made by `StreamsBuilder.build()` (or from a topology's JSON form), never by users. */
  constructor(builder: PhysicalTopologyBuilder, ir?: IrGraph) {
    this.nodes = new Map(builder.nodes);
    this.stores = new Map(builder.stores);
    this.globalStores = new Map(builder.globalStores);
    this.internalTopics = new Map(builder.internalTopics);
    this.copartitionGroups = builder.copartitionGroups.map((group) => [...group]);
    this.subtopologies = splitIntoSubtopologies(this.nodes, this.stores);
    this.ir = ir;
  }

  /**
   * The topology as data (`toJSON()`), as Kafka Streams' description text (`toString()`) and as a
   * Mermaid flowchart (`toMermaid()`). With an application id, internal topics show their broker names.
   */
  describe(options: DescribeOptions = {}): TopologyDescription {
    return describeTopology(this, options);
  }

  /** @internal The sub-topology that reads `topic` (by its name as the topology knows it), if any. */
  subtopologiesReading(topic: string): Subtopology[] {
    return this.subtopologies.filter((s) => s.sourceTopics.some((t) => t.name === topic));
  }

  /** @internal Resolves a topic reference to the name it has on the broker. */
  static topicName(ref: TopicRef, applicationId: string): string {
    return ref.internal ? `${applicationId}-${ref.name}` : ref.name;
  }

  /** @internal The changelog topic of a store, or undefined when the store is not logged. */
  changelogTopic(storeName: string, applicationId: string): string | undefined {
    const spec = this.stores.get(storeName);
    if (!spec || !spec.logging.enabled) return undefined;
    return spec.logging.sourceTopic ?? `${applicationId}-${storeName}-changelog`;
  }
}

function splitIntoSubtopologies(
  nodes: ReadonlyMap<string, NodeDef>,
  stores: ReadonlyMap<string, StoreSpec>,
): Subtopology[] {
  const order = [...nodes.keys()];
  const parent = new Map<string, string>(order.map((n) => [n, n]));
  const find = (n: string): string => {
    let root = n;
    for (let up = parent.get(root); up !== undefined && up !== root; up = parent.get(root)) root = up;
    parent.set(n, root);
    return root;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };

  // Nodes joined by an edge, or sharing a store, must run in the same task.
  const storeUsers = new Map<string, string>();
  for (const node of nodes.values()) {
    if (node.kind === 'source') continue;
    for (const p of node.parents) union(node.name, p);
    if (node.kind === 'processor') {
      for (const store of node.stores) {
        if (!stores.has(store)) continue; // global stores are shared by every task
        const other = storeUsers.get(store);
        if (other) union(node.name, other);
        else storeUsers.set(store, node.name);
      }
    }
  }

  const groups = new Map<string, NodeDef[]>();
  for (const [name, node] of nodes) {
    const root = find(name);
    let group = groups.get(root);
    if (!group) groups.set(root, (group = []));
    group.push(node);
  }

  return [...groups.values()].map((group, id) => {
    const sources = group.filter((n): n is SourceNodeDef => n.kind === 'source');
    const sinks = group.filter((n): n is SinkNodeDef => n.kind === 'sink');
    const storeNames = new Set(group.flatMap((n) => (n.kind === 'processor' ? n.stores : [])));
    return {
      id,
      nodes: group,
      sources,
      sinks,
      sourceTopics: sources.flatMap((s) => s.topics),
      stores: [...storeNames].map((s) => stores.get(s)).filter((s): s is StoreSpec => s !== undefined),
    };
  });
}
