import { TopologyError } from '../../errors.ts';
import type { IrGraph, IrNode } from '../ir.ts';
import { encodeField, type EncodeContext } from './fields.ts';
import { toRegistry, type FunctionsInput } from './function-registry.ts';
import { fieldsOf, isKnownOp } from './schema.ts';
import { serdeName } from './serde-registry.ts';

/** The version of the JSON form written today; readers refuse versions they do not know. */
export const TOPOLOGY_JSON_VERSION = 1;

/** One IR node: its operation, its name, its parents by name, and its arguments. */
export interface TopologyNodeJson {
  readonly op: string;
  readonly name: string;
  readonly parents?: readonly string[];
  readonly [field: string]: unknown;
}

/** A topology as data: what `topologyToJson` writes and `topologyFromJson` reads. */
export interface TopologyJson {
  readonly version: number;
  readonly applicationId?: string;
  readonly defaultKeySerde: string;
  readonly defaultValueSerde: string;
  readonly nodes: readonly TopologyNodeJson[];
}

export interface TopologyToJsonOptions {
  /** Names for functions not marked with `named()`. */
  readonly functions?: FunctionsInput;
  /** Recorded in the JSON so tools can show internal topic names. */
  readonly applicationId?: string;
}

/** Anything that holds a logical graph: a StreamsBuilder, a built Topology, or the graph itself. */
export type GraphSource = { readonly graph: IrGraph } | { readonly ir: IrGraph | undefined } | IrGraph;

export function graphOf(source: GraphSource): IrGraph {
  if ('nodes' in source && Array.isArray(source.nodes) && 'defaultKeySerde' in source) return source;
  if ('graph' in source) return source.graph;
  if ('ir' in source && source.ir) return source.ir;
  throw new TopologyError(
    'this topology has no logical graph to write as JSON; pass the StreamsBuilder or a topology built by one',
  );
}

export function nodeLabel(index: number, name: string, op: string): string {
  return `node ${index} "${name}" (${op})`;
}

/**
 * Writes the logical graph as JSON data. Every function must have a registered name (`named()` or the
 * `functions` option) and every serde a name; otherwise this fails naming the operator and argument.
 */
export function topologyToJson(source: GraphSource, options: TopologyToJsonOptions = {}): TopologyJson {
  const graph = graphOf(source);
  const context: EncodeContext = { functions: toRegistry(options.functions) };
  const defaultSerde = (which: 'defaultKeySerde' | 'defaultValueSerde') => {
    const name = serdeName(graph[which]);
    if (name === undefined) throw new TopologyError(`the builder's ${which} has no name`);
    return name;
  };
  return {
    version: TOPOLOGY_JSON_VERSION,
    ...(options.applicationId !== undefined ? { applicationId: options.applicationId } : {}),
    defaultKeySerde: defaultSerde('defaultKeySerde'),
    defaultValueSerde: defaultSerde('defaultValueSerde'),
    nodes: graph.nodes.map((node, index) => encodeNode(graph, node, index, context)),
  };
}

function encodeNode(graph: IrGraph, node: IrNode, index: number, context: EncodeContext): TopologyNodeJson {
  const label = nodeLabel(index, node.name, node.op);
  if (!isKnownOp(node.op)) throw new TopologyError(`${label}: the JSON form has no entry for this operation`);
  const fields = fieldsOf(node.op);
  const known = new Set(['id', 'op', 'name', 'parents', ...fields.map(([f]) => f)]);
  for (const key of Object.keys(node)) {
    if (!known.has(key))
      throw new TopologyError(`${label}: argument "${key}" is not part of the JSON form of "${node.op}"`);
  }
  const out: { op: string; name: string; parents?: string[]; [field: string]: unknown } = {
    op: node.op,
    name: node.name,
  };
  if (node.parents.length > 0) out.parents = node.parents.map((p) => graph.node(p).name);
  // The schema names the node's fields, so they are read by name.
  const values = new Map<string, unknown>(Object.entries(node));
  for (const [field, kind] of fields) {
    const value = encodeField(kind, values.get(field), { node: label, field }, context);
    if (value !== undefined) out[field] = value;
  }
  return out;
}
