/**
 * The fields of each IR operation as they appear in the JSON form, with the kind of value each holds.
 * The mapped type makes the compiler list any field added to an IR node and missing here, so the JSON
 * form cannot silently drop an argument. Encoding and decoding (fields.ts) are generic over this table.
 */
import type { IrNodeOf } from '../compile/context.ts';
import type { IrOp } from '../ir.ts';

export type FieldKind =
  | 'string'
  | 'number'
  | 'boolean'
  | 'strings'
  /** A user function, written as the name it was registered under. */
  | 'fn'
  /** Several user functions, each written as its registered name. */
  | 'fns'
  /** A serde, written as its name. */
  | 'serde'
  /** A store as the DSL asked for it (`StoreIr`). */
  | 'store'
  /** A store added for the Processor API (`StoreSpec`). */
  | 'store-spec'
  /** Plain JSON data: windows, suppression settings. */
  | 'json'
  /** The branches of a split: child names and predicates. */
  | 'branches'
  /** A fixed topic name, or `{ "function": name }` for a topic chosen per record. */
  | 'topic';

/** `kind?` marks a field that may be left out. */
export type FieldSpec = FieldKind | `${FieldKind}?`;

type FieldsOf<N> = Exclude<keyof N, 'id' | 'op' | 'name' | 'parents'>;

export type OpSchema = { readonly [Op in IrOp]: { readonly [F in FieldsOf<IrNodeOf<Op>>]-?: FieldSpec } };

const source = { keySerde: 'serde?', valueSerde: 'serde?' } as const;
const mapper = { mapper: 'fn' } as const;
const aggregateFns = { kind: 'string', initializer: 'fn?', aggregator: 'fn?', store: 'store' } as const;

export const opSchema: OpSchema = {
  'stream-source': { topics: 'strings', ...source, timestampExtractor: 'fn?' },
  'table-source': {
    sourceName: 'string',
    topic: 'string',
    ...source,
    timestampExtractor: 'fn?',
    store: 'store',
  },
  'global-table': { sourceName: 'string', topic: 'string', ...source, store: 'store' },
  filter: { predicate: 'fn', negate: 'boolean' },
  map: mapper,
  'map-values': mapper,
  'flat-map': mapper,
  'flat-map-values': mapper,
  'select-key': mapper,
  peek: { action: 'fn' },
  foreach: { action: 'fn' },
  merge: {},
  split: { branches: 'branches' },
  branch: {},
  repartition: {
    topic: 'string',
    sinkName: 'string',
    ...source,
    partitions: 'number?',
    partitioner: 'fn?',
  },
  to: { topic: 'topic', ...source, partitioner: 'fn?' },
  process: { supplier: 'fn', stores: 'strings', oldValues: 'json?' },
  'process-values': { supplier: 'fn', stores: 'strings' },
  'state-store': { spec: 'store-spec' },
  'to-table': { store: 'store' },
  'table-filter': { predicate: 'fn', negate: 'boolean', store: 'store?' },
  'table-map-values': { mapper: 'fn', store: 'store?' },
  'table-transform-values': { supplier: 'fn', stores: 'strings', store: 'store?' },
  'table-to-stream': {},
  suppress: { spec: 'json', storeName: 'string', ...source },
  'stream-aggregate': aggregateFns,
  'windowed-aggregate': { ...aggregateFns, windows: 'json', emitStrategy: 'string?' },
  'session-aggregate': { ...aggregateFns, windows: 'json', merger: 'fn?', emitStrategy: 'string?' },
  'cogroup-aggregate': {
    aggregators: 'fns',
    aggregateNames: 'strings',
    initializer: 'fn',
    merger: 'fn?',
    windows: 'json?',
    store: 'store',
  },
  'table-group-by': {
    selector: 'fn',
    topic: 'string',
    sinkName: 'string',
    sourceName: 'string',
    ...source,
  },
  'table-aggregate': {
    kind: 'string',
    initializer: 'fn?',
    adder: 'fn?',
    subtractor: 'fn?',
    store: 'store',
  },
  'stream-stream-join': {
    joinType: 'string',
    windows: 'json',
    joiner: 'fn',
    thisWindowName: 'string',
    otherWindowName: 'string',
    thisJoinName: 'string',
    otherJoinName: 'string',
    thisStore: 'store',
    otherStore: 'store',
    outerStore: 'store?',
    keySerde: 'serde?',
    thisValueSerde: 'serde?',
    otherValueSerde: 'serde?',
  },
  'stream-table-join': { joinType: 'string', joiner: 'fn', gracePeriodMs: 'number?', bufferStore: 'store?' },
  'stream-global-join': { joinType: 'string', keySelector: 'fn', joiner: 'fn', globalStoreName: 'string' },
  'table-table-join': {
    joinType: 'string',
    joiner: 'fn',
    thisJoinName: 'string',
    otherJoinName: 'string',
    store: 'store?',
  },
  'fk-join': {
    joinType: 'string',
    foreignKeyExtractor: 'fn',
    joiner: 'fn',
    prefix: 'string',
    foreignKeySerde: 'serde?',
    ...source,
    otherValueSerde: 'serde?',
    store: 'store?',
  },
};

export function isKnownOp(op: string): op is IrOp {
  return Object.hasOwn(opSchema, op);
}

export function fieldsOf(op: IrOp): [string, FieldKind, boolean][] {
  const specs: Readonly<Record<string, FieldSpec>> = opSchema[op];
  return Object.entries(specs).map(([field, spec]) => {
    const optional = spec.endsWith('?');
    return [field, (optional ? spec.slice(0, -1) : spec) as FieldKind, optional];
  });
}
