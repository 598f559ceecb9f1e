import { TopologyError } from '../../errors.ts';
import type { ForeignKeyJoinIr } from '../ir.ts';
import type { CompileContext } from './context.ts';

export function compileForeignKeyJoin(node: ForeignKeyJoinIr, _context: CompileContext): void {
  throw new TopologyError(`${node.name}: foreign-key joins are not available yet`);
}
