import { TopologyError } from '../../errors.ts';
import type { TableValueGetterSupplier } from '../../processor/ops/value-getter.ts';
import { streamAggregateProcessor } from '../../processor/ops/aggregate.ts';
import {
  sessionAggregation,
  streamAggregation,
  tableAggregation,
  type Aggregation,
  type SessionAggregation,
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
import { passThroughProcessor } from '../../processor/ops/stateless.ts';
import type {
  ErasedProcessorSupplier,
  CogroupAggregateIr,
  IrGraph,
  IrNode,
  SessionAggregateIr,
  SessionWindowsSpec,
  SlidingWindowsSpec,
  StoreIr,
  SuppressIr,
  TimeWindowsSpec,
  WindowedAggregateIr,
} from '../ir.ts';
import type { CompileContext, OpCompilers } from './context.ts';
import { materializeTable } from './tables.ts';
import { addSimpleProcessor } from './stateless.ts';

/** Whether an aggregation's result table is kept in a versioned store. */
function versioned(store: StoreIr): boolean {
  return store.historyRetentionMs !== undefined;
}

/**
 * Adds the store of an aggregation's result table and makes it the table's value getter. Aggregations
 * forward through the record cache, as Kafka Streams' do (a versioned store has no cache).
 */
function materialize(context: CompileContext, id: number, store: StoreIr): string {
  return materializeTable(context, id, store, { cacheable: true });
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
    case 'cogroup-aggregate':
      if (node.windows?.type === 'session') return node.windows.gapMs + node.windows.graceMs;
      if (node.windows) return node.windows.graceMs;
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
    return windowCloseDelay(graph, graph.node(node.parents[0]), [node.name]);
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

/**
 * Adds the window store of a time or sliding window aggregation and makes it the table's value getter;
 * returns the processor aggregating into it.
 */
function windowAggregate(
  node: WindowedAggregateIr | CogroupAggregateIr,
  windows: TimeWindowsSpec | SlidingWindowsSpec,
  emit: WindowEmit,
  context: CompileContext,
): (aggregation: Aggregation<unknown, unknown, unknown>) => ErasedProcessorSupplier {
  const sliding = windows.type === 'sliding';
  const sizeMs = sliding ? windows.timeDifferenceMs : windows.sizeMs;
  const retentionMs = sliding
    ? retention(node, 2 * sizeMs + windows.graceMs, 'twice the time difference plus the grace period')
    : retention(node, sizeMs + windows.graceMs, 'the window size plus the grace period');
  // Emitting on window close, Kafka Streams keeps windows in a time-ordered store, which also shows
  // the window exactly at the edge of retention (a window closes just as it reaches it): one more ms.
  context.addWindowStore(emit.onUpdate ? node.store : { ...node.store, retentionMs: retentionMs + 1 }, {
    windowSizeMs: sizeMs,
    retentionMs,
    retainDuplicates: false,
    // Each window keeps the largest timestamp aggregated into it: results carry it, and sliding
    // windows use it to tell which records a window holds.
    timestamped: true,
    // Emitting on window close, nothing is forwarded on update, so there is nothing for a cache to
    // merge (Kafka Streams turns caching off then for sliding windows; its cache of time windows only
    // delays their writes).
    cacheable: emit.onUpdate,
  });
  context.setValueGetter(node.id, windowStoreValueGetter(node.store.name));
  return (aggregation) =>
    windows.type === 'sliding'
      ? slidingAggregateProcessor(node.store.name, windows, aggregation, emit)
      : windowedAggregateProcessor(node.store.name, windows, aggregation, emit);
}

/** Adds the session store of a session aggregation and makes it the table's value getter. */
function sessionAggregate(
  node: SessionAggregateIr | CogroupAggregateIr,
  windows: SessionWindowsSpec,
  emit: WindowEmit,
  context: CompileContext,
): (aggregation: SessionAggregation<unknown, unknown, unknown>) => ErasedProcessorSupplier {
  const retentionMs = retention(
    node,
    windows.gapMs + windows.graceMs,
    'the inactivity gap plus the grace period',
  );
  // Kafka Streams turns caching off for sessions emitting on window close.
  context.addSessionStore(node.store, { retentionMs, cacheable: emit.onUpdate });
  context.setValueGetter(node.id, sessionStoreValueGetter(node.store.name));
  return (aggregation) => sessionAggregateProcessor(node.store.name, windows, aggregation, emit);
}

/** The aggregation of a cogroup's `i`th input: the shared initializer with that input's aggregator. */
function cogroupAggregation(node: CogroupAggregateIr, i: number): Aggregation<unknown, unknown, unknown> {
  return streamAggregation({
    kind: 'aggregate',
    initializer: node.initializer,
    aggregator: node.aggregators[i],
  });
}

export const aggregationCompilers: OpCompilers = {
  'stream-aggregate': (node, context) => {
    const store = materialize(context, node.id, node.store);
    addSimpleProcessor(
      node,
      context,
      streamAggregateProcessor(
        store,
        streamAggregation(node),
        context.oldValues.sends(node.id),
        versioned(node.store),
      ),
      [store],
    );
  },

  'windowed-aggregate': (node, context) => {
    const aggregate = windowAggregate(node, node.windows, windowEmit(node, context), context);
    addSimpleProcessor(node, context, aggregate(streamAggregation(node)), [node.store.name]);
  },

  'session-aggregate': (node, context) => {
    const aggregate = sessionAggregate(node, node.windows, windowEmit(node, context), context);
    addSimpleProcessor(node, context, aggregate(sessionAggregation(node)), [node.store.name]);
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
      valueSerde: bufferedChangeSerde(valueSerde),
    });
    const parentGetter = optionalValueGetter(context, node.parents[0]);
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

  // One processor per input, each with its aggregator, all aggregating into one store; a pass-through
  // node merges their results into the table (Kafka Streams' CogroupedStreamAggregateBuilder).
  'cogroup-aggregate': (node, context) => {
    const windows = node.windows;
    // Kafka Streams has no emit strategy for cogroups: they emit every update.
    const emit: WindowEmit = { onUpdate: true, sendOldValues: context.oldValues.sends(node.id) };
    let aggregate: (input: number) => ErasedProcessorSupplier;
    if (!windows) {
      const store = materialize(context, node.id, node.store);
      aggregate = (i) =>
        streamAggregateProcessor(
          store,
          cogroupAggregation(node, i),
          emit.sendOldValues,
          versioned(node.store),
        );
    } else if (windows.type === 'session') {
      const merger = node.merger;
      if (!merger) throw new TopologyError(`${node.name}: session windows need a merger`);
      const session = sessionAggregate(node, windows, emit, context);
      aggregate = (i) => session({ ...cogroupAggregation(node, i), merger });
    } else {
      const windowed = windowAggregate(node, windows, emit, context);
      aggregate = (i) => windowed(cogroupAggregation(node, i));
    }
    node.parents.forEach((parent, i) => {
      context.builder.addProcessor({
        name: node.aggregateNames[i]!,
        parents: [context.output(parent)],
        supplier: aggregate(i),
        stores: [node.store.name],
      });
    });
    context.builder.addProcessor({
      name: node.name,
      parents: [...node.aggregateNames],
      supplier: passThroughProcessor(),
      stores: [],
    });
    context.setOutput(node.id, node.name);
    context.inheritTopics(node);
    context.builder.addCopartitionGroup([...context.topicsOf(node.id)]);
  },

  'table-group-by': (node, context) => {
    const keySerde = context.keySerde(node.keySerde);
    const valueSerde = changeSerde(context.valueSerde(node.valueSerde));
    const topic = { name: node.topic, internal: true };
    context.builder.addProcessor({
      name: node.name,
      parents: context.parentOutputs(node),
      supplier: tableGroupByProcessor(
        node.name,
        node.selector,
        keySerde,
        context.versioned.isVersioned(node.parents[0]),
      ),
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
      tableAggregateProcessor(
        node.name,
        store,
        tableAggregation(node),
        context.oldValues.sends(node.id),
        versioned(node.store),
      ),
      [store],
    );
  },
};
