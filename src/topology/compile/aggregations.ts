import { TopologyError } from '../../errors.ts';
import type { TableValueGetterSupplier } from '../../processor/ops/value-getter.ts';
import { storeValueGetter } from '../../processor/ops/value-getter.ts';
import { streamAggregateProcessor } from '../../processor/ops/aggregate.ts';
import {
  sessionAggregation,
  streamAggregation,
  tableAggregation,
} from '../../processor/ops/aggregation-functions.ts';
import { changeSerde } from '../../processor/ops/change-serde.ts';
import { bufferedChangeSerde } from '../../processor/ops/suppress-buffer.ts';
import { suppressProcessor, suppressValueGetter } from '../../processor/ops/suppress.ts';
import { tableAggregateProcessor, tableGroupByProcessor } from '../../processor/ops/table-aggregate.ts';
import { sessionAggregateProcessor, sessionStoreValueGetter } from '../../processor/ops/session-aggregate.ts';
import { slidingAggregateProcessor } from '../../processor/ops/sliding-aggregate.ts';
import {
  windowedAggregateProcessor,
  windowStoreValueGetter,
  type WindowEmit,
} from '../../processor/ops/windowed-aggregate.ts';
import type {
  AnySerde,
  IrGraph,
  IrNode,
  SessionAggregateIr,
  StoreIr,
  SuppressIr,
  WindowedAggregateIr,
} from '../ir.ts';
import type { CompileContext, OpCompilers } from './context.ts';
import { addSimpleProcessor } from './stateless.ts';

/** Adds the timestamped store of an aggregation's result table and makes it the table's value getter. */
function materialize(context: CompileContext, id: number, store: StoreIr): string {
  context.addKeyValueStore(store, { timestamped: true });
  context.setValueGetter(id, storeValueGetter(store.name));
  return store.name;
}

/** Window and session stores must keep windows at least as long as they can still change. */
function retention(node: IrNode & { store: StoreIr }, minimumMs: number, why: string): number {
  const retentionMs = node.store.retentionMs ?? minimumMs;
  if (retentionMs < minimumMs) {
    throw new TopologyError(
      `${node.name}: the retention of store "${node.store.name}" (${retentionMs} ms) must be at least ${why} (${minimumMs} ms)`,
    );
  }
  return retentionMs;
}

/**
 * How long after a window's end its result is final: the grace of the windowed aggregation the table
 * comes from (for sessions also the inactivity gap, as a session can still grow by that much). With
 * several windowed ancestors (a join of windowed tables), the largest.
 */
function windowCloseDelay(graph: IrGraph, node: IrNode, chain: string[] = []): number {
  switch (node.op) {
    case 'windowed-aggregate':
      return node.windows.graceMs;
    case 'session-aggregate':
      return node.windows.gapMs + node.windows.graceMs;
  }
  const path = [node.name, ...chain];
  if (node.parents.length === 0) {
    throw new TopologyError(
      `suppress until windows close needs a windowed table, but ${path.join(' -> ')} has no windowed aggregation`,
    );
  }
  return Math.max(...node.parents.map((p) => windowCloseDelay(graph, graph.node(p), path)));
}

function suppressWait(node: SuppressIr, graph: IrGraph): number {
  if (
    node.spec.until === 'window-close' &&
    node.spec.whenFull === 'emit-early' &&
    (node.spec.maxRecords !== undefined || node.spec.maxBytes !== undefined)
  )
    throw new TopologyError(
      `${node.name}: a buffer of final results cannot emit early when full (it would emit results that are not final); use whenFull: 'shutdown' or no limit`,
    );
  if (node.spec.until === 'window-close')
    return windowCloseDelay(graph, graph.node(node.parents[0]!), [node.name]);
  const limit = node.spec.timeLimitMs;
  if (limit === undefined || !Number.isFinite(limit) || limit < 0)
    throw new TopologyError(
      `${node.name}: the suppression time limit must be a non-negative number of ms, got ${limit}`,
    );
  return limit;
}

/** The parent table's value getter, when it has one (suppress then offers one too). */
function optionalValueGetter(
  context: CompileContext,
  id: number,
): TableValueGetterSupplier<unknown, unknown> | undefined {
  try {
    return context.valueGetter(id);
  } catch (error) {
    if (error instanceof TopologyError) return undefined;
    throw error;
  }
}

/** How a windowed aggregation emits: every update (with old values if they are sent), or final results only. */
function windowEmit(node: WindowedAggregateIr | SessionAggregateIr, context: CompileContext): WindowEmit {
  return {
    onUpdate: node.emitStrategy !== 'on-window-close',
    sendOldValues: context.oldValues.sends(node.id),
  };
}

