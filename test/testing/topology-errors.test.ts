import { afterEach, describe, expect, it } from 'vitest';
import {
  JoinWindows,
  Serdes,
  Stores,
  StreamsBuilder,
  TopologyError,
  defineTopic,
  type Processor,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { murmur2 } from '../../src/runtime/partitioner.ts';

const left = defineTopic('left', Serdes.String(), Serdes.String());
const right = defineTopic('right', Serdes.String(), Serdes.String());

async function creationError(
  builder: StreamsBuilder,
  options: Parameters<typeof TopologyTestDriver.create>[1],
) {
  const result = await TopologyTestDriver.create(builder.build(), options).then(
    async (driver) => {
      await driver.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(result).toBeInstanceOf(TopologyError);
  return result as TopologyError;
}

function buildError(build: (builder: StreamsBuilder) => void): TopologyError {
  const builder = new StreamsBuilder();
  try {
    build(builder);
    builder.build();
  } catch (error) {
    expect(error).toBeInstanceOf(TopologyError);
    return error as TopologyError;
  }
  throw new Error('expected a TopologyError');
}

const noop = (): Processor<string, string> => ({ process: () => undefined });

describe('topology mistakes are clear errors', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  describe('co-partitioning', () => {
    it('a stream-table join of topics with different partition counts names both topics and counts', async () => {
      const builder = new StreamsBuilder();
      builder
        .stream(left)
        .join(builder.table(right), (a, b) => a + b)
        .to('out', { valueSerde: Serdes.String() });
      const error = await creationError(builder, { topicPartitions: { left: 2, right: 3 } });
      expect(error.message).toBe(
        'topics joined with each other must have the same number of partitions, but "left" (2 partitions), "right" (3 partitions) differ',
      );
    });

    it('so does a stream-stream join and a table-table join', async () => {
      const streams = new StreamsBuilder();
      streams
        .stream(left)
        .join(streams.stream(right), (a, b) => a + b, JoinWindows.ofTimeDifferenceWithNoGrace(10))
        .to('out', { valueSerde: Serdes.String() });
      expect((await creationError(streams, { topicPartitions: { left: 4, right: 1 } })).message).toContain(
        '"left" (4 partitions), "right" (1 partitions) differ',
      );
      const tables = new StreamsBuilder();
      tables
        .table(left)
        .join(tables.table(right), (a, b) => a + b)
        .toStream()
        .to('out', { valueSerde: Serdes.String() });
      expect((await creationError(tables, { topicPartitions: { left: 1, right: 2 } })).message).toContain(
        '"left" (1 partitions), "right" (2 partitions) differ',
      );
    });

    it('equal counts are fine, and a repartitioned side takes the count of the other', async () => {
      const builder = new StreamsBuilder();
      builder
        .stream(left)
        .selectKey((_k, v) => v)
        .join(builder.table(right), (a, b) => a + b, { keySerde: Serdes.String() })
        .to('out', { valueSerde: Serdes.String() });
      driver = await TopologyTestDriver.create(builder.build(), { topicPartitions: { left: 2, right: 3 } });
      driver.createInputTopic(right).pipeInput('x', 'R', 0);
      driver.createInputTopic(left).pipeInput('k', 'x', 1);
      const out = driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readRecordsToList();
      expect(out.map((r) => [r.key, r.value])).toEqual([['x', 'xR']]);
      const repartition = driver.producedTopicNames().find((t) => t.endsWith('-repartition'))!;
      // Sized like "right" (3), not "left" (2): the key lands where a 3-partition topic puts it.
      const partition = driver
        .createOutputTopic(repartition, Serdes.String(), Serdes.String())
        .readRecord().partition;
      expect(partition).toBe((murmur2(Buffer.from('x')) & 0x7fffffff) % 3);
      expect(partition).not.toBe((murmur2(Buffer.from('x')) & 0x7fffffff) % 2);
    });
  });

  it('two stores with one name', () => {
    const spec = Stores.keyValue({ name: 'shared', keySerde: Serdes.String(), valueSerde: Serdes.String() });
    expect(
      buildError((builder) => {
        builder.addStateStore(spec).addStateStore(spec);
      }).message,
    ).toBe('a state store named "shared" already exists; store names must be unique');
    expect(
      buildError((builder) => {
        const grouped = builder.stream(left).groupByKey();
        grouped.count({ storeName: 'counts' });
        grouped.reduce((a, b) => a + b, { storeName: 'counts' });
      }).message,
    ).toContain('a state store named "counts" already exists');
  });

  it('two processors with one name', () => {
    expect(
      buildError((builder) => {
        const stream = builder.stream(left);
        stream.filter(() => true, { name: 'only-once' });
        stream.mapValues((v) => v, { name: 'only-once' });
      }).message,
    ).toBe('a processor named "only-once" already exists; operator names must be unique');
  });

  it('a processor naming a store that does not exist', () => {
    expect(
      buildError((builder) => {
        builder.stream(left).process(noop, { name: 'lookup', stores: ['missing'] });
      }).message,
    ).toBe('processor "lookup" uses store "missing", which was never added to the topology');
  });

  it('reading a topic the topology has no source for needs serdes', async () => {
    const builder = new StreamsBuilder();
    builder.stream(left).to('out', { valueSerde: Serdes.String() });
    driver = await TopologyTestDriver.create(builder.build());
    expect(() => driver!.createInputTopic('elsewhere')).toThrow(
      'no serdes for topic "elsewhere": the topology has no source for it; pass the serdes or a topic definition',
    );
    expect(() => driver!.getKeyValueStore('nope')).toThrow(/the topology has no store named "nope"/);
  });
});

describe('co-partitioning known when the topology is built', () => {
  it('refuses a join of repartition topics fixed to different partition counts, naming both', () => {
    const builder = new StreamsBuilder({
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.String(),
    });
    const left = builder.stream('left').repartition({ name: 'left-by-key', partitions: 3 });
    const right = builder.stream('right').repartition({ name: 'right-by-key', partitions: 5 });
    left.join(right, (l, r) => `${l}${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(1000)).to('joined');
    expect(() => builder.build()).toThrow(
      /joined with each other must have the same number of partitions, but "left-by-key-repartition" \(3 partitions\), "right-by-key-repartition" \(5 partitions\) differ/,
    );
  });
});
