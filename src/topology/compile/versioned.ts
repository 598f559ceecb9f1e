import { TopologyError } from '../../errors.ts';
import type { IrGraph, IrNode } from '../ir.ts';

/** The operations whose table may be materialized in a versioned store. */
const VERSIONABLE = new Set<IrNode['op']>(['table-source', 'to-table', 'table-filter', 'table-map-values']);

function storeOf(node: IrNode) {
  return 'store' in node ? node.store : undefined;
}

/**
 * Which tables are versioned (KIP-914), as Kafka Streams decides it for the whole topology: a table
 * materialized in a versioned store is; a table materialized in a plain store is not; a table that is
 * not materialized is versioned when every table it derives from is. Operators reading a versioned
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
      if (store?.historyRetentionMs !== undefined && !VERSIONABLE.has(node.op))
        throw new TopologyError(
          `${node.name}: a versioned store can materialize a source table, toTable, filter or mapValues, not ${node.op}`,
        );
      if (node.op === 'suppress' && this.isVersioned(node.parents[0]!))
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
      versioned = store
        ? store.historyRetentionMs !== undefined
        : node.parents.length > 0 && node.parents.every((parent) => this.isVersioned(parent));
      this.memo.set(id, versioned);
    }
    return versioned;
  }
}
