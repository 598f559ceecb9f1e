/**
 * `topology.describe()`: the physical topology as data, as Kafka Streams' TopologyDescription text,
 * and as a Mermaid flowchart. The data form also carries what tools need to judge an upgrade (store
 * kinds, serdes, windows, changelog and repartition topics): see diff.ts.
 */
import { TopologyError } from '../errors.ts';
import type { StoreSpec } from '../state/api.ts';
import { descriptionToMermaid } from './describe-mermaid.ts';
import { descriptionToText } from './describe-text.ts';
import type { IrGraph } from './ir.ts';
import type { AnyFunction } from '../common/functions.ts';
import { functionName } from './json/function-registry.ts';
import type { NodeDef, TopicRef } from './physical.ts';
import type { Subtopology, Topology } from './topology.ts';

export interface DescribeOptions {
  /** Shows internal topics under their broker names, `<applicationId>-<name>`. */
  readonly applicationId?: string;
}

export interface SourceDescription {
  readonly type: 'source';
  readonly name: string;
  readonly topics: readonly string[];
  readonly keySerde: string;
  readonly valueSerde: string;
  readonly successors: readonly string[];
}

export interface ProcessorDescription {
  readonly type: 'processor';
  readonly name: string;
  readonly stores: readonly string[];
  readonly successors: readonly string[];
  readonly predecessors: readonly string[];
}

export interface SinkDescription {
  readonly type: 'sink';
  readonly name: string;
  /** The fixed topic, absent when a function chooses the topic per record. */
  readonly topic?: string;
  /** The name of the function choosing the topic. */
  readonly topicExtractor?: string;
  readonly keySerde: string;
  readonly valueSerde: string;
  readonly predecessors: readonly string[];
}

export type NodeDescription = SourceDescription | ProcessorDescription | SinkDescription;

export interface SubtopologyDescription {
  readonly id: number;
  /** In Kafka Streams' order: larger downstream sub-graphs first, then by name. */
  readonly nodes: readonly NodeDescription[];
}

export interface GlobalStoreDescription {
  readonly id: number;
  readonly store: string;
  readonly source: SourceDescription;
  readonly processor: ProcessorDescription;
}

/** Window settings of the operation that keeps a store, as the DSL recorded them. */
export type WindowsDescription = Readonly<Record<string, string | number>>;

export interface StoreDescription {
  readonly name: string;
  readonly kind: StoreSpec['kind'];
  readonly backend: StoreSpec['backend'];
  readonly keySerde: string;
  readonly valueSerde: string;
  /** Where the store's changes go: its own changelog, or the source topic a table reads. */
  readonly changelogTopic?: string;
  readonly global: boolean;
  /** The sub-topology whose tasks own the store (absent for global stores and unused ones). */
  readonly subtopology?: number;
  readonly windowSizeMs?: number;
  readonly retentionMs?: number;
  /** Versioned key-value stores: how long old versions stay readable. */
  readonly historyRetentionMs?: number;
  readonly retainDuplicates?: boolean;
  /** Window stores: values kept with their timestamp (windowed aggregations). */
  readonly timestamped?: boolean;
  readonly windows?: WindowsDescription;
}

export interface InternalTopicDescription {
  readonly name: string;
  readonly kind: 'repartition' | 'changelog';
  /** A partition count fixed by the topology; otherwise derived from the input topics. */
  readonly partitions?: number;
  readonly config: Readonly<Record<string, string>>;
  readonly keySerde?: string;
  readonly valueSerde?: string;
}

export interface TopologyDescriptionJson {
  readonly applicationId?: string;
  readonly subtopologies: readonly SubtopologyDescription[];
  readonly globalStores: readonly GlobalStoreDescription[];
  readonly stores: readonly StoreDescription[];
  readonly internalTopics: readonly InternalTopicDescription[];
}

export class TopologyDescription {
  private readonly data: TopologyDescriptionJson;

  constructor(data: TopologyDescriptionJson) {
    if (!data || !Array.isArray(data.subtopologies) || !Array.isArray(data.stores)) {
      throw new TopologyError('not a topology description: expected "subtopologies" and "stores" arrays');
    }
    this.data = {
      ...data,
      globalStores: data.globalStores ?? [],
      internalTopics: data.internalTopics ?? [],
    };
  }

