/**
 * The text form of a topology description, laid out exactly as Kafka Streams prints its
 * TopologyDescription, so people (and tools) used to that output read ours the same way.
 */
import type {
  GlobalStoreDescription,
  NodeDescription,
  ProcessorDescription,
  SourceDescription,
  SubtopologyDescription,
  TopologyDescriptionJson,
} from './describe.ts';

function names(list: readonly string[]): string {
  return list.length === 0 ? 'none' : list.join(', ');
}

function sourceText(node: SourceDescription): string {
  return `Source: ${node.name} (topics: [${node.topics.join(', ')}])\n      --> ${names(node.successors)}`;
}

function processorText(node: ProcessorDescription): string {
  return (
    `Processor: ${node.name} (stores: [${node.stores.join(', ')}])\n` +
    `      --> ${names(node.successors)}\n` +
    `      <-- ${names(node.predecessors)}`
  );
}

function nodeText(node: NodeDescription): string {
  switch (node.type) {
    case 'source':
      return sourceText(node);
    case 'processor':
      return processorText(node);
    case 'sink': {
      const target =
        node.topic !== undefined ? `topic: ${node.topic}` : `extractor class: ${node.topicExtractor}`;
      return `Sink: ${node.name} (${target})\n      <-- ${names(node.predecessors)}`;
    }
  }
}

function subtopologyText(sub: SubtopologyDescription): string {
  return `Sub-topology: ${sub.id}\n${sub.nodes.map((n) => `    ${nodeText(n)}\n`).join('')}\n`;
}

function globalStoreText(global: GlobalStoreDescription): string {
  return (
    `Sub-topology: ${global.id} for global store (will not generate tasks)\n` +
    `    ${sourceText(global.source)}\n` +
    `    ${processorText(global.processor)}\n`
  );
}

/**
 * Blocks in id order, each indented by two spaces after a one-space lead: the first block line reads
 * `   Sub-topology: 0` and later ones `  Sub-topology: 1`, as Kafka Streams prints them.
 */
export function descriptionToText(description: TopologyDescriptionJson): string {
  const blocks = [
    ...description.subtopologies.map((s) => ({ id: s.id, text: subtopologyText(s) })),
    ...description.globalStores.map((g) => ({ id: g.id, text: globalStoreText(g) })),
  ].sort((a, b) => a.id - b.id);
  return `Topologies:\n ${blocks.map((b) => `  ${b.text}`).join('')}`;
}
