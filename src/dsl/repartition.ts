import type { AnySerde, ErasedPartitioner } from '../topology/ir.ts';
import type { DslContext } from './context.ts';

/**
 * Adds a repartition step (a sink to an internal topic and a source reading it back) after `parent`
 * and returns the id of the node whose output is the repartitioned stream.
 */
export function repartitionNode(
  context: DslContext,
  parent: number,
  baseName: string,
  options: {
    keySerde: AnySerde;
    valueSerde: AnySerde;
    partitions: number | undefined;
    partitioner: ErasedPartitioner | undefined;
  },
): number {
  const graph = context.graph;
  const sinkName = graph.newName('KSTREAM-SINK');
  const node = graph.add({
    op: 'repartition',
    name: graph.newName('KSTREAM-SOURCE'),
    parents: [parent],
    topic: `${baseName}-repartition`,
    sinkName,
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
    partitions: options.partitions,
    partitioner: options.partitioner,
  });
  return node.id;
}