export const aggregationCompilers: OpCompilers = {
  'stream-aggregate': (node, context) => {
    const store = materialize(context, node.id, node.store);
    addSimpleProcessor(
      node,
      context,
      streamAggregateProcessor(store, streamAggregation(node), context.oldValues.sends(node.id)),
      [store],
    );
  },

  'windowed-aggregate': (node, context) => {
    const windows = node.windows;
    const sliding = windows.type === 'sliding';
    const sizeMs = sliding ? windows.timeDifferenceMs : windows.sizeMs;
    const retentionMs = sliding
      ? retention(node, 2 * sizeMs + windows.graceMs, 'twice the time difference plus the grace period')
      : retention(node, sizeMs + windows.graceMs, 'the window size plus the grace period');
    // Emitting on window close, Kafka Streams keeps windows in a time-ordered store, which also shows
    // the window exactly at the edge of retention (a window closes just as it reaches it): one more ms.
    const onClose = node.emitStrategy === 'on-window-close';
    context.addWindowStore(onClose ? { ...node.store, retentionMs: retentionMs + 1 } : node.store, {
      windowSizeMs: sizeMs,
      retentionMs,
      retainDuplicates: false,
      // Each window keeps the largest timestamp aggregated into it: results carry it, and sliding
      // windows use it to tell which records a window holds.
      timestamped: true,
    });
    context.setValueGetter(node.id, windowStoreValueGetter(node.store.name));
    const aggregation = streamAggregation(node);
    const supplier = sliding
      ? slidingAggregateProcessor(node.store.name, windows, aggregation, windowEmit(node, context))
      : windowedAggregateProcessor(node.store.name, windows, aggregation, windowEmit(node, context));
    addSimpleProcessor(node, context, supplier, [node.store.name]);
  },

  'session-aggregate': (node, context) => {
    const windows = node.windows;
    const retentionMs = retention(
      node,
      windows.gapMs + windows.graceMs,
      'the inactivity gap plus the grace period',
    );
    context.addSessionStore(node.store, { retentionMs });
    context.setValueGetter(node.id, sessionStoreValueGetter(node.store.name));
    addSimpleProcessor(
      node,
      context,
      sessionAggregateProcessor(
        node.store.name,
        windows,
        sessionAggregation(node),
        windowEmit(node, context),
      ),
      [node.store.name],
    );
  },

  suppress: (node, context) => {
    const waitMs = suppressWait(node, context.graph);
    const keySerde = context.keySerde(node.keySerde);
    const valueSerde = context.valueSerde(node.valueSerde);
    // The buffer outlives restarts through its changelog, so no held-back result is lost.
    const bufferStore: StoreIr = {
      name: node.storeName,
      generated: true,
      backend: 'leveldb',
      logging: true,
      loggingConfig: {},
      keySerde,
      valueSerde,
      retentionMs: undefined,
    };
    context.addKeyValueStore(bufferStore, {
      timestamped: false,
      keySerde,
      valueSerde: bufferedChangeSerde(valueSerde) as AnySerde,
    });
    const parentGetter = optionalValueGetter(context, node.parents[0]!);
    if (parentGetter) context.setValueGetter(node.id, suppressValueGetter(node.storeName, parentGetter));
    addSimpleProcessor(
      node,
      context,
      suppressProcessor({
        name: node.name,
        storeName: node.storeName,
        keySerde,
        valueSerde,
        spec: node.spec,
        waitMs,
      }),
      [node.storeName],
    );
  },

  'table-group-by': (node, context) => {
    const keySerde = context.keySerde(node.keySerde);
    const valueSerde = changeSerde(context.valueSerde(node.valueSerde)) as AnySerde;
    const topic = { name: node.topic, internal: true };
    context.builder.addProcessor({
      name: node.name,
      parents: context.parentOutputs(node),
      supplier: tableGroupByProcessor(node.name, node.selector, keySerde),
      stores: [],
    });
    context.builder.addInternalTopic({
      name: node.topic,
      kind: 'repartition',
      partitions: undefined,
      config: {},
    });
    context.builder.addSink({
      name: node.sinkName,
      parents: [node.name],
      topic,
      keySerde,
      valueSerde,
      partitioner: undefined,
    });
    context.builder.addSource({
      name: node.sourceName,
      topics: [topic],
      keySerde,
      valueSerde,
      timestampExtractor: undefined,
    });
    context.setOutput(node.id, node.sourceName);
    context.setTopics(node.id, [node.topic]);
  },

  'table-aggregate': (node, context) => {
    const store = materialize(context, node.id, node.store);
    addSimpleProcessor(
      node,
      context,
      tableAggregateProcessor(node.name, store, tableAggregation(node), context.oldValues.sends(node.id)),
      [store],
    );
  },
};
