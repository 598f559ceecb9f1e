import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const words = defineTopic('words', Serdes.String(), Serdes.String());
const upper = defineTopic('upper', Serdes.String(), Serdes.String());

describe('TopologyTestDriver', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('runs a stateless chain and keeps timestamps and keys', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(words)
      .filter((_k, v) => v.length > 2)
      .mapValues((v) => v.toUpperCase())
      .to(upper);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(words);
    const output = driver.createOutputTopic(upper);
    input.pipeInput('a', 'hello', 10);
    input.pipeInput('b', 'no', 20);
    input.pipeInput('c', 'world', 30);
    expect(
      output.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp })),
    ).toEqual([
      { key: 'a', value: 'HELLO', timestamp: 10 },
      { key: 'c', value: 'WORLD', timestamp: 30 },
    ]);
  });

  it('materializes a table from a topic into a LevelDB store readable by the test', async () => {
    const builder = new StreamsBuilder();
    builder.table(words, { storeName: 'words-store' }).toStream().to(upper);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 3 });
    const input = driver.createInputTopic(words);
    input.pipeInput('k1', 'v1', 1);
    input.pipeInput('k2', 'v2', 2);
    input.pipeInput('k1', 'v3', 3);
    input.pipeInput('k2', null, 4);
    const store = driver.getKeyValueStore<string, string>('words-store');
    expect(store.get('k1')).toBe('v3');
    expect(store.get('k2')).toBeUndefined();
    expect([...store.all()]).toEqual([{ key: 'k1', value: 'v3' }]);
    expect(driver.createOutputTopic(upper).readValuesToList()).toEqual(['v1', 'v2', 'v3', null]);
  });
});
