import type { IrGraph, IrNode } from '../ir.ts';

/**
 * Which tables forward old values: Kafka Streams' `enableSendingOldValues`. A table operator forwards
 * `Change {newValue, oldValue}`, but the old value only where some operator downstream needs it
 * (re-grouping a table, suppressing it, joining it with left/outer semantics, a foreign-key join) or
 * where it costs nothing (the table is materialized under a name). Elsewhere the old value is null,
 * and that is visible: a filter that cannot see old values forwards a delete for every record it
 * filters out, a table join forwards changes it would otherwise know changed nothing.
 *
 * Kafka Streams decides this while the DSL is called, each operator asking its parents as it is
 * created; the answer can depend on what was created before. This replays those requests over the
 * logical graph in creation order, with Kafka Streams' rules per operator, so every table ends up
 * with the decision Kafka Streams would have made.
 */
export class OldValues {
  private readonly graph: IrGraph;
  /** Tables whose processor forwards old values. */
  private readonly sending = new Set<number>();
  /** Tables for which a request to send old values succeeded (Kafka Streams' `KTableImpl.sendOldValues`). */
  private readonly granted = new Set<number>();
  /** Source tables whose store is materialized in Kafka Streams' sense (named, or needed by a lookup). */
  private readonly materializedSources = new Set<number>();

  constructor(graph: IrGraph) {
    this.graph = graph;
    for (const node of graph.nodes) this.created(node);
  }

  /** Whether the processor of this table forwards old values. */
  sends(id: number): boolean {
    return this.sending.has(id);
  }

  /**
   * Whether a source table (`builder.table`, `toTable`, a foreign-key join's result) is materialized
   * in Kafka Streams' sense: named, looked up by a join, or made to send old values. Kafka Streams
   * writes only such a table's store, and so caches only its updates.
   */
  materializes(id: number): boolean {
    return this.materializedSources.has(id);
  }

  /** What creating an operator asks of its parents. */
  private created(node: IrNode): void {
    switch (node.op) {
      case 'table-source':
      case 'to-table':
        if (!node.store.generated) this.materializedSources.add(node.id);
        return;
      case 'table-filter':
        // A filter sends old values when its parent already does, to spare the deletes otherwise needed.
        if (this.enable(node.parents[0], false)) this.sending.add(node.id);
        return;
      case 'table-group-by':
      case 'suppress':
        this.enable(node.parents[0], true);
        return;
      case 'table-table-join': {
        const [left, right] = [node.parents[0], node.parents[1]];
        if (node.joinType !== 'inner') this.enable(left, true);
        if (node.joinType === 'outer') this.enable(right, true);
        this.lookedUp(left);
        this.lookedUp(right);
        return;
      }
      case 'fk-join':
        this.enable(node.parents[1], true);
        this.enable(node.parents[0], true);
        this.lookedUp(node.parents[0]);
        this.lookedUp(node.parents[1]);
        if (!node.store?.generated && node.store) this.materializedSources.add(node.id);
        return;
      case 'stream-table-join':
        this.lookedUp(node.parents[1]);
        return;
      case 'process':
        if (node.oldValues) this.enable(node.parents[0], node.oldValues.force);
        return;
      default:
        return;
    }
  }

  /** Kafka Streams' `KTableImpl.enableSendingOldValues(forceMaterialization)`: true when granted. */
  private enable(id: number, force: boolean): boolean {
    if (this.granted.has(id)) return true;
    const node = this.graph.node(id);
    switch (node.op) {
      case 'table-source':
      case 'to-table':
      case 'fk-join':
        if (!force && !this.materializedSources.has(id)) return false;
        this.materializedSources.add(id);
        this.sending.add(id);
        break;
      case 'table-filter':
      case 'table-map-values':
      case 'table-transform-values':
        if (queryable(node) || this.enable(node.parents[0], force)) this.sending.add(id);
        if (!this.sending.has(id)) return false;
        break;
      case 'suppress':
        if (!this.enable(node.parents[0], force)) return false;
        break;
      case 'table-table-join':
        this.enable(node.parents[0], true);
        this.enable(node.parents[1], true);
        this.sending.add(id);
        break;
      case 'stream-aggregate':
      case 'windowed-aggregate':
      case 'session-aggregate':
      case 'cogroup-aggregate':
      case 'table-aggregate':
        this.sending.add(id);
        break;
      default:
        return false;
    }
    this.granted.add(id);
    return true;
  }

  /** A table whose values a join looks up: a source table behind it gets materialized. */
  private lookedUp(id: number): void {
    const node = this.graph.node(id);
    switch (node.op) {
      case 'table-source':
      case 'to-table':
        this.materializedSources.add(id);
        return;
      case 'table-filter':
      case 'table-map-values':
      case 'table-transform-values':
        if (!queryable(node)) this.lookedUp(node.parents[0]);
        return;
      case 'table-table-join':
        if (!queryable(node)) for (const parent of node.parents) this.lookedUp(parent);
        return;
      case 'suppress':
        this.lookedUp(node.parents[0]);
        return;
      default:
        return;
    }
  }
}

/** Materialized under a name the user gave: Kafka Streams' `queryableName != null`. */
function queryable(node: IrNode): boolean {
  return 'store' in node && node.store !== undefined && !node.store.generated;
}
