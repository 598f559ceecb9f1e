import { TopologyError } from '../../errors.ts';
import type { IrGraph, IrNode } from '../ir.ts';

/**
 * Operations whose result is a table of their own (Kafka Streams sets their output's versioning from
 * their store alone): aggregations and joins. Their result is versioned only when their own store is,
 * whatever their inputs are.
 */
const STATEFUL = new Set<IrNode['op']>([
  'stream-aggregate',
  'table-aggregate',
  'cogroup-aggregate',
  'table-table-join',
  'fk-join',
]);

/** The operations whose table may be materialized in a versioned store, as in Kafka Streams. */
const VERSIONABLE = new Set<IrNode['op']>([
  'table-source',
  'to-table',
  'table-filter',
  'table-map-values',
  'table-transform-values',
  ...STATEFUL,
]);

function storeOf(node: IrNode) {
  return 'store' in node ? node.store : undefined;
}

/** Why Kafka Streams refuses a versioned store for this node (undefined: it accepts one). */
function refusal(node: IrNode): string | undefined {
  if (node.op === 'global-table') return 'GlobalTables cannot be versioned.';
  const windowed =
    node.op === 'windowed-aggregate' ||
    node.op === 'session-aggregate' ||
    (node.op === 'cogroup-aggregate' && node.windows !== undefined);
  if (windowed)
    return 'a windowed aggregation keeps its results in a window or session store, which cannot be versioned';
  if (!VERSIONABLE.has(node.op)) return `a versioned store cannot materialize ${node.op}`;
  return undefined;
}

/**
 * Which tables are versioned (KIP-914), as Kafka Streams decides it for the whole topology: a table
 * materialized in a versioned store is; a table materialized in a plain store is not; the result of
 * an aggregation or join that is not materialized is not; any other table that is not materialized is
 * versioned when every table it derives from is. Operators reading a versioned
 * table use versioned semantics: filters forward every change, and joins and re-groupings skip
 * out-of-order updates (`Change.isLatest` false).
 */
export class VersionedTables {
  private readonly graph: IrGraph;
  private readonly memo = new Map<number, boolean>();

  constructor(graph: IrGraph) {
    this.graph = graph;
    for (const node of graph.nodes) {
      const store = storeOf(node);
      const refused = store?.historyRetentionMs !== undefined ? refusal(node) : undefined;
      if (refused) throw new TopologyError(`${node.name}: ${refused}`);
      if (node.op === 'suppress' && this.isVersioned(node.parents[0]))
        throw new TopologyError(
          `${node.name}: suppress() is only supported for non-versioned tables (versioned semantics are inherited from the tables a table derives from)`,
        );
    }
  }

  /** Whether the table this node outputs is versioned. */
  isVersioned(id: number): boolean {
    let versioned = this.memo.get(id);
    if (versioned === undefined) {
      const node = this.graph.node(id);
      const store = storeOf(node);
      versioned =
        store || STATEFUL.has(node.op)
          ? store?.historyRetentionMs !== undefined
          : node.parents.length > 0 && node.parents.every((parent) => this.isVersioned(parent));
      this.memo.set(id, versioned);
    }
    return versioned;
  }
}
