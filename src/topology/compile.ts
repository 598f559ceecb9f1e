import { TopologyError } from '../errors.ts';
import type { CompileContext as CompileContextType, OpCompiler, OpCompilers } from './compile/context.ts';
import { aggregationCompilers } from './compile/aggregations.ts';
import { CompileContext } from './compile/context.ts';
import type { CompileOptions } from './compile-options.ts';
import { joinCompilers } from './compile/joins.ts';
import { statelessCompilers } from './compile/stateless.ts';
import { tableCompilers } from './compile/tables.ts';
import type { IrGraph, IrNode } from './ir.ts';
import { PhysicalTopologyBuilder } from './physical.ts';
import { Topology } from './topology.ts';
import { toError } from '../common/to-error.ts';

const compilers: OpCompilers = {
  ...statelessCompilers,
  ...tableCompilers,
  ...aggregationCompilers,
  ...joinCompilers,
};

/**
 * Compiles the logical graph into a physical topology. Nodes are written in the order they were
 * recorded (parents always come before children), except stores added for the Processor API, which
 * go first so any processor may name them.
 */
export function compile(graph: IrGraph, options: CompileOptions = {}): Topology {
  const builder = new PhysicalTopologyBuilder();
  const context = new CompileContext(graph, builder, options);
  const ordered = [
    ...graph.nodes.filter((n) => n.op === 'state-store'),
    ...graph.nodes.filter((n) => n.op !== 'state-store'),
  ];
  for (const node of ordered) compileNode(node, context);
  checkFixedCopartitioning(builder);
  return new Topology(builder, graph);
}

/**
 * Join inputs must have the same number of partitions. Counts of user topics are known only when the
 * application starts (and are checked then), but repartition topics given a fixed count are known now:
 * two different counts in one join can never work, so say so at build time.
 */
function checkFixedCopartitioning(builder: PhysicalTopologyBuilder): void {
  for (const group of builder.copartitionGroups) {
    const fixed = group.flatMap((topic) => {
      const def = builder.internalTopics.get(topic);
      return def?.kind === 'repartition' && def.partitions !== undefined
        ? [{ name: def.name, partitions: def.partitions }]
        : [];
    });
    if (new Set(fixed.map((def) => def.partitions)).size > 1) {
      const listing = fixed.map((def) => `"${def.name}" (${def.partitions} partitions)`).join(', ');
      throw new TopologyError(
        `topics joined with each other must have the same number of partitions, but ${listing} differ`,
      );
    }
  }
}

function compileNode(node: IrNode, context: CompileContextType): void {
  const compiler = compilers[node.op] as OpCompiler | undefined;
  if (!compiler) throw new TopologyError(`${node.name}: the operation "${node.op}" is not supported`);
  try {
    compiler(node, context);
  } catch (error) {
    if (error instanceof TopologyError) throw error;
    throw new TopologyError(`${node.name}: ${toError(error).message}`, { cause: error });
  }
}
