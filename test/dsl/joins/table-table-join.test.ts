import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, type KTable } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { tableJoinKinds, tableJoinProcessor } from '../../../src/processor/ops/table-table-join.ts';
import type { ProcessorContext } from '../../../src/processor/api.ts';
import type { StreamRecord } from '../../../src/processor/record.ts';

const left = defineTopic('left', Serdes.String(), Serdes.String());
const right = defineTopic('right', Serdes.String(), Serdes.String());
const probe = defineTopic('probe', Serdes.String(), Serdes.String());
const out = defineTopic('out', Serdes.String(), Serdes.String());
const probed = defineTopic('probed', Serdes.String(), Serdes.String());

type Row = { key: string | null; value: string | null; timestamp: number };
const rows = (records: Row[]) => records.map(({ key, value, timestamp }) => ({ key, value, timestamp }));

describe('table-table join', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function start(
    joinType: 'inner' | 'left' | 'outer',
    options: { storeName?: string; partitions?: number } = {},
  ) {
    const builder = new StreamsBuilder();
    const l = builder.table(left);
    const r = builder.table(right);
    const joiner = (a: string | null, b: string | null) => `${a ?? '-'}+${b ?? '-'}`;
    const materialized = options.storeName ? { storeName: options.storeName } : undefined;
    const joined: KTable<string, string> =
      joinType === 'inner'
        ? l.join(r, joiner, materialized)
        : joinType === 'left'
          ? l.leftJoin(r, joiner, materialized)
          : l.outerJoin(r, joiner, materialized);
    joined.toStream().to(out);
    // A stream-table join downstream reads the result through its value getter.
    builder
      .stream(probe)
      .join(joined, (p, j) => `${p}=${j}`)
      .to(probed);
    const topology = builder.build();
    driver = await TopologyTestDriver.create(topology, { partitions: options.partitions ?? 2 });
    return {
      topology,
      left: driver.createInputTopic(left),
      right: driver.createInputTopic(right),
      probe: driver.createInputTopic(probe),
      out: driver.createOutputTopic(out),
      probed: driver.createOutputTopic(probed),
    };
  }

  it('inner join: emits while both rows exist, tombstones when one goes, at the later timestamp', async () => {
    const t = await start('inner');
    t.left.pipeInput('k', 'a1', 10);
    t.right.pipeInput('k', 'b1', 5); // older than the left row: the result takes the later time
    t.left.pipeInput('k', 'a2', 20);
    t.right.pipeInput('k', 'b2', 30);
    t.right.pipeInput('k', null, 40);
    t.left.pipeInput('k', 'a3', 50); // no right row: nothing
    t.left.pipeInput('k', null, 60); // no result row existed: nothing
    t.right.pipeInput('x', 'bx', 70); // no left row: nothing
    expect(rows(t.out.readRecordsToList())).toEqual([
      { key: 'k', value: 'a1+b1', timestamp: 10 },
      { key: 'k', value: 'a2+b1', timestamp: 20 },
      { key: 'k', value: 'a2+b2', timestamp: 30 },
      { key: 'k', value: null, timestamp: 40 },
    ]);
  });

  it('left join: follows the left rows; right changes rejoin them', async () => {
    const t = await start('left');
    t.right.pipeInput('k', 'b0', 1); // no left row: nothing
    t.left.pipeInput('j', 'aj', 2);
    t.left.pipeInput('k', 'a1', 10);
    t.right.pipeInput('k', 'b1', 20);
    t.right.pipeInput('k', null, 30);
    t.left.pipeInput('k', null, 40);
    t.right.pipeInput('k', 'b2', 50); // left row gone: nothing
    expect(rows(t.out.readRecordsToList())).toEqual([
      { key: 'j', value: 'aj+-', timestamp: 2 },
      { key: 'k', value: 'a1+b0', timestamp: 10 },
      { key: 'k', value: 'a1+b1', timestamp: 20 },
      { key: 'k', value: 'a1+-', timestamp: 30 },
      { key: 'k', value: null, timestamp: 40 },
    ]);
  });

  it('outer join: a row while either side has one', async () => {
    const t = await start('outer');
    t.right.pipeInput('k', 'b1', 1);
    t.left.pipeInput('k', 'a1', 2);
    t.right.pipeInput('k', null, 3);
    t.left.pipeInput('k', null, 4);
    t.left.pipeInput('k', null, 5); // deleting a missing row changes nothing
    expect(rows(t.out.readRecordsToList())).toEqual([
      { key: 'k', value: '-+b1', timestamp: 1 },
      { key: 'k', value: 'a1+b1', timestamp: 2 },
      { key: 'k', value: 'a1+-', timestamp: 3 },
      { key: 'k', value: null, timestamp: 4 },
    ]);
  });

  it('an unmaterialized result is looked up through both sides (stream-table join downstream)', async () => {
    const t = await start('left', { partitions: 3 });
    expect(t.topology.stores.size).toBe(2);
    t.left.pipeInput('k', 'a1', 1);
    t.probe.pipeInput('k', 'p1', 2);
    t.right.pipeInput('k', 'b1', 3);
    t.probe.pipeInput('k', 'p2', 4);
    t.probe.pipeInput('missing', 'p3', 5);
    expect(t.probed.readValuesToList()).toEqual(['p1=a1+-', 'p2=a1+b1']);
  });

  it('a materialized result keeps the latest joined row per key in its store', async () => {
    const t = await start('inner', { storeName: 'joined' });
    t.left.pipeInput('k', 'a1', 1);
    t.right.pipeInput('k', 'b1', 2);
    t.left.pipeInput('j', 'aj', 3);
    t.right.pipeInput('j', 'bj', 4);
    t.right.pipeInput('j', null, 5);
    const store = driver!.getKeyValueStore<string, string>('joined');
    expect([...store.all()]).toEqual([{ key: 'k', value: 'a1+b1' }]);
    t.probe.pipeInput('k', 'p', 6);
    expect(t.probed.readValuesToList()).toEqual(['p=a1+b1']);
  });
});

