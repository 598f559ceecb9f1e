import { foreignTableJoinProcessor } from '../../processor/ops/fk-join/foreign-table-join.ts';
import { responseJoinProcessor } from '../../processor/ops/fk-join/response-join.ts';
import { subscriptionReceiveProcessor } from '../../processor/ops/fk-join/subscription-receive.ts';
import { subscriptionSendProcessor } from '../../processor/ops/fk-join/subscription-send.ts';
import {
  combinedKeySerde,
  foreignKeyPrefixSerde,
  responseSerde,
  subscriptionSerde,
  type SubscriptionResponse,
} from '../../processor/ops/fk-join/wrappers.ts';
import { tableSourceProcessor } from '../../processor/ops/table.ts';
import type { SerdeContext } from '../../serde/serde.ts';
import type { StreamPartitioner } from '../functions.ts';
import type { ForeignKeyJoinIr, StoreIr } from '../ir.ts';
import type { CompileContext } from './context.ts';
import { materializeTable } from './tables.ts';

/** Every name a foreign-key join adds, derived from its prefix so the same DSL always yields the same ones. */
export function foreignKeyJoinNames(prefix: string) {
  return {
    sendName: `${prefix}-SUBSCRIPTION-REGISTRATION-PROCESSOR`,
    subscriptionSink: `${prefix}-SUBSCRIPTION-REGISTRATION-SINK`,
    subscriptionTopic: `${prefix}-SUBSCRIPTION-REGISTRATION-topic`,
    subscriptionSource: `${prefix}-SUBSCRIPTION-REGISTRATION-SOURCE`,
    subscriptionStore: `${prefix}-SUBSCRIPTION-STATE-STORE`,
    receiveName: `${prefix}-SUBSCRIPTION-RECEIVE`,
    foreignJoinName: `${prefix}-FOREIGN-JOIN-SUBSCRIPTION`,
    responseSink: `${prefix}-SUBSCRIPTION-RESPONSE-SINK`,
    responseTopic: `${prefix}-SUBSCRIPTION-RESPONSE-topic`,
    responseSource: `${prefix}-SUBSCRIPTION-RESPONSE-SOURCE`,
    resolverName: `${prefix}-SUBSCRIPTION-RESPONSE-RESOLVER`,
    resultStore: `${prefix}-OUTPUT-STATE-STORE`,
  };
}

/**
 * A foreign-key table-table join (each left row joins the right row its foreign key names). The left
 * side sends subscriptions, keyed by foreign key, through a repartition topic to the right side, which
 * remembers them in a store keyed by (foreign key, primary key) and answers, now and whenever the
 * right row changes, through a second topic routed back to the left row's partition. The left side
 * drops stale answers and keeps the result in a store, so it can forward old values and be looked up.
 */
