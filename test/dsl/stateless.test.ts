import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, keyValue, type KStream } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const input = defineTopic('in', Serdes.String(), Serdes.String());
const output = defineTopic('out', Serdes.String(), Serdes.String());

describe('stateless KStream operators', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  /** Builds `in → (ops) → out`, pipes the records, and returns what reached `out`. */
  async function through(
    ops: (stream: KStream<string, string>) => KStream<string, string>,
    records: [string | null, string | null, number?][],
  ) {
    const builder = new StreamsBuilder();
    ops(builder.stream(input)).to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    records.forEach(([key, value, timestamp], i) => topic.pipeInput(key, value, timestamp ?? i));
    return driver.createOutputTopic(output).readRecordsToList();
  }

  const pairs = (records: { key: unknown; value: unknown }[]) => records.map((r) => [r.key, r.value]);

  it('two streams of the same topic share its source: each sees every record (merged as Kafka Streams does)', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .mapValues((v) => `first:${v}`)
      .to(output);
    builder
      .stream(input)
      .mapValues((v) => `second:${v}`)
      .to(output);
    driver = await TopologyTestDriver.create(builder.build());
    driver.createInputTopic(input).pipeInput('k', 'v', 1);
    expect(driver.createOutputTopic(output).readValuesToList()).toEqual(['first:v', 'second:v']);
  });

  it('refuses a topic read by two sources that are not the same stream (a stream of it and a table, overlapping topic lists)', () => {
    const table = new StreamsBuilder();
    table.stream(input);
    table.table('in');
    expect(() => table.build()).toThrow(/topic "in" is read by source "KSTREAM-SOURCE-0000000000" already/);
    const overlapping = new StreamsBuilder();
    overlapping.stream(['in', 'other']);
    overlapping.stream(input);
    expect(() => overlapping.build()).toThrow(/cannot read it too/);
  });

  it('filter keeps records the predicate accepts; filterNot the others; both see null keys and values', async () => {
    const seen: [string | null, string | null][] = [];
    const records: [string | null, string | null][] = [
      ['a', 'keep'],
      ['b', 'drop'],
      [null, 'keep'],
      ['c', null],
    ];
    const kept = await through(
      (s) =>
        s.filter((k, v) => {
          seen.push([k, v]);
          return v === 'keep' || v === null;
        }),
      records,
    );
    expect(pairs(kept)).toEqual([
      ['a', 'keep'],
      [null, 'keep'],
      ['c', null],
    ]);
    expect(seen).toEqual(records);
    await driver!.close();
    const rejected = await through((s) => s.filterNot((_k, v) => v === 'keep'), records);
    expect(pairs(rejected)).toEqual([
      ['b', 'drop'],
      ['c', null],
    ]);
  });

  it('map changes key and value and keeps timestamp and headers', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .map((k, v) => keyValue(`${v}`, `${k}`))
      .to(output);
    driver = await TopologyTestDriver.create(builder.build());
    driver.createInputTopic(input).pipeInput('k', 'v', 7, { h: 'x' });
    driver.createInputTopic(input).pipeInput(null, 'v', 8);
    const records = driver.createOutputTopic(output).readRecordsToList();
    expect(records.map((r) => [r.key, r.value, r.timestamp, r.headers])).toEqual([
      ['v', 'k', 7, { h: 'x' }],
      ['v', 'null', 8, {}],
    ]);
  });

  it('mapValues gets the value and the key, and is called for null values too', async () => {
    const out = await through(
      (s) => s.mapValues((v, k) => `${k}:${v}`),
      [
        ['a', '1'],
        ['b', null],
        [null, '3'],
      ],
    );
    expect(pairs(out)).toEqual([
      ['a', 'a:1'],
      ['b', 'b:null'],
      [null, 'null:3'],
    ]);
  });

  it('flatMap emits zero or more records per input, each with the input’s timestamp', async () => {
    const out = await through(
      (s) =>
        s.flatMap((k, v) =>
          (v ?? '')
            .split(',')
            .filter(Boolean)
            .map((part) => keyValue(`${k}-${part}`, part)),
        ),
      [
        ['a', 'x,y', 10],
        ['b', '', 11],
        ['c', 'z', 12],
      ],
    );
    expect(out.map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['a-x', 'x', 10],
      ['a-y', 'y', 10],
      ['c-z', 'z', 12],
    ]);
  });

  it('flatMapValues keeps the key for every value it returns', async () => {
    const out = await through(
      (s) => s.flatMapValues((v) => (v === null ? [] : [...v])),
      [
        ['k', 'ab'],
        ['n', null],
      ],
    );
    expect(pairs(out)).toEqual([
      ['k', 'a'],
      ['k', 'b'],
    ]);
  });

  it('selectKey replaces the key (a null key is allowed) and leaves the value', async () => {
    const out = await through(
      (s) => s.selectKey((_k, v) => (v === 'none' ? (null as unknown as string) : `key-${v}`)),
      [
        ['a', '1'],
        ['b', 'none'],
      ],
    );
    expect(pairs(out)).toEqual([
      ['key-1', '1'],
      [null, 'none'],
    ]);
  });

  it('peek runs its action and passes every record on unchanged; foreach is terminal', async () => {
    const peeked: string[] = [];
    const each: string[] = [];
    const builder = new StreamsBuilder();
    const stream = builder.stream(input).peek((k, v) => peeked.push(`${k}=${v}`));
    stream.foreach((k, v) => each.push(`${k}=${v}`));
    stream.to(output);
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    topic.pipeInput('a', '1', 1, { h: 'x' });
    topic.pipeInput('b', null, 2);
    expect(peeked).toEqual(['a=1', 'b=null']);
    expect(each).toEqual(['a=1', 'b=null']);
    const out = driver.createOutputTopic(output).readRecordsToList();
    expect(out.map((r) => [r.key, r.value, r.timestamp, r.headers])).toEqual([
      ['a', '1', 1, { h: 'x' }],
      ['b', null, 2, {}],
    ]);
    // foreach has no successor in the topology.
    const description = builder.build().describe().toJSON();
    const foreach = description.subtopologies.flatMap((s) => s.nodes).find((n) => n.name.includes('FOREACH'));
    expect(foreach).toMatchObject({ type: 'processor', successors: [] });
  });

  it('merge interleaves two streams in the order their records arrive', async () => {
    const second = defineTopic('in2', Serdes.String(), Serdes.String());
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .mapValues((v) => `1:${v}`)
      .merge(builder.stream(second))
      .to(output);
    driver = await TopologyTestDriver.create(builder.build());
    driver.createInputTopic(input).pipeInput('a', 'x', 1);
    driver.createInputTopic(second).pipeInput('b', 'y', 0);
    driver.createInputTopic(input).pipeInput('c', 'z', 2);
    expect(driver.createOutputTopic(output).readValuesToList()).toEqual(['1:x', 'y', '1:z']);
  });

  describe('split', () => {
    async function split(withDefault: boolean) {
      const builder = new StreamsBuilder();
      const branching = builder
        .stream(input)
        .split({ name: 'sizes-' })
        .branch('small', (_k, v) => v !== null && v.length < 3)
        .branch('medium', (_k, v) => v !== null && v.length < 6);
      const branches = withDefault ? branching.defaultBranch('rest') : branching.noDefaultBranch();
      branches.small.mapValues((v) => `S:${v}`).to(output);
      branches.medium.mapValues((v) => `M:${v}`).to(output);
      if ('rest' in branches)
        (branches.rest as KStream<string, string>).mapValues((v) => `R:${v}`).to(output);
      const topology = builder.build();
      driver = await TopologyTestDriver.create(topology);
      const topic = driver.createInputTopic(input);
      for (const value of ['ab', 'abcd', 'abcdefgh', 'a', null]) topic.pipeInput('k', value, 0);
      return { topology, out: driver.createOutputTopic(output).readValuesToList() };
    }

    it('sends each record to the first branch whose predicate holds; the default branch takes the rest', async () => {
      const { out, topology } = await split(true);
      // 'a' also fits 'medium', but 'small' comes first.
      expect(out).toEqual(['S:ab', 'M:abcd', 'R:abcdefgh', 'S:a', 'R:null']);
      const names = topology
        .describe()
        .toJSON()
        .subtopologies.flatMap((s) => s.nodes)
        .map((n) => n.name);
      expect(names).toEqual(expect.arrayContaining(['sizes-', 'sizes-small', 'sizes-medium', 'sizes-rest']));
    });

    it('without a default branch, records that match no predicate are dropped', async () => {
      const { out } = await split(false);
      expect(out).toEqual(['S:ab', 'M:abcd', 'S:a']);
    });

    it('refuses a branch name used twice', () => {
      const builder = new StreamsBuilder();
      const branching = builder
        .stream(input)
        .split()
        .branch('x', () => true);
      expect(() => branching.branch('x', () => false)).toThrow(/branch "x" is defined twice/);
    });
  });

  it('to with a topic-name extractor writes each record to the topic it names', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(input)
      .to((_key, value, record) => `${value === null ? 'deletes' : 'events'}-${record.timestamp % 2}`, {
        keySerde: Serdes.String(),
        valueSerde: Serdes.String(),
      });
    driver = await TopologyTestDriver.create(builder.build());
    const topic = driver.createInputTopic(input);
    topic.pipeInput('a', 'x', 0);
    topic.pipeInput('b', 'y', 1);
    topic.pipeInput('c', null, 2);
    const read = (name: string) =>
      driver!.createOutputTopic(name, Serdes.String(), Serdes.String()).readKeyValuesToList();
    expect(read('events-0')).toEqual([{ key: 'a', value: 'x' }]);
    expect(read('events-1')).toEqual([{ key: 'b', value: 'y' }]);
    expect(read('deletes-0')).toEqual([{ key: 'c', value: null }]);
    expect(driver.producedTopicNames().sort()).toEqual(['deletes-0', 'events-0', 'events-1', 'in']);
  });

  it('a sink’s partitioner chooses the partition; undefined falls back to the default partitioner', async () => {
    const builder = new StreamsBuilder();
    builder.stream(input).to(output, {
      partitioner: (_topic, key, _value, partitions) => (key === 'last' ? partitions - 1 : undefined),
    });
    driver = await TopologyTestDriver.create(builder.build(), { topicPartitions: { out: 4 } });
    const topic = driver.createInputTopic(input);
    topic.pipeInput('last', 'x', 0);
    topic.pipeInput('other', 'y', 0);
    const out = driver.createOutputTopic(output).readRecordsToList();
    expect(out[0]!.partition).toBe(3);
    const { murmur2 } = await import('../../src/runtime/partitioner.ts');
    expect(out[1]!.partition).toBe((murmur2(Buffer.from('other')) & 0x7fffffff) % 4);
  });

  it('a partitioner choosing a partition that does not exist is an error naming sink, topic and count', async () => {
    const builder = new StreamsBuilder();
    builder.stream(input).to(output, { name: 'bad-sink', partitioner: () => 9 });
    driver = await TopologyTestDriver.create(builder.build(), { topicPartitions: { out: 2 } });
    expect(() => driver!.createInputTopic(input).pipeInput('k', 'v', 0)).toThrow(
      'sink "bad-sink": the partitioner chose partition 9 of topic "out", which has 2',
    );
  });
});
