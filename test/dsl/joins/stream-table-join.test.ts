import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const clicks = defineTopic('clicks', Serdes.String(), Serdes.String());
const users = defineTopic('users', Serdes.String(), Serdes.String());
const out = defineTopic('out', Serdes.String(), Serdes.String());

const triple = ({ key, value, timestamp }: { key: unknown; value: unknown; timestamp: number }) => ({
  key,
  value,
  timestamp,
});

describe('stream-table join', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function start(joinType: 'inner' | 'left', partitions = 1) {
    const builder = new StreamsBuilder();
    const table = builder.table(users);
    const stream = builder.stream(clicks);
    const joined =
      joinType === 'inner'
        ? stream.join(table, (click, user, key) => `${key}:${click}/${user}`)
        : stream.leftJoin(table, (click, user, key) => `${key}:${click}/${user ?? 'none'}`);
    joined.to(out);
    driver = await TopologyTestDriver.create(builder.build(), { partitions });
    return {
      clicks: driver.createInputTopic(clicks),
      users: driver.createInputTopic(users),
      out: driver.createOutputTopic(out),
    };
  }

  it('sees the table as of each stream record, and table updates emit nothing', async () => {
    const t = await start('inner', 3);
    t.clicks.pipeInput('alice', 'c0', 5); // no user yet: inner join drops it
    t.users.pipeInput('alice', 'A1', 10);
    expect(t.out.readRecordsToList()).toEqual([]);
    t.clicks.pipeInput('alice', 'c1', 20);
    t.users.pipeInput('alice', 'A2', 30);
    t.users.pipeInput('bob', 'B1', 31);
    t.clicks.pipeInput('alice', 'c2', 25); // an older stream record still sees the current row
    t.clicks.pipeInput('bob', 'c3', 40);
    t.users.pipeInput('alice', null, 50); // delete
    t.clicks.pipeInput('alice', 'c4', 60);
    expect(t.out.readRecordsToList().map(triple)).toEqual([
      { key: 'alice', value: 'alice:c1/A1', timestamp: 20 },
      { key: 'alice', value: 'alice:c2/A2', timestamp: 25 },
      { key: 'bob', value: 'bob:c3/B1', timestamp: 40 },
    ]);
  });

  it('left join emits stream records without a row with null', async () => {
    const t = await start('left', 2);
    t.clicks.pipeInput('alice', 'c0', 5);
    t.users.pipeInput('alice', 'A1', 10);
    t.clicks.pipeInput('alice', 'c1', 20);
    t.users.pipeInput('alice', null, 30);
    t.clicks.pipeInput('alice', 'c2', 40);
    expect(t.out.readRecordsToList().map(triple)).toEqual([
      { key: 'alice', value: 'alice:c0/none', timestamp: 5 },
      { key: 'alice', value: 'alice:c1/A1', timestamp: 20 },
      { key: 'alice', value: 'alice:c2/none', timestamp: 40 },
    ]);
  });

  it('drops stream records with a null value; a null key matches nothing', async () => {
    const inner = await start('inner');
    inner.users.pipeInput('alice', 'A1', 1);
    inner.clicks.pipeInput('alice', null, 2);
    inner.clicks.pipeInput(null, 'c1', 3);
    expect(inner.out.readRecordsToList()).toEqual([]);
    await driver!.close();

    const left = await start('left');
    left.users.pipeInput('alice', 'A1', 1);
    left.clicks.pipeInput('alice', null, 2);
    left.clicks.pipeInput(null, 'c1', 3);
    expect(left.out.readRecordsToList().map(triple)).toEqual([
      { key: null, value: 'null:c1/none', timestamp: 3 },
    ]);
  });

  it('joins against a derived (filtered, unmaterialized) table through its parent store', async () => {
    const builder = new StreamsBuilder();
    const table = builder.table(users).filter((_k, v) => v.startsWith('vip'));
    builder
      .stream(clicks)
      .join(table, (click, user) => `${click}/${user}`)
      .to(out);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 2 });
    const u = driver.createInputTopic(users);
    const c = driver.createInputTopic(clicks);
    u.pipeInput('a', 'vip-a', 1);
    u.pipeInput('b', 'plain-b', 1);
    c.pipeInput('a', 'x', 2);
    c.pipeInput('b', 'y', 2);
    expect(driver.createOutputTopic(out).readValuesToList()).toEqual(['x/vip-a']);
  });

  it('repartitions a re-keyed stream before the join and co-partitions the inputs', async () => {
    const builder = new StreamsBuilder();
    const table = builder.table(users);
    builder
      .stream(clicks)
      .selectKey((_k, v) => v.split('@')[1]!)
      .join(table, (click, user) => `${click}/${user}`)
      .to(out);
    const topology = builder.build();
    expect(topology.copartitionGroups.length).toBe(1);
    expect(topology.copartitionGroups[0]).toContain('users');
    driver = await TopologyTestDriver.create(topology, { partitions: 4 });
    driver.createInputTopic(users).pipeInput('bob', 'B', 1);
    driver.createInputTopic(clicks).pipeInput('k1', 'click@bob', 2);
    expect(driver.createOutputTopic(out).readKeyValuesToList()).toEqual([
      { key: 'bob', value: 'click@bob/B' },
    ]);
  });

  it('refuses inputs with different partition counts', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(clicks)
      .join(builder.table(users), (c, u) => `${c}${u}`)
      .to(out);
    await expect(
      TopologyTestDriver.create(builder.build(), { topicPartitions: { clicks: 2, users: 3 } }),
    ).rejects.toThrow(/same number of partitions/);
  });
});
