import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JoinWindows, Serdes, StreamsBuilder, defineTopic } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const lefts = defineTopic('lefts', Serdes.String(), Serdes.String());
const rights = defineTopic('rights', Serdes.String(), Serdes.String());
const out = defineTopic('out', Serdes.String(), Serdes.String());

type Row = { key: string | null; value: string | null; timestamp: number };
const rows = (records: Row[]) => records.map(({ key, value, timestamp }) => ({ key, value, timestamp }));

describe('stream-stream join', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function start(
    joinType: 'inner' | 'left' | 'outer',
    windows: JoinWindows,
    options: { partitions?: number; storeName?: string; name?: string } = {},
  ) {
    const builder = new StreamsBuilder();
    const l = builder.stream(lefts);
    const r = builder.stream(rights);
    const joiner = (a: string | null, b: string | null) => `${a ?? '-'}+${b ?? '-'}`;
    const joined =
      joinType === 'inner'
        ? l.join(r, joiner, windows, { storeName: options.storeName, name: options.name })
        : joinType === 'left'
          ? l.leftJoin(r, joiner, windows, { storeName: options.storeName, name: options.name })
          : l.outerJoin(r, joiner, windows, { storeName: options.storeName, name: options.name });
    joined.to(out);
    const topology = builder.build();
    driver = await TopologyTestDriver.create(topology, { partitions: options.partitions ?? 1 });
    return {
      topology,
      left: driver.createInputTopic(lefts),
      right: driver.createInputTopic(rights),
      out: driver.createOutputTopic(out),
    };
  }

  describe('inner join', () => {
    it('joins records within [ts - before, ts + after], bounds included, at the later timestamp', async () => {
      const t = await start('inner', JoinWindows.ofTimeDifferenceAndGrace(100, 1000), { partitions: 3 });
      t.left.pipeInput('k', 'L', 1000);
      t.right.pipeInput('k', 'r899', 899);
      t.right.pipeInput('k', 'r900', 900);
      t.right.pipeInput('k', 'r1100', 1100);
      t.right.pipeInput('k', 'r1101', 1101);
      t.right.pipeInput('other', 'x', 1000);
      expect(rows(t.out.readRecordsToList())).toEqual([
        { key: 'k', value: 'L+r900', timestamp: 1000 },
        { key: 'k', value: 'L+r1100', timestamp: 1100 },
      ]);
      // The left side sees the right records in its own window: [1101 - 100, 1101 + 100].
      t.left.pipeInput('k', 'L2', 1201);
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: 'k', value: 'L2+r1101', timestamp: 1201 }]);
    });

    it('keeps every record, duplicates included, and joins each pair once', async () => {
      const t = await start('inner', JoinWindows.ofTimeDifferenceWithNoGrace(10));
      t.left.pipeInput('k', 'a', 5);
      t.left.pipeInput('k', 'a', 5);
      t.left.pipeInput('k', 'b', 6);
      t.right.pipeInput('k', 'x', 7);
      t.right.pipeInput('k', 'y', 8);
      expect(t.out.readValuesToList()).toEqual(['a+x', 'a+x', 'b+x', 'a+y', 'a+y', 'b+y']);
    });

    it('honours asymmetric windows (before/after)', async () => {
      const t = await start('inner', JoinWindows.ofTimeDifferenceAndGrace(0, 100).after(20));
      t.left.pipeInput('k', 'L', 100);
      t.right.pipeInput('k', 'r99', 99); // before the left record: outside [100, 120]
      t.right.pipeInput('k', 'r120', 120);
      t.right.pipeInput('k', 'r121', 121);
      expect(t.out.readValuesToList()).toEqual(['L+r120']);
    });

    it('looks partners up only as far back as the other store keeps them: window size plus grace behind its latest record', async () => {
      // The store keeps before + after + grace = 10 ms behind its latest timestamp (20): p@10 is gone.
      const t = await start('inner', JoinWindows.ofTimeDifferenceWithNoGrace(10).after(0));
      t.right.pipeInput('k', 'p', 10);
      t.right.pipeInput('k', 'q', 20);
      t.left.pipeInput('k', 'L', 20); // window [10, 20]
      expect(t.out.readValuesToList()).toEqual(['L+q']);
    });

    it('joins nothing with a zero window and no grace: the stores keep nothing back', async () => {
      const t = await start('inner', JoinWindows.ofTimeDifferenceWithNoGrace(0));
      t.left.pipeInput('k', 'a', 5);
      t.right.pipeInput('k', 'b', 5);
      expect(t.out.readValuesToList()).toEqual([]);
    });

    it('joins a stream with itself: every pair within the window, each record with itself too', async () => {
      const builder = new StreamsBuilder();
      const s = builder.stream(lefts);
      s.join(s, (a, b) => `${a}${b}`, JoinWindows.ofTimeDifferenceWithNoGrace(10)).to(out);
      driver = await TopologyTestDriver.create(builder.build());
      const input = driver.createInputTopic(lefts);
      input.pipeInput('k', 'a', 1);
      input.pipeInput('k', 'b', 5);
      input.pipeInput('k', 'c', 50);
      expect(driver.createOutputTopic(out).readValuesToList().sort()).toEqual(['aa', 'ab', 'ba', 'bb', 'cc']);
    });

    it('drops null values and null keys', async () => {
      const t = await start('inner', JoinWindows.ofTimeDifferenceWithNoGrace(10));
      t.left.pipeInput(null, 'a', 1);
      t.left.pipeInput('k', null, 1);
      t.right.pipeInput('k', 'x', 1);
      t.right.pipeInput(null, 'y', 1);
      expect(t.out.readRecordsToList()).toEqual([]);
    });
  });

  describe('left join', () => {
    it('emits a record without partner only after its window and grace have passed', async () => {
      const t = await start('left', JoinWindows.ofTimeDifferenceAndGrace(100, 50));
      t.left.pipeInput('k', 'L', 1000);
      t.right.pipeInput('other', 'x', 1100);
      t.right.pipeInput('other', 'x', 1150); // window end 1100 + grace 50: still open
      expect(t.out.readRecordsToList()).toEqual([]);
      t.right.pipeInput('other', 'x', 1151);
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: 'k', value: 'L+-', timestamp: 1000 }]);
      // Nothing is emitted twice.
      t.right.pipeInput('other', 'x', 5000);
      expect(t.out.readRecordsToList()).toEqual([]);
    });

    it('never emits a null result for a record whose partner arrives in time', async () => {
      const t = await start('left', JoinWindows.ofTimeDifferenceAndGrace(100, 50));
      t.left.pipeInput('k', 'L', 2000);
      t.right.pipeInput('k', 'R', 2090);
      t.right.pipeInput('other', 'x', 9000);
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: 'k', value: 'L+R', timestamp: 2090 }]);
    });

    it('emits a record whose window has passed with null at once, yet still joins a partner arriving within grace', async () => {
      // As Kafka Streams: the null result is emitted at once when ts + after < stream time, whatever the
      // grace; the grace only keeps the record in the store, where a late partner still finds it.
      const t = await start('left', JoinWindows.ofTimeDifferenceAndGrace(100, 50));
      t.right.pipeInput('other', 'x', 3120); // stream time 3120
      t.left.pipeInput('k', 'L', 3000); // its window ended at 3100
      t.right.pipeInput('k', 'R', 3080); // late too, but L is still in the left store
      t.right.pipeInput('other', 'x', 9000);
      expect(rows(t.out.readRecordsToList())).toEqual([
        { key: 'k', value: 'L+-', timestamp: 3000 },
        { key: 'k', value: 'L+R', timestamp: 3080 },
      ]);
    });

    it('holds a late record whose window is still open, and a partner within grace joins it without a null result', async () => {
      const t = await start('left', JoinWindows.ofTimeDifferenceAndGrace(100, 50));
      t.right.pipeInput('other', 'x', 3090);
      t.left.pipeInput('k', 'L', 3000); // window up to 3100 >= stream time 3090: it waits
      t.right.pipeInput('k', 'R', 3040);
      t.right.pipeInput('other', 'x', 9000);
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: 'k', value: 'L+R', timestamp: 3040 }]);
    });

    it('a partner older than the store keeps no longer joins a record emitted with null', async () => {
      const t = await start('left', JoinWindows.ofTimeDifferenceAndGrace(100, 50));
      t.right.pipeInput('other', 'x', 5400);
      t.left.pipeInput('k', 'L', 5000); // emitted with null at once
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: 'k', value: 'L+-', timestamp: 5000 }]);
      // The left store keeps 100 + 100 + 50 ms behind its latest record (5000): L is still there.
      t.right.pipeInput('k', 'R', 5050);
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: 'k', value: 'L+R', timestamp: 5050 }]);
      t.left.pipeInput('k', 'M', 5300); // the left store now keeps records from 5051 on: L is gone
      t.right.pipeInput('k', 'S', 5040);
      expect(t.out.readValuesToList()).toEqual([]);
    });

    it('keeps waiting records across a restart and emits them when the window closes', async () => {
      const stateDir = await mkdtemp(join(tmpdir(), 'tributary-join-'));
      try {
        const build = () => {
          const builder = new StreamsBuilder();
          builder
            .stream(lefts)
            .leftJoin(
              builder.stream(rights),
              (a, b) => `${a}+${b ?? '-'}`,
              JoinWindows.ofTimeDifferenceWithNoGrace(10),
            )
            .to(out);
          return builder.build();
        };
        driver = await TopologyTestDriver.create(build(), { stateDir });
        driver.createInputTopic(lefts).pipeInput('k', 'L', 100);
        await driver.close();
        driver = await TopologyTestDriver.create(build(), { stateDir });
        driver.createInputTopic(rights).pipeInput('other', 'x', 200);
        expect(rows(driver.createOutputTopic(out).readRecordsToList())).toEqual([
          { key: 'k', value: 'L+-', timestamp: 100 },
        ]);
      } finally {
        await driver?.close();
        driver = undefined;
        await rm(stateDir, { recursive: true, force: true });
      }
    });

    it('a right record alone emits nothing; null left keys are emitted with null at once', async () => {
      const t = await start('left', JoinWindows.ofTimeDifferenceWithNoGrace(10));
      t.right.pipeInput('k', 'R', 1);
      t.left.pipeInput(null, 'N', 2);
      t.left.pipeInput('k', null, 3);
      t.right.pipeInput(null, 'x', 4);
      t.right.pipeInput('other', 'x', 100);
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: null, value: 'N+-', timestamp: 2 }]);
    });

    it('emits waiting records in time order, each value of a shared timestamp once', async () => {
      const t = await start('left', JoinWindows.ofTimeDifferenceWithNoGrace(10), { partitions: 3 });
      t.left.pipeInput('k', 'a', 100);
      t.left.pipeInput('k', 'b', 100);
      t.left.pipeInput('k', 'c', 105);
      // Stream time 112 closes a's and b's windows (100 + 10); c's (to 115) is open and R joins it.
      t.right.pipeInput('k', 'R', 112);
      expect(rows(t.out.readRecordsToList())).toEqual([
        { key: 'k', value: 'a+-', timestamp: 100 },
        { key: 'k', value: 'b+-', timestamp: 100 },
        { key: 'k', value: 'c+R', timestamp: 112 },
      ]);
      // Stream time is per task: advance it with the same key. c was joined, so nothing more.
      t.left.pipeInput('k', 'd', 1000);
      expect(t.out.readRecordsToList()).toEqual([]);
    });
  });

  describe('outer join', () => {
    it('emits unmatched records of both sides with null once their windows close', async () => {
      const t = await start('outer', JoinWindows.ofTimeDifferenceAndGrace(10, 5));
      t.left.pipeInput('a', 'La', 100);
      t.right.pipeInput('b', 'Rb', 101);
      t.right.pipeInput('c', 'Rc', 102);
      t.left.pipeInput('c', 'Lc', 103);
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: 'c', value: 'Lc+Rc', timestamp: 103 }]);
      t.left.pipeInput('z', 'Lz', 115); // closes La's window (100 + 10 + 5) but not yet Rb's
      expect(t.out.readRecordsToList()).toEqual([]);
      t.left.pipeInput('z', 'Lz', 117);
      expect(rows(t.out.readRecordsToList())).toEqual([
        { key: 'a', value: 'La+-', timestamp: 100 },
        { key: 'b', value: '-+Rb', timestamp: 101 },
      ]);
    });

    it("closes each side by its own reach with asymmetric windows, looking when the arriving side's reach says so", async () => {
      // Left records look 0 ms back and 50 ms ahead; right records 50 back and 0 ahead. As in Kafka
      // Streams, a left record only looks for closed windows once the earliest waiting record plus the
      // left side's reach (50) has passed, though Rb's own window closed at 100.
      const t = await start('outer', JoinWindows.ofTimeDifferenceWithNoGrace(0).after(50));
      t.left.pipeInput('a', 'La', 100);
      t.right.pipeInput('b', 'Rb', 100);
      t.left.pipeInput('z', 'Lz', 101);
      expect(t.out.readRecordsToList()).toEqual([]);
      t.left.pipeInput('z', 'Lz', 151); // past La's window [100, 150]
      expect(rows(t.out.readRecordsToList())).toEqual([
        { key: 'b', value: '-+Rb', timestamp: 100 },
        { key: 'a', value: 'La+-', timestamp: 100 },
      ]);
      t.left.pipeInput('z', 'Lz', 152); // Lz@101's window [101, 151] has closed
      expect(rows(t.out.readRecordsToList())).toEqual([{ key: 'z', value: 'Lz+-', timestamp: 101 }]);
    });

    it('emits null-key records of either side with null at once', async () => {
      const t = await start('outer', JoinWindows.ofTimeDifferenceWithNoGrace(10));
      t.left.pipeInput(null, 'L', 1);
      t.right.pipeInput(null, 'R', 2);
      expect(t.out.readValuesToList()).toEqual(['L+-', '-+R']);
    });
  });

  it('builds window stores with duplicates, join processors and a merge node named by the IR', async () => {
    const t = await start('left', JoinWindows.ofTimeDifferenceAndGrace(100, 50), {
      storeName: 'pairs',
      name: 'my-join',
    });
    const stores = t.topology.stores;
    for (const name of ['pairs-this-join-store', 'pairs-other-join-store']) {
      const spec = stores.get(name);
      expect(spec?.kind).toBe('window');
      if (spec?.kind === 'window') {
        expect(spec.retainDuplicates).toBe(true);
        expect(spec.windowSizeMs).toBe(200);
      }
    }
    expect(stores.get('pairs-outer-shared-join-store')?.kind).toBe('key-value');
    expect(t.topology.copartitionGroups).toEqual([['lefts', 'rights']]);
    const names = [...t.topology.nodes.keys()];
    expect(names).toContain('my-join');
    t.left.pipeInput('k', 'L', 1000);
    expect(driver!.getWindowStore<string, string>('pairs-this-join-store').fetch('k', 1000)).toBe('L');
  });
});
