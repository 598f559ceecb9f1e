import { TopologyError } from '../../errors.ts';
import type { AvroSchemas } from '../../serde/avro.ts';
import type { Serde } from '../../serde/serde.ts';
import { compile } from '../compile.ts';
import { IrGraph, type AnySerde, type IrNodeInput } from '../ir.ts';
import type { Topology } from '../topology.ts';
import { isJsonObject } from '../../common/json.ts';
import { checkFields, decodeField, decodeSerde, type DecodeContext } from './fields.ts';
import { toRegistry, type FunctionsInput } from './function-registry.ts';
import { fieldsOf, isKnownOp, opSchema } from './schema.ts';
import { resolveSerde } from './serde-registry.ts';
import { TOPOLOGY_JSON_VERSION, nodeLabel, type TopologyJson } from './to-json.ts';
import { toError } from '../../common/to-error.ts';

export interface TopologyFromJsonOptions {
  /** The functions the JSON names. */
  readonly functions?: FunctionsInput;
  /** Serdes the JSON names besides the built-in ones. */
  readonly serdes?: Readonly<Record<string, Serde<unknown>>>;
  /** Resolves `avro:<Type>` serde names. */
  readonly avroSchemas?: AvroSchemas;
  /**
   * Stand in for functions and serdes that were not given with ones that fail when used: the result
   * can be described and diffed, not run. Used by the `tributary` command on JSON files.
   */
  readonly placeholders?: boolean;
}

function invalid(message: string): never {
  throw new TopologyError(`invalid topology JSON: ${message}`);
}

/** Reads the JSON form back into a logical graph, validating it and resolving functions and serdes. */
export function irFromJson(input: TopologyJson | string, options: TopologyFromJsonOptions = {}): IrGraph {
  const json = typeof input === 'string' ? parse(input) : input;
  if (!isJsonObject(json)) invalid('expected an object');
  const top = json;
  if (top.version === undefined) invalid('the "version" field is missing');
  if (top.version !== TOPOLOGY_JSON_VERSION)
    invalid(
      `version ${JSON.stringify(top.version)} is not supported (this Tributary reads version ${TOPOLOGY_JSON_VERSION})`,
    );
  checkFields(
    top,
    ['version', 'applicationId', 'defaultKeySerde', 'defaultValueSerde', 'nodes'],
    'invalid topology JSON',
  );
  const nodes: unknown = top.nodes;
  if (!Array.isArray(nodes)) invalid('"nodes" must be an array');

  const context: DecodeContext = {
    functions: toRegistry(options.functions),
    serdes: { serdes: options.serdes, avroSchemas: options.avroSchemas },
    placeholders: options.placeholders ?? false,
  };
  const defaultSerde = (field: 'defaultKeySerde' | 'defaultValueSerde'): AnySerde =>
    top[field] === undefined
      ? resolveSerde('json')
      : decodeSerde(top[field], { node: 'invalid topology JSON', field }, context);
  const graph = new IrGraph({
    keySerde: defaultSerde('defaultKeySerde'),
    valueSerde: defaultSerde('defaultValueSerde'),
  });

  const ids = new Map<string, number>();
  nodes.forEach((raw: unknown, index) => {
    const node = decodeNode(raw, index, ids, context);
    const added = graph.add(node);
    // Stores added for the Processor API are never parents; only processors can be named as one.
    if (node.op !== 'state-store') ids.set(node.name, added.id);
  });
  return graph;
}

/** Reads the JSON form and compiles it: the same Topology (names, stores, topics) as the DSL built. */
export function topologyFromJson(
  input: TopologyJson | string,
  options: TopologyFromJsonOptions = {},
): Topology {
  return compile(irFromJson(input, options));
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return invalid(`not valid JSON: ${toError(error).message}`);
  }
}

function decodeNode(
  raw: unknown,
  index: number,
  ids: Map<string, number>,
  context: DecodeContext,
): IrNodeInput {
  if (!isJsonObject(raw)) invalid(`node ${index} must be an object`);
  const node = raw;
  const nameText = typeof node.name === 'string' ? node.name : '?';
  if (typeof node.op !== 'string') invalid(`node ${index} "${nameText}": the "op" field is missing`);
  const op = node.op;
  if (!isKnownOp(op))
    invalid(`node ${index} "${nameText}": unknown op "${op}"; known: ${Object.keys(opSchema).join(', ')}`);
  const label = nodeLabel(index, nameText, op);
  if (typeof node.name !== 'string' || node.name.length === 0)
    throw new TopologyError(`${label}: the "name" field is missing`);
  if (ids.has(node.name)) throw new TopologyError(`${label}: another node is already named "${node.name}"`);

  const fields = fieldsOf(op);
  checkFields(node, ['op', 'name', 'parents', ...fields.map(([f]) => f)], label);
  const parents = node.parents === undefined ? [] : node.parents;
  if (!Array.isArray(parents)) throw new TopologyError(`${label}: "parents" must be an array of node names`);
  const parentIds = parents.map((parent: unknown) => {
    const id = typeof parent === 'string' ? ids.get(parent) : undefined;
    if (id === undefined)
      throw new TopologyError(
        `${label}: parent ${JSON.stringify(parent)} is not a node defined before this one (parents come first)`,
      );
    return id;
  });

  const out: Record<string, unknown> = { op, name: node.name, parents: parentIds };
  for (const [field, kind, optional] of fields) {
    if (node[field] === undefined) {
      if (!optional) throw new TopologyError(`${label}: the field "${field}" is missing`);
      out[field] = undefined;
      continue;
    }
    out[field] = decodeField(kind, node[field], { node: label, field }, context);
  }
  // The schema checked each field against the op's node type, which the compiler cannot follow.
  return out as unknown as IrNodeInput;
}
