import { passThroughProcessor } from '../../processor/ops/stateless.ts';
import { outerKeySerde, outerValuesSerde } from '../../processor/ops/stream-join-outer-store.ts';
import {
  joinWindowProcessor,
  leftStreamJoinProcessor,
  rightStreamJoinProcessor,
} from '../../processor/ops/stream-stream-join.ts';
import type { StreamStreamJoinIr } from '../ir.ts';
import type { CompileContext } from './context.ts';

/**
 * A windowed stream-stream join: each input passes a window node that keeps its records in a window
 * store (duplicates retained), then a join processor that looks up the other input's store; a
 * pass-through node named after the join merges both processors' results. Left and outer joins add a
 * key-value store of records still waiting for a partner.
 */
export function compileStreamStreamJoin(node: StreamStreamJoinIr, context: CompileContext): void {
  const [leftId, rightId] = [node.parents[0], node.parents[1]];
  const { beforeMs, afterMs, graceMs } = node.windows;
  // As in Kafka Streams: each side's store keeps a record for the join window's size plus grace behind
  // the latest timestamp stored in it, and that retention is the only bound on lookups.
  const windowSizeMs = beforeMs + afterMs;
  const retentionMs = windowSizeMs + graceMs;
  for (const store of [node.thisStore, node.otherStore]) {
    context.addWindowStore(
      { ...store, retentionMs: undefined },
      {
        windowSizeMs,
        retentionMs,
        retainDuplicates: true,
        valueSerde: store === node.thisStore ? node.thisValueSerde : node.otherValueSerde,
      },
    );
  }
  if (node.outerStore) {
    const keySerde = context.keySerde(node.keySerde);
    context.addKeyValueStore(node.outerStore, {
      timestamped: false,
      keySerde: outerKeySerde(keySerde),
      valueSerde: outerValuesSerde(
        context.valueSerde(node.thisValueSerde),
        context.valueSerde(node.otherValueSerde),
      ),
    });
  }
  const stores = [
    node.thisStore.name,
    node.otherStore.name,
    ...(node.outerStore ? [node.outerStore.name] : []),
  ];
  const builder = context.builder;
  builder.addProcessor({
    name: node.thisWindowName,
    parents: [context.output(leftId)],
    supplier: joinWindowProcessor(node.thisStore.name),
    stores: [node.thisStore.name],
  });
  builder.addProcessor({
    name: node.otherWindowName,
    parents: [context.output(rightId)],
    supplier: joinWindowProcessor(node.otherStore.name),
    stores: [node.otherStore.name],
  });
  const joinOptions = {
    joinType: node.joinType,
    windows: node.windows,
    leftStoreName: node.thisStore.name,
    rightStoreName: node.otherStore.name,
    outerStoreName: node.outerStore?.name,
    joiner: node.joiner,
  };
  builder.addProcessor({
    name: node.thisJoinName,
    parents: [node.thisWindowName],
    supplier: leftStreamJoinProcessor(joinOptions),
    stores,
  });
  builder.addProcessor({
    name: node.otherJoinName,
    parents: [node.otherWindowName],
    supplier: rightStreamJoinProcessor(joinOptions),
    stores,
  });
  builder.addProcessor({
    name: node.name,
    parents: [node.thisJoinName, node.otherJoinName],
    supplier: passThroughProcessor(),
    stores: [],
  });
  context.setOutput(node.id, node.name);
  context.inheritTopics(node);
  context.builder.addCopartitionGroup([...context.topicsOf(leftId), ...context.topicsOf(rightId)]);
}
