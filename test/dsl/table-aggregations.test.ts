import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, keyValue } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

interface User {
  region: string;
  score: number;
}

const users = defineTopic('users', Serdes.String(), Serdes.Json<User>());
const regionCounts = defineTopic('region-counts', Serdes.String(), Serdes.Long());
const regionTotals = defineTopic('region-totals', Serdes.String(), Serdes.Json<number>());

describe('grouped table aggregations (KGroupedTable with adder and subtractor)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function countByRegion(partitions: number) {
    const builder = new StreamsBuilder();
    builder
      .table(users)
      .groupBy((_id, user) => keyValue(user.region, user), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<User>(),
      })
      .count({ storeName: 'region-count-store' })
      .toStream()
      .to(regionCounts);
    driver = await TopologyTestDriver.create(builder.build(), { partitions });
    return {
      input: driver.createInputTopic(users),
      output: driver.createOutputTopic(regionCounts),
      store: driver.getKeyValueStore<string, number>('region-count-store'),
    };
  }

  it('count adds new rows to their group', async () => {
    const { input, output, store } = await countByRegion(1);
    input.pipeInput('u1', { region: 'eu', score: 1 }, 1);
    input.pipeInput('u2', { region: 'eu', score: 2 }, 2);
    input.pipeInput('u3', { region: 'us', score: 3 }, 3);
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'eu', value: 1 },
      { key: 'eu', value: 2 },
      { key: 'us', value: 1 },
    ]);
    expect(store.get('eu')).toBe(2);
  });

  it('key change: the old group is decremented first, then the new group incremented (KTableRepartitionMap sends the old pair first)', async () => {
    const { input, output, store } = await countByRegion(3);
    input.pipeInput('u1', { region: 'eu', score: 1 }, 1);
    input.pipeInput('u2', { region: 'us', score: 2 }, 2);
    output.readKeyValuesToList();
    input.pipeInput('u1', { region: 'us', score: 1 }, 3);
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'eu', value: 0 },
      { key: 'us', value: 2 },
    ]);
    expect(store.get('us')).toBe(2);
  });

  it('delete (tombstone): the row is subtracted from its group; a count going to zero stays as 0, not deleted', async () => {
    const { input, output, store } = await countByRegion(2);
    input.pipeInput('u1', { region: 'eu', score: 1 }, 1);
    input.pipeInput('u1', null, 2);
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'eu', value: 1 },
      { key: 'eu', value: 0 },
    ]);
    expect(store.get('eu')).toBe(0);
    // Deleting a row that does not exist changes nothing.
    input.pipeInput('u9', null, 3);
    expect(output.readKeyValuesToList()).toEqual([]);
  });

  it('update within the same group: subtract and add happen in one step, one update and no intermediate result (one repartition record since 3.4)', async () => {
    const builder = new StreamsBuilder();
    builder
      .table(users)
      .groupBy((_id, user) => keyValue(user.region, user.score), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<number>(),
      })
      .reduce(
        (sum, score) => sum + score,
        (sum, score) => sum - score,
        { storeName: 'region-score-store' },
      )
      .toStream()
      .to(regionTotals);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 3 });
    const input = driver.createInputTopic(users);
    const output = driver.createOutputTopic(regionTotals);
    input.pipeInput('u1', { region: 'eu', score: 10 }, 1);
    input.pipeInput('u2', { region: 'eu', score: 5 }, 2);
    expect(output.readValuesToList()).toEqual([10, 15]);
    input.pipeInput('u1', { region: 'eu', score: 12 }, 3);
    // Not 5 (after subtracting 10) and then 17: only the final sum.
    expect(output.readKeyValuesToList()).toEqual([{ key: 'eu', value: 17 }]);
    // The repartition topic (named after the store) got one record per table update.
    const repartition = driver.createOutputTopic(
      'test-app-region-score-store-repartition',
      Serdes.String(),
      Serdes.Bytes(),
    );
    expect(repartition.readKeyValuesToList().map((r) => r.key)).toEqual(['eu', 'eu', 'eu']);
  });

  it('reduce: the first value of a group is its aggregate; an update retracts the value it replaces', async () => {
    const seen: [string, number, number][] = [];
    const builder = new StreamsBuilder();
    builder
      .table(users)
      .groupBy((_id, user) => keyValue(user.region, user.score), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<number>(),
      })
      .reduce(
        (sum, score) => {
          seen.push(['add', sum, score]);
          return sum + score;
        },
        (sum, score) => {
          seen.push(['subtract', sum, score]);
          return sum - score;
        },
      )
      .toStream()
      .to(regionTotals);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(users);
    input.pipeInput('u1', { region: 'eu', score: 10 }, 1);
    input.pipeInput('u2', { region: 'eu', score: 5 }, 2);
    input.pipeInput('u2', { region: 'us', score: 5 }, 3);
    expect(driver.createOutputTopic(regionTotals).readKeyValuesToList()).toEqual([
      { key: 'eu', value: 10 },
      { key: 'eu', value: 15 },
      { key: 'eu', value: 10 },
      { key: 'us', value: 5 },
    ]);
    expect(seen).toEqual([
      ['add', 10, 5],
      ['subtract', 15, 5],
    ]);
  });

  it('aggregate: a null result deletes the group row and forwards a tombstone', async () => {
    const builder = new StreamsBuilder();
    builder
      .table(users)
      .groupBy((_id, user) => keyValue(user.region, user.score), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<number>(),
      })
      .aggregate<number | null>(
        () => 0,
        (_region, score, sum) => (sum ?? 0) + score,
        (_region, score, sum) => (sum! - score === 0 ? null : sum! - score),
        { storeName: 'region-sum-store', valueSerde: Serdes.Json<number | null>() },
      )
      .toStream()
      .to(regionTotals);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 2 });
    const input = driver.createInputTopic(users);
    input.pipeInput('u1', { region: 'eu', score: 4 }, 1);
    input.pipeInput('u1', null, 2);
    expect(driver.createOutputTopic(regionTotals).readKeyValuesToList()).toEqual([
      { key: 'eu', value: 4 },
      { key: 'eu', value: null },
    ]);
    expect(driver.getKeyValueStore<string, number>('region-sum-store').get('eu')).toBeUndefined();
  });

  it('rows whose selected key is null are left out of every group', async () => {
    const builder = new StreamsBuilder();
    builder
      .table(users)
      .groupBy((_id, user) => keyValue(user.region === 'none' ? null : user.region, user), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<User>(),
      })
      .count()
      .toStream()
      .to(regionCounts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(users);
    input.pipeInput('u1', { region: 'none', score: 1 }, 1);
    input.pipeInput('u1', { region: 'eu', score: 1 }, 2);
    input.pipeInput('u1', { region: 'none', score: 1 }, 3);
    expect(driver.createOutputTopic(regionCounts).readKeyValuesToList()).toEqual([
      { key: 'eu', value: 1 },
      { key: 'eu', value: 0 },
    ]);
  });

  it('the group aggregate carries the largest timestamp of the changes that went into it', async () => {
    const { input, output } = await countByRegion(1);
    input.pipeInput('u1', { region: 'eu', score: 1 }, 40);
    input.pipeInput('u2', { region: 'eu', score: 1 }, 10);
    expect(output.readRecordsToList().map((r) => [r.value, r.timestamp])).toEqual([
      [1, 40],
      [2, 40],
    ]);
  });
});