export function compileForeignKeyJoin(node: ForeignKeyJoinIr, context: CompileContext): void {
  const [leftId, rightId] = [node.parents[0], node.parents[1]];
  const names = foreignKeyJoinNames(node.prefix);
  const leftGetter = context.valueGetter(leftId);
  const rightGetter = context.valueGetter(rightId);
  const keySerde = context.keySerde(node.keySerde);
  const valueSerde = context.valueSerde(node.valueSerde);
  const foreignKeySerde = context.keySerde(node.foreignKeySerde);
  const foreignValueSerde = context.valueSerde(node.otherValueSerde);
  // Serialization contexts name pseudo-topics, as registry-aware serdes need a subject for each kind.
  const pkContext: SerdeContext = { topic: `${names.subscriptionTopic}-pk`, part: 'key' };
  const fkContext: SerdeContext = { topic: `${names.subscriptionTopic}-fk`, part: 'key' };
  const hashContext: SerdeContext = { topic: `${names.subscriptionTopic}-vh`, part: 'value' };
  const foreignValueContext: SerdeContext = { topic: names.responseTopic, part: 'value' };
  const subscriptions = subscriptionSerde(keySerde, pkContext);
  const responses = responseSerde(foreignValueSerde, foreignValueContext);
  const builder = context.builder;

  // Left side: subscriptions out.
  builder.addProcessor({
    name: names.sendName,
    parents: [context.output(leftId)],
    supplier: subscriptionSendProcessor({
      leftJoin: node.joinType === 'left',
      foreignKeyExtractor: node.foreignKeyExtractor,
      foreignKeySerde,
      foreignKeyContext: fkContext,
      valueSerde,
      valueContext: hashContext,
      sinkName: names.subscriptionSink,
      resolverName: names.resolverName,
      versionedSemantics: context.versioned.isVersioned(leftId),
    }),
    stores: [],
  });
  builder.addInternalTopic({
    name: names.subscriptionTopic,
    kind: 'repartition',
    partitions: undefined,
    config: {},
  });
  builder.addSink({
    name: names.subscriptionSink,
    parents: [names.sendName],
    topic: { name: names.subscriptionTopic, internal: true },
    keySerde: foreignKeySerde,
    valueSerde: subscriptions,
    partitioner: undefined,
  });

  // Right side: the subscription store, answers to new subscriptions and to right-row changes.
  builder.addSource({
    name: names.subscriptionSource,
    topics: [{ name: names.subscriptionTopic, internal: true }],
    keySerde: foreignKeySerde,
    valueSerde: subscriptions,
    timestampExtractor: undefined,
  });
  context.addKeyValueStore(internalStore(node, names.subscriptionStore), {
    timestamped: true,
    keySerde: combinedKeySerde(foreignKeySerde, fkContext, keySerde, pkContext),
    valueSerde: subscriptions,
  });
  builder.addProcessor({
    name: names.receiveName,
    parents: [names.subscriptionSource],
    supplier: subscriptionReceiveProcessor({
      storeName: names.subscriptionStore,
      foreignGetter: rightGetter,
    }),
    stores: [names.subscriptionStore, ...rightGetter.storeNames],
  });
  builder.addProcessor({
    name: names.foreignJoinName,
    parents: [context.output(rightId)],
    supplier: foreignTableJoinProcessor({
      storeName: names.subscriptionStore,
      prefixSerde: foreignKeyPrefixSerde(foreignKeySerde, fkContext),
      versionedSemantics: context.versioned.isVersioned(rightId),
    }),
    stores: [names.subscriptionStore],
  });
  builder.addInternalTopic({
    name: names.responseTopic,
    kind: 'repartition',
    partitions: undefined,
    config: {},
  });
  // Answers go back to the partition the subscription came from, whatever partitioner the left side used.
  const toSubscriber: StreamPartitioner<unknown, unknown> = (_topic, _key, value) =>
    (value as SubscriptionResponse<unknown>).primaryPartition;
  builder.addSink({
    name: names.responseSink,
    parents: [names.receiveName, names.foreignJoinName],
    topic: { name: names.responseTopic, internal: true },
    keySerde,
    valueSerde: responses,
    partitioner: toSubscriber,
  });

  // Left side again: answers in, stale ones dropped, results kept.
  builder.addSource({
    name: names.responseSource,
    topics: [{ name: names.responseTopic, internal: true }],
    keySerde,
    valueSerde: responses,
    timestampExtractor: undefined,
  });
  builder.addProcessor({
    name: names.resolverName,
    parents: [names.responseSource, names.sendName],
    supplier: responseJoinProcessor({
      leftJoin: node.joinType === 'left',
      leftGetter,
      valueSerde,
      valueContext: hashContext,
      joiner: node.joiner,
    }),
    stores: leftGetter.storeNames,
  });
  const resultStore = node.store ?? internalStore(node, names.resultStore);
  // The result is a source table in Kafka Streams (a KTableSource): it caches when materialized.
  materializeTable(
    context,
    node.id,
    { ...resultStore, keySerde: resultStore.keySerde ?? keySerde },
    { cacheable: context.oldValues.materializes(node.id) },
  );
  builder.addProcessor({
    name: node.name,
    parents: [names.resolverName],
    supplier: tableSourceProcessor(
      resultStore.name,
      context.oldValues.sends(node.id),
      resultStore.historyRetentionMs !== undefined,
    ),
    stores: [resultStore.name],
  });
  context.setOutput(node.id, node.name);

  context.setTopics(node.id, [...context.topicsOf(leftId), names.responseTopic]);
  builder.addCopartitionGroup([names.subscriptionTopic, ...context.topicsOf(rightId)]);
  builder.addCopartitionGroup([names.responseTopic, ...context.topicsOf(leftId)]);
}

/** A store the join needs for itself; it follows the result's backend when the caller chose one. */
function internalStore(node: ForeignKeyJoinIr, name: string): StoreIr {
  return {
    name,
    generated: true,
    backend: node.store?.backend ?? 'leveldb',
    logging: true,
    loggingConfig: {},
    keySerde: undefined,
    valueSerde: undefined,
    retentionMs: undefined,
  };
}
