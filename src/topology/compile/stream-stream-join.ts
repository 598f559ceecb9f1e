import { TopologyError } from '../../errors.ts';
import type { StreamStreamJoinIr } from '../ir.ts';
import type { CompileContext } from './context.ts';

export function compileStreamStreamJoin(node: StreamStreamJoinIr, _context: CompileContext): void {
  throw new TopologyError(`${node.name}: stream-stream joins are not available yet`);
}
