import { describe, expect, it } from 'vitest';
import {
  Serdes,
  SessionWindows,
  SlidingWindows,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  defineTopic,
  keyValue,
  type KTable,
} from 'tributary';
import type { ProcessorContext } from '../../src/processor/api.ts';
import { suppressValueGetter } from '../../src/processor/ops/suppress.ts';
import type { TableValueGetterSupplier } from '../../src/processor/ops/value-getter.ts';
import { aggregationCompilers } from '../../src/topology/compile/aggregations.ts';
import { CompileContext, type OpCompiler } from '../../src/topology/compile/context.ts';
import { statelessCompilers } from '../../src/topology/compile/stateless.ts';
import { tableCompilers } from '../../src/topology/compile/tables.ts';
import { PhysicalTopologyBuilder } from '../../src/topology/physical.ts';

const events = defineTopic('events', Serdes.String(), Serdes.String());

/** Compiles the graph behind `tables` and returns each table's value getter. */
function valueGetters(tables: KTable<unknown, unknown>[]): TableValueGetterSupplier<unknown, unknown>[] {
  const graph = tables[0]!.context.graph;
  const context = new CompileContext(graph, new PhysicalTopologyBuilder());
  const compilers = { ...statelessCompilers, ...tableCompilers, ...aggregationCompilers };
  for (const node of graph.nodes) (compilers[node.op] as OpCompiler)(node, context);
  return tables.map((table) => context.valueGetter(table.nodeId));
}

describe('value getters of the tables aggregations produce', () => {
  it('every aggregation result table can be looked up, through the store that holds it', () => {
    const builder = new StreamsBuilder();
    const grouped = builder.stream(events).groupByKey();
    const tables = [
      grouped.count({ storeName: 'counts' }),
      grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count({ storeName: 'windowed' }),
      grouped.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).count({ storeName: 'sliding' }),
      grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count({ storeName: 'sessions' }),
      builder
        .table(defineTopic('users', Serdes.String(), Serdes.String()))
        .groupBy((k, v) => keyValue(v, k))
        .count({ storeName: 'by-value' }),
    ] as KTable<unknown, unknown>[];
    const suppressed = tables[1]!.suppress(Suppressed.untilWindowCloses(), { name: 'final' });
    expect(
      valueGetters([...tables, suppressed as KTable<unknown, unknown>]).map((g) => g.storeNames),
    ).toEqual([
      ['counts'],
      ['windowed'],
      ['sliding'],
      ['sessions'],
      ['by-value'],
      ['final-store', 'windowed'],
    ]);
  });

  it('a suppressed table reads, for a held-back key, the value downstream last saw; otherwise its parent', () => {
    const parent: TableValueGetterSupplier<string, string> = {
      storeNames: [],
      get: () => ({ init: () => undefined, get: (key) => ({ value: `parent-${key}`, timestamp: 5 }) }),
    };
    const buffer = new Map([
      ['held', { prior: 'seen-before', value: 'newer' }],
      ['new', { prior: null, value: 'first' }],
    ]);
    const getter = suppressValueGetter('buffer', parent).get();
    getter.init({ getStateStore: () => buffer } as unknown as ProcessorContext<unknown, unknown>);
    expect(getter.get('held')).toEqual({ value: 'seen-before', timestamp: -1 });
    expect(getter.get('new')).toBeUndefined();
    expect(getter.get('other')).toEqual({ value: 'parent-other', timestamp: 5 });
  });
});