  get applicationId(): string | undefined {
    return this.data.applicationId;
  }

  get subtopologies(): readonly SubtopologyDescription[] {
    return this.data.subtopologies;
  }

  get globalStores(): readonly GlobalStoreDescription[] {
    return this.data.globalStores;
  }

  get stores(): readonly StoreDescription[] {
    return this.data.stores;
  }

  get internalTopics(): readonly InternalTopicDescription[] {
    return this.data.internalTopics;
  }

  toJSON(): TopologyDescriptionJson {
    return this.data;
  }

  /** Kafka Streams' TopologyDescription text (`Topologies:\n   Sub-topology: 0\n    Source: ...`). */
  toString(): string {
    return descriptionToText(this.data);
  }

  /** A Mermaid flowchart: sub-topologies as subgraphs, topics and stores as nodes. */
  toMermaid(): string {
    return descriptionToMermaid(this.data);
  }
}

export function describeTopology(topology: Topology, options: DescribeOptions = {}): TopologyDescription {
  const { applicationId } = options;
  const topicName = (ref: TopicRef) =>
    ref.internal && applicationId !== undefined ? `${applicationId}-${ref.name}` : ref.name;
  const internalName = (name: string) => (applicationId !== undefined ? `${applicationId}-${name}` : name);

  const subtopologies = topology.subtopologies.map((sub) => describeSubtopology(sub, topicName));
  const globalStores = [...topology.globalStores.values()].map((global, i) => {
    const source: SourceDescription = {
      type: 'source',
      name: global.source.name,
      topics: global.source.topics.map(topicName),
      keySerde: global.source.keySerde.name,
      valueSerde: global.source.valueSerde.name,
      successors: [global.processor.name],
    };
    const processor: ProcessorDescription = {
      type: 'processor',
      name: global.processor.name,
      stores: [...global.processor.stores],
      successors: [],
      predecessors: [global.source.name],
    };
    // Global stores are numbered after the sub-topologies, which keep the ids their tasks use.
    return { id: subtopologies.length + i, store: global.store.name, source, processor };
  });

  const windows = windowsByStore(topology.ir);
  const ownerOf = new Map<string, number>();
  for (const sub of topology.subtopologies) for (const spec of sub.stores) ownerOf.set(spec.name, sub.id);
  const stores = [
    ...[...topology.stores.values()].map((spec) => ({ spec, global: false })),
    ...[...topology.globalStores.values()].map((g) => ({ spec: g.store, global: true })),
  ].map(({ spec, global }) =>
    describeStore(spec, global, ownerOf.get(spec.name), windows.get(spec.name), internalName),
  );

  const internalTopics = [...topology.internalTopics.values()].map((def): InternalTopicDescription => {
    const serdes = internalTopicSerdes(topology, def.name, def.kind);
    return {
      name: internalName(def.name),
      kind: def.kind,
      ...(def.partitions !== undefined ? { partitions: def.partitions } : {}),
      config: { ...def.config },
      ...serdes,
    };
  });

  return new TopologyDescription({
    ...(applicationId !== undefined ? { applicationId } : {}),
    subtopologies,
    globalStores,
    stores,
    internalTopics,
  });
}

