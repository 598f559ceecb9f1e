/**
 * A topology description (what `tributary describe --format json` prints) as a graph to draw: the
 * processors of each sub-topology and the stores they use inside a box per sub-topology (or global
 * store), topics outside, so the topics that link sub-topologies (repartition) show as such. Laid out
 * left to right with dagre.
 */
import dagre from '@dagrejs/dagre';
import type { NodeDescription, StoreDescription, TopologyDescriptionJson } from '../../topology/describe.ts';
import { ConsoleError } from './console-error.ts';

export type GraphNodeKind = 'source' | 'processor' | 'sink' | 'topic' | 'store';

export interface GraphNode {
  readonly id: string;
  readonly kind: GraphNodeKind;
  readonly name: string;
  /** A second line: the topic's role, the store's kind. */
  readonly note: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly details: readonly (readonly [string, string])[];
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** A processor using a store: drawn dashed, without an arrow. */
  readonly store: boolean;
  readonly points: readonly { x: number; y: number }[];
}

export interface GraphCluster {
  readonly id: string;
  readonly label: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GraphLayout {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly clusters: readonly GraphCluster[];
  readonly width: number;
  readonly height: number;
}

type Measure = (text: string, bold: boolean) => number;

interface PendingNode {
  id: string;
  kind: GraphNodeKind;
  name: string;
  note: string;
  parent: string | undefined;
  details: [string, string][];
}

export function layoutTopology(description: TopologyDescriptionJson, measure: Measure): GraphLayout {
  const nodes = new Map<string, PendingNode>();
  const edges: { from: string; to: string; store: boolean }[] = [];
  const clusters = new Map<string, string>();
  const storesByName = new Map(description.stores.map((s) => [s.name, s]));
  const internal = new Map(description.internalTopics.map((t) => [t.name, t]));
  const topicUse = new Map<string, { readers: string[]; writers: string[] }>();
  const use = (topic: string) => {
    let entry = topicUse.get(topic);
    if (!entry) topicUse.set(topic, (entry = { readers: [], writers: [] }));
    return entry;
  };

  const addNode = (node: NodeDescription, parent: string) => {
    const id = `node:${node.name}`;
    const details: [string, string][] = [['type', node.type]];
    if (node.type === 'source') {
      details.push(
        ['topics', node.topics.join(', ')],
        ['key serde', node.keySerde],
        ['value serde', node.valueSerde],
      );
      for (const topic of node.topics) {
        edges.push({ from: `topic:${topic}`, to: id, store: false });
        use(topic).readers.push(node.name);
      }
    } else {
      for (const parentName of node.predecessors)
        edges.push({ from: `node:${parentName}`, to: id, store: false });
    }
    if (node.type === 'processor') {
      if (node.stores.length > 0) details.push(['stores', node.stores.join(', ')]);
      for (const store of node.stores) edges.push({ from: id, to: `store:${store}`, store: true });
    }
    if (node.type === 'sink') {
      details.push(
        ['topic', node.topic ?? `chosen per record by ${node.topicExtractor ?? 'a function'}`],
        ['key serde', node.keySerde],
        ['value serde', node.valueSerde],
      );
      if (node.topic !== undefined) {
        edges.push({ from: id, to: `topic:${node.topic}`, store: false });
        use(node.topic).writers.push(node.name);
      }
    }
    nodes.set(id, { id, kind: node.type, name: node.name, note: node.type, parent, details });
  };
  const addStore = (name: string, parent: string) => {
    const spec = storesByName.get(name);
    nodes.set(`store:${name}`, {
      id: `store:${name}`,
      kind: 'store',
      name,
      note: spec ? `${spec.kind} store${spec.global ? ', global' : ''}` : 'store',
      parent,
      details: spec ? storeDetails(spec) : [['type', 'store']],
    });
  };

  const globalStores = new Set(description.globalStores.map((g) => g.store));
  for (const sub of description.subtopologies) {
    const cluster = `sub:${sub.id}`;
    clusters.set(cluster, `Sub-topology ${sub.id}`);
    for (const node of sub.nodes) addNode(node, cluster);
    for (const node of sub.nodes)
      if (node.type === 'processor')
        for (const store of node.stores) if (!globalStores.has(store)) addStore(store, cluster);
  }
  for (const global of description.globalStores) {
    const cluster = `global:${global.id}`;
    clusters.set(cluster, `Global store ${global.store}`);
    addNode(global.source, cluster);
    addNode(global.processor, cluster);
    addStore(global.store, cluster);
  }
  for (const [topic, { readers, writers }] of topicUse) {
    const spec = internal.get(topic);
    const kind = spec?.kind ?? 'topic';
    const details: [string, string][] = [['type', kind === 'topic' ? 'topic' : `${kind} topic (internal)`]];
    if (spec?.partitions !== undefined) details.push(['partitions', String(spec.partitions)]);
    if (spec?.keySerde) details.push(['key serde', spec.keySerde]);
    if (spec?.valueSerde) details.push(['value serde', spec.valueSerde]);
    if (writers.length > 0) details.push(['written by', writers.join(', ')]);
    if (readers.length > 0) details.push(['read by', readers.join(', ')]);
    for (const [name, value] of Object.entries(spec?.config ?? {})) details.push([name, value]);
    nodes.set(`topic:${topic}`, {
      id: `topic:${topic}`,
      kind: 'topic',
      name: topic,
      note: kind === 'topic' ? 'topic' : `${kind} topic`,
      parent: undefined,
      details,
    });
  }

  const graph = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  graph.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 46, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const [id, label] of clusters) graph.setNode(id, { label, clusterLabelPos: 'top' });
  for (const node of nodes.values()) {
    const width = Math.max(measure(node.name, true), measure(node.note, false)) + 28;
    graph.setNode(node.id, { width: Math.ceil(width), height: 46 });
    if (node.parent) graph.setParent(node.id, node.parent);
  }
  for (const edge of edges) if (nodes.has(edge.from) && nodes.has(edge.to)) graph.setEdge(edge.from, edge.to);
  dagre.layout(graph);

