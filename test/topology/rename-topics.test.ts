import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

function topology(options?: Parameters<StreamsBuilder['build']>[0]): Topology {
  const builder = new StreamsBuilder({
    defaultKeySerde: Serdes.String(),
    defaultValueSerde: Serdes.String(),
  });
  const prices = builder.table('prices', { storeName: 'prices-store' });
  const names = builder.globalTable('names');
  builder
    .stream('orders')
    .join(prices, (order, price) => `${order}@${price}`)
    .leftJoin(
      names,
      (key) => key,
      (value, name) => `${value}:${name ?? '?'}`,
    )
    .groupBy((_key, value) => value)
    .count()
    .toStream()
    .to((key) => (key.length > 8 ? 'long' : 'short'), { valueSerde: Serdes.Long() });
  return builder.build(options);
}

describe('building a topology with renamed topics', () => {
  it('renames every user topic, including per-record sink topics, and leaves internal topics alone', async () => {
    const renamed = topology({ renameTopic: (name) => `staging.${name}` });
    const text = renamed.describe({ applicationId: 'app' }).toString();
    expect(text).toContain('topics: [staging.orders]');
    expect(text).toContain('topics: [staging.prices]');
    expect(text).toContain('topics: [staging.names]');
    expect(text).not.toMatch(/topics: \[(orders|prices|names)\]/);
    expect(text).toMatch(/app-KSTREAM-AGGREGATE-STATE-STORE-\d+-repartition/);
    // The source table still uses its (renamed) topic as its changelog.
    expect(renamed.changelogTopic('prices-store', 'app')).toBe('staging.prices');

    const driver = await TopologyTestDriver.create(renamed);
    try {
      driver.createInputTopic('staging.prices', Serdes.String(), Serdes.String()).pipeInput('k', '10', 1);
      driver.createInputTopic('staging.names', Serdes.String(), Serdes.String()).pipeInput('k', 'kay', 1);
      driver.createInputTopic('staging.orders', Serdes.String(), Serdes.String()).pipeInput('k', 'o1', 2);
      expect(
        driver.createOutputTopic('staging.long', Serdes.String(), Serdes.Long()).readKeyValuesToList(),
      ).toEqual([{ key: 'o1@10:kay', value: 1 }]);
      expect(driver.producedTopicNames()).not.toContain('long');
    } finally {
      await driver.close();
    }
  });

  it('changes nothing without a renaming', () => {
    expect(topology().describe().toString()).toBe(topology({}).describe().toString());
    expect(topology().describe().toString()).toContain('topics: [orders]');
  });
});