describe('table join processor changes', () => {
  type Forwarded = StreamRecord<unknown, { newValue: unknown; oldValue: unknown }>;

  function run(
    joinType: 'inner' | 'left' | 'outer',
    side: 'left' | 'right',
    other: string | undefined,
    changes: [string | null, string | null][],
  ) {
    const forwarded: Forwarded[] = [];
    const kinds = tableJoinKinds(joinType);
    const processor = tableJoinProcessor({
      kind: kinds[side],
      sendOldValues: true,
      otherGetter: {
        storeNames: [],
        get: () => ({
          init: () => {},
          get: () => (other === undefined ? undefined : { value: other, timestamp: 100 }),
        }),
      },
      joiner: (a, b) => `${String(a)}&${String(b)}`,
    })();
    processor.init?.({ forward: (r: Forwarded) => forwarded.push(r) } as unknown as ProcessorContext);
    for (const [newValue, oldValue] of changes)
      processor.process({ key: 'k', value: { newValue, oldValue }, timestamp: 1, headers: {} });
    return forwarded.map((r) => r.value);
  }

  it('recomputes the old value so downstream can retract it', () => {
    expect(run('inner', 'left', 'R', [['v2', 'v1']])).toEqual([{ newValue: 'v2&R', oldValue: 'v1&R' }]);
    expect(run('inner', 'left', 'R', [[null, 'v1']])).toEqual([{ newValue: null, oldValue: 'v1&R' }]);
    expect(run('left', 'left', undefined, [['v2', 'v1']])).toEqual([
      { newValue: 'v2&null', oldValue: 'v1&null' },
    ]);
    // The right side of a left join: a new right row replaces the null-joined row.
    expect(run('left', 'right', 'L', [['r1', null]])).toEqual([{ newValue: 'r1&L', oldValue: 'null&L' }]);
    expect(run('left', 'right', undefined, [['r1', null]])).toEqual([]);
    expect(run('outer', 'right', undefined, [[null, 'r1']])).toEqual([
      { newValue: null, oldValue: 'r1&null' },
    ]);
  });
});
