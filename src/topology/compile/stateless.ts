import { TopologyError } from '../../errors.ts';
import {
  filterProcessor,
  flatMapProcessor,
  flatMapValuesProcessor,
  mapProcessor,
  mapValuesProcessor,
  passThroughProcessor,
  peekProcessor,
  selectKeyProcessor,
  splitProcessor,
} from '../../processor/ops/stateless.ts';
import type { ErasedProcessorSupplier, IrNode, MapIr } from '../ir.ts';
import type { TopicNameExtractor } from '../functions.ts';
import type { CompileContext, OpCompilers } from './context.ts';

/** Adds a processor reading the IR node's parents and makes it the node's output. */
export function addSimpleProcessor(
  node: IrNode,
  context: CompileContext,
  supplier: ErasedProcessorSupplier,
  stores: readonly string[] = [],
): void {
  context.builder.addProcessor({ name: node.name, parents: context.parentOutputs(node), supplier, stores });
  context.setOutput(node.id, node.name);
  context.inheritTopics(node);
}

function mapSupplier(node: MapIr): ErasedProcessorSupplier {
  switch (node.op) {
    case 'map':
      return mapProcessor(node.mapper);
    case 'map-values':
      return mapValuesProcessor(node.mapper);
    case 'flat-map':
      return flatMapProcessor(node.mapper);
    case 'flat-map-values':
      return flatMapValuesProcessor(node.mapper);
    case 'select-key':
      return selectKeyProcessor(node.mapper);
  }
}

/** A topic chosen per record is a user topic too: it gets the build's renaming. */
function renamedExtractor(
  extractor: TopicNameExtractor<unknown, unknown>,
  context: CompileContext,
): TopicNameExtractor<unknown, unknown> {
  if (!context.renamesTopics) return extractor;
  return (key, value, record) => context.externalTopic(extractor(key, value, record));
}

const compileMap = (node: MapIr, context: CompileContext) =>
  addSimpleProcessor(node, context, mapSupplier(node));

export const statelessCompilers: OpCompilers = {
  'stream-source': (node, context) => {
    const topics = node.topics.map((name) => context.externalTopic(name));
    // As Kafka Streams merges source nodes: a second stream() of exactly the same topics reads
    // through the first one's source node.
    const existing = context.sourceReading(topics);
    if (existing) {
      const differs = (a: { name: string } | undefined, b: { name: string }) =>
        a !== undefined && a.name !== b.name;
      if (differs(node.keySerde, existing.keySerde) || differs(node.valueSerde, existing.valueSerde))
        throw new TopologyError(
          `${node.name}: topics ${topics.join(', ')} are already read by ${existing.name} with other serdes; read them once and share the stream`,
        );
      context.setOutput(node.id, existing.name);
      context.setTopics(node.id, topics);
      return;
    }
    context.builder.addSource({
      name: node.name,
      topics: topics.map((name) => ({ name, internal: false })),
      keySerde: context.keySerde(node.keySerde),
      valueSerde: context.valueSerde(node.valueSerde),
      timestampExtractor: node.timestampExtractor,
    });
    context.setOutput(node.id, node.name);
    context.setTopics(node.id, topics);
  },
  filter: (node, context) => addSimpleProcessor(node, context, filterProcessor(node.predicate, node.negate)),
  map: compileMap,
  'map-values': compileMap,
  'flat-map': compileMap,
  'flat-map-values': compileMap,
  'select-key': compileMap,
  peek: (node, context) => addSimpleProcessor(node, context, peekProcessor(node.action, false)),
  foreach: (node, context) => {
    context.builder.addProcessor({
      name: node.name,
      parents: context.parentOutputs(node),
      supplier: peekProcessor(node.action, true),
      stores: [],
    });
  },
  merge: (node, context) => addSimpleProcessor(node, context, passThroughProcessor()),
  split: (node, context) => addSimpleProcessor(node, context, splitProcessor(node.branches)),
  branch: (node, context) => addSimpleProcessor(node, context, passThroughProcessor()),
  repartition: (node, context) => {
    const parents = context.parentOutputs(node);
    const topic = { name: node.topic, internal: true };
    context.builder.addInternalTopic({
      name: node.topic,
      kind: 'repartition',
      partitions: node.partitions,
      config: {},
    });
    context.builder.addSink({
      name: node.sinkName,
      parents,
      topic,
      keySerde: context.keySerde(node.keySerde),
      valueSerde: context.valueSerde(node.valueSerde),
      partitioner: node.partitioner,
    });
    context.builder.addSource({
      name: node.name,
      topics: [topic],
      keySerde: context.keySerde(node.keySerde),
      valueSerde: context.valueSerde(node.valueSerde),
      timestampExtractor: undefined,
    });
    context.setOutput(node.id, node.name);
    context.setTopics(node.id, [node.topic]);
  },
  to: (node, context) => {
    if (typeof node.topic === 'string' && node.topic.length === 0)
      throw new TopologyError(`${node.name}: the topic name is empty`);
    context.builder.addSink({
      name: node.name,
      parents: context.parentOutputs(node),
      topic:
        typeof node.topic === 'string'
          ? { name: context.externalTopic(node.topic), internal: false }
          : renamedExtractor(node.topic, context),
      keySerde: context.keySerde(node.keySerde),
      valueSerde: context.valueSerde(node.valueSerde),
      partitioner: node.partitioner,
    });
  },
  process: (node, context) => addSimpleProcessor(node, context, node.supplier, node.stores),
  // A fixed-key processor is a processor whose records keep their keys, which its types ensure.
  'process-values': (node, context) => addSimpleProcessor(node, context, node.supplier, node.stores),
  'state-store': (node, context) => context.addStore(node.spec),
};