  const placed = [...nodes.values()].map((node): GraphNode => {
    const at = placement(graph.node(node.id), node.id);
    return {
      id: node.id,
      kind: node.kind,
      name: node.name,
      note: node.note,
      x: at.x - at.width / 2,
      y: at.y - at.height / 2,
      width: at.width,
      height: at.height,
      details: node.details,
    };
  });
  const boxes = [...clusters].map(([id, label]): GraphCluster => {
    const at = placement(graph.node(id), id);
    return {
      id,
      label,
      x: at.x - at.width / 2,
      y: at.y - at.height / 2 - 14,
      width: at.width,
      height: at.height + 14,
    };
  });
  const lines = edges
    .filter((e) => nodes.has(e.from) && nodes.has(e.to))
    .map((edge): GraphEdge => ({
      ...edge,
      points: route(graph.edge(edge.from, edge.to), edge),
    }));
  const size: unknown = graph.graph();
  return {
    nodes: placed,
    edges: lines,
    clusters: boxes,
    width: dimension(size, 'width'),
    height: dimension(size, 'height') + 14,
  };
}

/*
 * dagre writes its layout onto the labels it was given (x, y, width and height of a node or cluster, the
 * points of an edge, the size of the graph); these read it back, checked.
 */

function placement(label: unknown, id: string): { x: number; y: number; width: number; height: number } {
  if (isPoint(label) && 'width' in label && 'height' in label) {
    const { x, y, width, height } = label;
    if (typeof width === 'number' && typeof height === 'number') return { x, y, width, height };
  }
  throw new ConsoleError(`the graph layout placed no box for "${id}"`);
}

function route(label: unknown, edge: { from: string; to: string }): { x: number; y: number }[] {
  const points: unknown =
    typeof label === 'object' && label !== null && 'points' in label ? label.points : undefined;
  if (!Array.isArray(points))
    throw new ConsoleError(`the graph layout drew no line from "${edge.from}" to "${edge.to}"`);
  return points.filter(isPoint).map(({ x, y }) => ({ x, y }));
}

/** The graph's width or height once laid out; 0 for an empty graph. */
function dimension(label: unknown, name: 'width' | 'height'): number {
  if (typeof label !== 'object' || label === null || !(name in label)) return 0;
  const value: unknown = Reflect.get(label, name);
  return typeof value === 'number' ? value : 0;
}

function isPoint(value: unknown): value is { x: number; y: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'x' in value &&
    typeof value.x === 'number' &&
    'y' in value &&
    typeof value.y === 'number'
  );
}

function storeDetails(spec: StoreDescription): [string, string][] {
  const details: [string, string][] = [
    ['type', `${spec.kind} store${spec.global ? ' (global)' : ''}`],
    ['backend', spec.backend],
    ['key serde', spec.keySerde],
    ['value serde', spec.valueSerde],
  ];
  if (spec.changelogTopic) details.push(['changelog', spec.changelogTopic]);
  if (spec.subtopology !== undefined) details.push(['sub-topology', String(spec.subtopology)]);
  if (spec.windowSizeMs !== undefined) details.push(['window size', duration(spec.windowSizeMs)]);
  if (spec.retentionMs !== undefined) details.push(['retention', duration(spec.retentionMs)]);
  if (spec.retainDuplicates) details.push(['retains duplicates', 'yes']);
  for (const [name, value] of Object.entries(spec.windows ?? {}))
    details.push([
      `window ${name}`,
      typeof value === 'number' && /ms$|Ms$/.test(name) ? duration(value) : String(value),
    ]);
  return details;
}

/** 300000 → "5 min"; 3600000 → "1 h"; odd values stay in ms. */
export function duration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h (${ms} ms)`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min (${ms} ms)`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s (${ms} ms)`;
  return `${ms} ms`;
}
