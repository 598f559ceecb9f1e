import { TopologyError } from '../errors.ts';
import type { StoreSpec } from '../state/api.ts';
import type { Serde } from '../serde/serde.ts';
import type { StreamPartitioner, TimestampExtractor, TopicNameExtractor } from './functions.ts';
import type { ErasedProcessorSupplier } from './ir.ts';

/**
 * A topic as the topology names it. Internal topics (repartition, changelog) are stored without the
 * application id and resolved to `<applicationId>-<name>` when the topology runs.
 */
export interface TopicRef {
  readonly name: string;
  readonly internal: boolean;
}

export interface SourceNodeDef {
  readonly kind: 'source';
  readonly name: string;
  readonly topics: readonly TopicRef[];
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly timestampExtractor: TimestampExtractor<unknown, unknown> | undefined;
}

export interface ProcessorNodeDef {
  readonly kind: 'processor';
  readonly name: string;
  readonly parents: readonly string[];
  readonly supplier: ErasedProcessorSupplier;
  readonly stores: readonly string[];
}

export interface SinkNodeDef {
  readonly kind: 'sink';
  readonly name: string;
  readonly parents: readonly string[];
  /** A fixed topic, or a function choosing one per record (such topics must exist; they are never internal). */
  readonly topic: TopicRef | TopicNameExtractor<unknown, unknown>;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly partitioner: StreamPartitioner<unknown, unknown> | undefined;
}

export type NodeDef = SourceNodeDef | ProcessorNodeDef | SinkNodeDef;

export interface InternalTopicDef {
  /** Name without the application id. */
  readonly name: string;
  readonly kind: 'repartition' | 'changelog';
  /** A fixed partition count, when the user asked for one (repartition) — otherwise derived. */
  readonly partitions: number | undefined;
  readonly config: Readonly<Record<string, string>>;
}

/**
 * A global store: every task-independent copy reads the whole topic. The processor keeps the store
 * up to date from the topic, which doubles as its changelog.
 */
export interface GlobalStoreDef {
  readonly store: StoreSpec;
  readonly source: SourceNodeDef;
  readonly processor: ProcessorNodeDef;
}

/** Collects nodes and stores, checking names as they come: Kafka Streams' InternalTopologyBuilder. */
export class PhysicalTopologyBuilder {
  readonly nodes = new Map<string, NodeDef>();
  readonly stores = new Map<string, StoreSpec>();
  readonly globalStores = new Map<string, GlobalStoreDef>();
  readonly internalTopics = new Map<string, InternalTopicDef>();
  /** Groups of source topics that must have the same number of partitions (join inputs). */
  readonly copartitionGroups: string[][] = [];

  /** A topic is read by one source node only: records could not go to two at once. */
  addSource(def: Omit<SourceNodeDef, 'kind'>): void {
    for (const topic of def.topics) {
      const reader = this.sourceOf(topic.name);
      if (reader)
        throw new TopologyError(
          `topic "${topic.name}" is read by source "${reader}" already; source "${def.name}" cannot read it too (streams of the same topics share one source; tables need a topic of their own)`,
        );
    }
    this.addNode({ kind: 'source', ...def });
  }

  private sourceOf(topic: string): string | undefined {
    for (const node of this.nodes.values())
      if (node.kind === 'source' && node.topics.some((t) => t.name === topic)) return node.name;
    return undefined;
  }

  addProcessor(def: Omit<ProcessorNodeDef, 'kind'>): void {
    for (const store of def.stores) {
      if (!this.stores.has(store) && !this.globalStores.has(store)) {
        throw new TopologyError(
          `processor "${def.name}" uses store "${store}", which was never added to the topology`,
        );
      }
    }
    this.addNode({ kind: 'processor', ...def });
  }

  addSink(def: Omit<SinkNodeDef, 'kind'>): void {
    this.addNode({ kind: 'sink', ...def });
  }

  addStore(spec: StoreSpec): void {
    const existing = this.stores.get(spec.name) ?? this.globalStores.get(spec.name)?.store;
    if (existing)
      throw new TopologyError(
        `a state store named "${spec.name}" already exists; store names must be unique`,
      );
    this.stores.set(spec.name, spec);
    if (spec.logging.enabled && !spec.logging.sourceTopic) {
      this.addInternalTopic({
        name: `${spec.name}-changelog`,
        kind: 'changelog',
        partitions: undefined,
        config: changelogConfig(spec),
      });
    }
  }

  addGlobalStore(def: GlobalStoreDef): void {
    if (this.stores.has(def.store.name) || this.globalStores.has(def.store.name)) {
      throw new TopologyError(
        `a state store named "${def.store.name}" already exists; store names must be unique`,
      );
    }
    this.assertFreeName(def.source.name);
    this.assertFreeName(def.processor.name);
    this.globalStores.set(def.store.name, def);
  }

  /** Lets a processor added earlier use a store added later (a table materialized on demand). */
  connectStore(processorName: string, storeName: string): void {
    const node = this.nodes.get(processorName);
    if (!node || node.kind !== 'processor')
      throw new TopologyError(`no processor named "${processorName}" to connect to store "${storeName}"`);
    if (node.stores.includes(storeName)) return;
    this.nodes.set(processorName, { ...node, stores: [...node.stores, storeName] });
  }

  addInternalTopic(def: InternalTopicDef): void {
    const existing = this.internalTopics.get(def.name);
    if (existing) {
      if (existing.kind !== def.kind || existing.partitions !== def.partitions) {
        throw new TopologyError(`internal topic "${def.name}" is declared twice with different settings`);
      }
      return;
    }
    this.internalTopics.set(def.name, def);
  }

  addCopartitionGroup(topics: readonly string[]): void {
    const unique = [...new Set(topics)];
    if (unique.length > 1) this.copartitionGroups.push(unique);
  }

  private addNode(node: NodeDef): void {
    this.assertFreeName(node.name);
    if (node.kind !== 'source') {
      if (node.parents.length === 0) throw new TopologyError(`node "${node.name}" has no parent`);
      for (const parent of node.parents) {
        const parentNode = this.nodes.get(parent);
        if (!parentNode) throw new TopologyError(`node "${node.name}" names unknown parent "${parent}"`);
        if (parentNode.kind === 'sink')
          throw new TopologyError(`node "${node.name}" cannot follow sink "${parent}"`);
      }
    }
    this.nodes.set(node.name, node);
  }

  private assertFreeName(name: string): void {
    if (
      this.nodes.has(name) ||
      [...this.globalStores.values()].some((g) => g.source.name === name || g.processor.name === name)
    ) {
      throw new TopologyError(`a processor named "${name}" already exists; operator names must be unique`);
    }
  }
}

function changelogConfig(spec: StoreSpec): Record<string, string> {
  const windowed = spec.kind === 'window' || spec.kind === 'session';
  // A store that keeps duplicates (a stream-stream join's) has nothing to compact: Kafka Streams deletes only.
  const policy = !windowed
    ? 'compact'
    : spec.kind === 'window' && spec.retainDuplicates
      ? 'delete'
      : 'compact,delete';
  const config: Record<string, string> = { 'cleanup.policy': policy };
  // Windowed changelogs keep a day beyond the store's retention, as Kafka Streams does, so that a
  // restore never misses data the store itself still holds.
  if (windowed) config['retention.ms'] = String(spec.retentionMs + 24 * 60 * 60 * 1000);
  return { ...config, ...spec.logging.topicConfig };
}
