/**
 * What Kafka Streams' KTableKTable{Inner,Left,Outer}JoinTest share: two tables of Integer keys and
 * String values joined by key, and the sequence of updates their doTestJoin-style helpers pipe.
 */
import { Serdes, StreamsBuilder, type KTable, type Materialized, type Topology } from 'tributary';
import type { TestInputTopic, TopologyTestDriver, TopologyTestDriverOptions } from 'tributary/testing';
import { Captured, captureChanges, change, kvt, pipeEach, toStringJoiner, type Kvt } from './conformance.ts';
import type { Change } from '../../../src/processor/change.ts';

export const KEYS = [0, 1, 2, 3] as const;

export type TableJoinType = 'inner' | 'left' | 'outer';

export interface TableJoinCase {
  readonly topology: Topology;
  readonly driver: TopologyTestDriver;
  readonly topic1: TestInputTopic<number, string>;
  readonly topic2: TestInputTopic<number, string>;
  /** What the join table forwarded (when captured), new and old values. */
  readonly changes: Captured<number, Change<string>>;
  /** What reached the `output` topic (when written there). */
  readonly output: Captured<number, string | null>;
}

export async function tableJoinCase(
  start: (topology: Topology, options?: TopologyTestDriverOptions) => Promise<TopologyTestDriver>,
  joinType: TableJoinType,
  options: {
    /** Materialized as the Java test's `Materialized.with(Integer(), String())` (serdes, no store name). */
    readonly materialized?: boolean;
    /** Capture the join's changes (as the Java tests attach a processor to the join's node). */
    readonly capture?: 'changes' | 'changes with old values' | 'output';
  } = {},
): Promise<TableJoinCase> {
  const builder = new StreamsBuilder();
  const consumed = { keySerde: Serdes.Int(), valueSerde: Serdes.String() };
  const table1 = builder.table<number, string>('topic1', consumed);
  const table2 = builder.table<number, string>('topic2', consumed);
  const materialized: Materialized<number, string> | undefined = options.materialized
    ? { keySerde: Serdes.Int(), valueSerde: Serdes.String() }
    : undefined;
  const joined: KTable<number, string> =
    joinType === 'inner'
      ? table1.join(table2, toStringJoiner, materialized)
      : joinType === 'left'
        ? table1.leftJoin(table2, toStringJoiner, materialized)
        : table1.outerJoin(table2, toStringJoiner, materialized);
  const changes = new Captured<number, Change<string>>();
  const output = new Captured<number, string | null>();
  const capture = options.capture ?? 'output';
  if (capture === 'output') joined.toStream().process(output.supplier);
  else captureChanges(joined, changes, capture === 'changes with old values' ? { oldValues: 'forced' } : {});
  const topology = builder.build();
  const driver = await start(topology);
  return {
    topology,
    driver,
    topic1: driver.createInputTopic('topic1'),
    topic2: driver.createInputTopic('topic2'),
    changes,
    output,
  };
}

/**
 * The updates KTableKTableLeftJoinTest and KTableKTableOuterJoinTest pipe, in order, each followed by
 * what the join forwards: per record (new value, timestamp, old value). Only the last step differs: an
 * outer join keeps the right rows when the left ones are deleted.
 */
export function pipeUpdates(
  t: TableJoinCase,
  joinType: 'left' | 'outer',
  check: (expected: unknown[]) => void,
) {
  [0, 1].forEach((key) => t.topic1.pipeInput(key, `X${key}`, 5 + key));
  t.topic1.pipeInput(null, 'SomeVal', 42);
  check(['X0+null', 5, null, 'X1+null', 6, null]);
  [0, 1].forEach((key) => t.topic2.pipeInput(key, `Y${key}`, 10 * key));
  t.topic2.pipeInput(null, 'AnotherVal', 73);
  check(['X0+Y0', 5, 'X0+null', 'X1+Y1', 10, 'X1+null']);
  pipeEach(t.topic1, KEYS, 'XX', 7);
  check(['XX0+Y0', 7, 'X0+Y0', 'XX1+Y1', 10, 'X1+Y1', 'XX2+null', 7, null, 'XX3+null', 7, null]);
  KEYS.forEach((key) => t.topic2.pipeInput(key, `YY${key}`, key * 5));
  check([
    'XX0+YY0',
    7,
    'XX0+Y0',
    'XX1+YY1',
    7,
    'XX1+Y1',
    'XX2+YY2',
    10,
    'XX2+null',
    'XX3+YY3',
    15,
    'XX3+null',
  ]);
  pipeEach(t.topic1, KEYS, 'XXX', 6);
  check([
    'XXX0+YY0',
    6,
    'XX0+YY0',
    'XXX1+YY1',
    6,
    'XX1+YY1',
    'XXX2+YY2',
    10,
    'XX2+YY2',
    'XXX3+YY3',
    15,
    'XX3+YY3',
  ]);
  t.topic2.pipeInput(0, null, 5);
  t.topic2.pipeInput(1, null, 7);
  check(['XXX0+null', 6, 'XXX0+YY0', 'XXX1+null', 7, 'XXX1+YY1']);
  pipeEach(t.topic1, KEYS, 'XXXX', 13);
  check([
    'XXXX0+null',
    13,
    'XXX0+null',
    'XXXX1+null',
    13,
    'XXX1+null',
    'XXXX2+YY2',
    13,
    'XXX2+YY2',
    'XXXX3+YY3',
    15,
    'XXX3+YY3',
  ]);
  t.topic1.pipeInput(0, null, 0);
  t.topic1.pipeInput(1, null, 42);
  t.topic1.pipeInput(2, null, 5);
  t.topic1.pipeInput(3, null, 20);
  check(
    joinType === 'left'
      ? [null, 0, 'XXXX0+null', null, 42, 'XXXX1+null', null, 10, 'XXXX2+YY2', null, 20, 'XXXX3+YY3']
      : [
          null,
          0,
          'XXXX0+null',
          null,
          42,
          'XXXX1+null',
          'null+YY2',
          10,
          'XXXX2+YY2',
          'null+YY3',
          20,
          'XXXX3+YY3',
        ],
  );
}

/**
 * The expectations above list, per output record, (new value, timestamp, old value). Keys come from
 * the record's position: each step's records are for consecutive keys starting at the step's first key.
 */
export function records(flat: unknown[], firstKey: number, withOld: boolean | 'no changes'): Kvt[] {
  const out: Kvt[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const key = firstKey + i / 3;
    const [value, timestamp, old] = [
      flat[i] as string | null,
      flat[i + 1] as number,
      flat[i + 2] as string | null,
    ];
    out.push(
      withOld === 'no changes'
        ? kvt(key, value, timestamp)
        : kvt(key, change(value, withOld ? old : null), timestamp),
    );
  }
  return out;
}
