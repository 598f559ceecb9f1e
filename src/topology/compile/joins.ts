import { TopologyError } from '../../errors.ts';
import { reversed } from '../../processor/ops/join-common.ts';
import { lookupJoinProcessor } from '../../processor/ops/stream-table-join.ts';
import {
  tableJoinKinds,
  tableJoinMergeProcessor,
  tableJoinProcessor,
  tableJoinValueGetter,
} from '../../processor/ops/table-table-join.ts';
import { storeValueGetter } from '../../processor/ops/value-getter.ts';
import { bytesSerde } from '../../serde/primitives.ts';
import type { CompileContext, OpCompilers } from './context.ts';
import { materializeTable } from './tables.ts';
import { compileForeignKeyJoin } from './fk-join.ts';
import { compileStreamStreamJoin } from './stream-stream-join.ts';

/** Join inputs must be partitioned alike, so that equal keys meet in the same task. */
function copartition(context: CompileContext, left: number, right: number): void {
  context.builder.addCopartitionGroup([...context.topicsOf(left), ...context.topicsOf(right)]);
}

export const joinCompilers: OpCompilers = {
  'stream-table-join': (node, context) => {
    const [streamId, tableId] = node.parents;
    const getter = context.valueGetter(tableId);
    const buffer = node.bufferStore;
    if (node.gracePeriodMs !== undefined && buffer) {
      // As Kafka Streams checks it when building: the table must be versioned, and keep history at
      // least as long as stream records wait.
      if (!getter.versioned)
        throw new TopologyError('KTable must be versioned to use a grace period in a stream table join.');
      if (node.gracePeriodMs > getter.versioned.historyRetentionMs)
        throw new TopologyError('History retention must be at least grace period.');
      context.addKeyValueStore(buffer, {
        timestamped: false,
        keySerde: bytesSerde(),
        valueSerde: bytesSerde(),
      });
    }
    context.builder.addProcessor({
      name: node.name,
      parents: [context.output(streamId)],
      supplier: lookupJoinProcessor({
        joinType: node.joinType,
        getter,
        lookupKey: (key) => key,
        joiner: node.joiner,
        ...(node.gracePeriodMs !== undefined && buffer
          ? {
              buffer: {
                storeName: buffer.name,
                graceMs: node.gracePeriodMs,
                keySerde: context.keySerde(buffer.keySerde),
                valueSerde: context.valueSerde(buffer.valueSerde),
              },
            }
          : {}),
      }),
      stores:
        buffer && node.gracePeriodMs !== undefined ? [...getter.storeNames, buffer.name] : getter.storeNames,
    });
    context.setOutput(node.id, node.name);
    context.inheritTopics(node);
    copartition(context, streamId, tableId);
  },
  'stream-global-join': (node, context) => {
    context.builder.addProcessor({
      name: node.name,
      parents: context.parentOutputs(node),
      supplier: lookupJoinProcessor({
        joinType: node.joinType,
        getter: storeValueGetter(node.globalStoreName),
        lookupKey: node.keySelector,
        joiner: node.joiner,
      }),
      stores: [node.globalStoreName],
    });
    context.setOutput(node.id, node.name);
    context.inheritTopics(node);
  },
  'table-table-join': (node, context) => {
    const [leftId, rightId] = node.parents;
    const leftGetter = context.valueGetter(leftId);
    const rightGetter = context.valueGetter(rightId);
    const joiner = node.joiner;
    const kinds = tableJoinKinds(node.joinType);
    const sendOldValues = context.oldValues.sends(node.id);
    context.builder.addProcessor({
      name: node.thisJoinName,
      parents: [context.output(leftId)],
      supplier: tableJoinProcessor({
        kind: kinds.left,
        otherGetter: rightGetter,
        joiner,
        sendOldValues,
        versionedSemantics: context.versioned.isVersioned(leftId),
      }),
      stores: rightGetter.storeNames,
    });
    context.builder.addProcessor({
      name: node.otherJoinName,
      parents: [context.output(rightId)],
      supplier: tableJoinProcessor({
        kind: kinds.right,
        otherGetter: leftGetter,
        joiner: reversed(joiner),
        sendOldValues,
        versionedSemantics: context.versioned.isVersioned(rightId),
      }),
      stores: leftGetter.storeNames,
    });
    if (node.store) {
      // Kafka Streams keeps a materialized join's result in its store, named or not, and so caches it.
      materializeTable(context, node.id, node.store, { cacheable: true });
    } else {
      context.setValueGetter(node.id, tableJoinValueGetter(node.joinType, leftGetter, rightGetter, joiner));
    }
    context.builder.addProcessor({
      name: node.name,
      parents: [node.thisJoinName, node.otherJoinName],
      supplier: tableJoinMergeProcessor(
        node.store?.name,
        sendOldValues,
        node.store?.historyRetentionMs !== undefined,
      ),
      stores: node.store ? [node.store.name] : [],
    });
    context.setOutput(node.id, node.name);
    context.inheritTopics(node);
    copartition(context, leftId, rightId);
  },
  'stream-stream-join': compileStreamStreamJoin,
  'fk-join': compileForeignKeyJoin,
};