function describeSubtopology(sub: Subtopology, topicName: (ref: TopicRef) => string): SubtopologyDescription {
  const children = new Map<string, string[]>(sub.nodes.map((n) => [n.name, []]));
  // Parents outside the subtopology (none today) have no entry and get no children here.
  const childrenOf = (name: string): readonly string[] => children.get(name) ?? [];
  for (const node of sub.nodes) {
    if (node.kind === 'source') continue;
    for (const parent of node.parents) children.get(parent)?.push(node.name);
  }
  // Kafka Streams orders nodes by the size of the sub-graph below them (paths counted once each),
  // largest first, then by name: sources come first and sinks last in a simple chain.
  const sizes = new Map<string, number>();
  const size = (name: string): number => {
    let cached = sizes.get(name);
    if (cached === undefined) {
      cached = 1 + childrenOf(name).reduce((sum, child) => sum + size(child), 0);
      sizes.set(name, cached);
    }
    return cached;
  };
  const compare = (a: string, b: string) => size(b) - size(a) || (a < b ? -1 : a > b ? 1 : 0);
  const order = (names: readonly string[]) => [...names].sort(compare);

  const describeNode = (node: NodeDef): NodeDescription => {
    const successors = order(childrenOf(node.name));
    switch (node.kind) {
      case 'source':
        return {
          type: 'source',
          name: node.name,
          topics: node.topics.map(topicName),
          keySerde: node.keySerde.name,
          valueSerde: node.valueSerde.name,
          successors,
        };
      case 'processor':
        return {
          type: 'processor',
          name: node.name,
          stores: [...node.stores],
          successors,
          predecessors: order(node.parents),
        };
      case 'sink':
        return {
          type: 'sink',
          name: node.name,
          ...(typeof node.topic === 'function'
            ? { topicExtractor: extractorName(node.topic) }
            : { topic: topicName(node.topic) }),
          keySerde: node.keySerde.name,
          valueSerde: node.valueSerde.name,
          predecessors: order(node.parents),
        };
    }
  };
  return { id: sub.id, nodes: [...sub.nodes].sort((a, b) => compare(a.name, b.name)).map(describeNode) };
}

function extractorName(fn: AnyFunction): string {
  return functionName(fn) ?? (fn.name || 'anonymous function');
}

function describeStore(
  spec: StoreSpec,
  global: boolean,
  subtopology: number | undefined,
  windows: WindowsDescription | undefined,
  internalName: (name: string) => string,
): StoreDescription {
  const changelogTopic = !spec.logging.enabled
    ? undefined
    : (spec.logging.sourceTopic ?? internalName(`${spec.name}-changelog`));
  return {
    name: spec.name,
    kind: spec.kind,
    backend: spec.backend,
    keySerde: spec.keySerde.name,
    valueSerde: spec.valueSerde.name,
    ...(changelogTopic !== undefined ? { changelogTopic } : {}),
    global,
    ...(subtopology !== undefined ? { subtopology } : {}),
    ...(spec.kind === 'window'
      ? {
          windowSizeMs: spec.windowSizeMs,
          retentionMs: spec.retentionMs,
          retainDuplicates: spec.retainDuplicates,
          timestamped: spec.timestamped === true,
        }
      : {}),
    ...(spec.kind === 'session' ? { retentionMs: spec.retentionMs } : {}),
    ...(spec.kind === 'versioned-key-value' ? { historyRetentionMs: spec.historyRetentionMs } : {}),
    ...(windows ? { windows } : {}),
  };
}

/**
 * The window settings of each store's operation, read from the logical graph without knowing its
 * operations: any node with a `windows` argument owns the stores among its arguments.
 */
function windowsByStore(ir: IrGraph | undefined): Map<string, WindowsDescription> {
  const result = new Map<string, WindowsDescription>();
  for (const node of ir?.nodes ?? []) {
    const windows: WindowsDescription | undefined = 'windows' in node ? node.windows : undefined;
    if (!windows) continue;
    for (const value of Object.values(node)) {
      if (isStoreIr(value)) result.set(value.name, { ...windows });
    }
  }
  return result;
}

function isStoreIr(value: unknown): value is { name: string } {
  return (
    value !== null &&
    typeof value === 'object' &&
    'name' in value &&
    typeof value.name === 'string' &&
    'generated' in value &&
    typeof value.generated === 'boolean' &&
    'backend' in value &&
    typeof value.backend === 'string'
  );
}

function internalTopicSerdes(
  topology: Topology,
  name: string,
  kind: 'repartition' | 'changelog',
): { keySerde?: string; valueSerde?: string } {
  if (kind === 'changelog') {
    const store = topology.stores.get(name.replace(/-changelog$/, ''));
    return store ? { keySerde: store.keySerde.name, valueSerde: store.valueSerde.name } : {};
  }
  for (const node of topology.nodes.values()) {
    if (
      node.kind === 'sink' &&
      typeof node.topic !== 'function' &&
      node.topic.internal &&
      node.topic.name === name
    )
      return { keySerde: node.keySerde.name, valueSerde: node.valueSerde.name };
  }
  return {};
}
