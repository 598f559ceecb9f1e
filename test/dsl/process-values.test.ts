import { afterEach, describe, expect, it } from 'vitest';
import {
  PunctuationType,
  Serdes,
  StreamsBuilder,
  streamRecord,
  withHeaders,
  withTimestamp,
  withValue,
  type FixedKeyProcessorContext,
  type FixedKeyProcessorSupplier,
  type FixedKeyRecord,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

describe('KStream.processValues: a processor that keeps keys (KIP-820)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  const lengths: FixedKeyProcessorSupplier<string, string, number> = () => {
    let context: FixedKeyProcessorContext<string, number>;
    return {
      init: (c) => (context = c),
      process: (record) => context.forward(withValue(record, record.value.length)),
    };
  };

  // Kafka Streams' KStreamImplTest.shouldProcessValues: the values change, keys and timestamps stay.
  it('changes values and keeps keys and timestamps', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('input', strings)
      .processValues(lengths, { name: 'fkp' })
      .to('output', { keySerde: Serdes.String(), valueSerde: Serdes.Int() });
    const topology = builder.build();
    expect(topology.describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n' +
        '      --> fkp\n' +
        '    Processor: fkp (stores: [])\n' +
        '      --> KSTREAM-SINK-0000000001\n' +
        '      <-- KSTREAM-SOURCE-0000000000\n' +
        '    Sink: KSTREAM-SINK-0000000001 (topic: output)\n' +
        '      <-- fkp\n\n',
    );
    driver = await TopologyTestDriver.create(topology);
    const input = driver.createInputTopic<string, string>('input');
    for (const [key, value, timestamp] of [
      ['A', '0', 5],
      ['B', '00', 100],
      ['C', '000', 0],
      ['D', '0000', 0],
      ['A', '00000', 10],
      ['A', '000000', 8],
    ] as const)
      input.pipeInput(key, value, timestamp);
    expect(
      driver
        .createOutputTopic<string, number>('output')
        .readRecordsToList()
        .map(({ key, value, timestamp }) => ({ key, value, timestamp })),
    ).toEqual([
      { key: 'A', value: 1, timestamp: 5 },
      { key: 'B', value: 2, timestamp: 100 },
      { key: 'C', value: 3, timestamp: 0 },
      { key: 'D', value: 4, timestamp: 0 },
      { key: 'A', value: 5, timestamp: 10 },
      { key: 'A', value: 6, timestamp: 8 },
    ]);
  });

  const repartitionTopics = (builder: StreamsBuilder) =>
    [...builder.build().internalTopics.values()].filter((t) => t.kind === 'repartition').map((t) => t.name);

  it('needs no repartitioning before grouping, where process does', () => {
    const fixedKey = new StreamsBuilder();
    fixedKey
      .stream<string, string>('input', strings)
      .processValues(lengths)
      .groupByKey()
      .count({ storeName: 'counts' });
    expect(repartitionTopics(fixedKey)).toEqual([]);

    const anyKey = new StreamsBuilder();
    anyKey
      .stream<string, string>('input', strings)
      .process<string, number>(() => ({ process: () => undefined }))
      .groupByKey()
      .count({ storeName: 'counts' });
    expect(repartitionTopics(anyKey)).toEqual(['counts-repartition']);

    // A key changed before processValues still needs the repartition.
    const changedBefore = new StreamsBuilder();
    changedBefore
      .stream<string, string>('input', strings)
      .selectKey((_key, value) => value)
      .processValues(lengths)
      .groupByKey()
      .count({ storeName: 'counts' });
    expect(repartitionTopics(changedBefore)).toEqual(['counts-repartition']);
  });

  // Stream-time punctuation fires on the first record, then every 10 ms of stream time, each time after
  // the record that advanced it was processed (as Kafka Streams does).
  it('forwards records it kept, with new timestamps and headers, from punctuation', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('input', strings)
      .processValues<string>(() => {
        let context: FixedKeyProcessorContext<string, string>;
        const latest = new Map<string, FixedKeyRecord<string, string>>();
        return {
          init(c) {
            context = c;
            context.schedule(10, PunctuationType.STREAM_TIME, (time) => {
              for (const record of latest.values())
                context.forward(withHeaders(withTimestamp(record, time), { punctuated: 'yes' }));
              latest.clear();
            });
          },
          process: (record) => latest.set(record.key, record),
        };
      })
      .to('output', strings);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic<string, string>('input');
    input.pipeInput('a', 'first', 1);
    input.pipeInput('a', 'second', 2);
    input.pipeInput('b', 'other', 3);
    input.pipeInput('c', 'late', 12);
    expect(
      driver
        .createOutputTopic<string, string>('output')
        .readRecordsToList()
        .map(({ key, value, timestamp, headers }) => ({ key, value, timestamp, headers })),
    ).toEqual([
      { key: 'a', value: 'first', timestamp: 1, headers: { punctuated: 'yes' } },
      { key: 'a', value: 'second', timestamp: 12, headers: { punctuated: 'yes' } },
      { key: 'b', value: 'other', timestamp: 12, headers: { punctuated: 'yes' } },
      { key: 'c', value: 'late', timestamp: 12, headers: { punctuated: 'yes' } },
    ]);
  });

  it('takes only records derived from the ones it received, and refuses a missing supplier', () => {
    const check: FixedKeyProcessorSupplier<string, string, string> = () => ({
      init(context) {
        // @ts-expect-error a new record could carry another key: only received ones can be forwarded
        context.forward(streamRecord('other', 'value', 0));
      },
      process: () => undefined,
    });
    expect(check).toBeTypeOf('function');
    expect(() =>
      new StreamsBuilder().stream<string, string>('input', strings).processValues(null as never),
    ).toThrow('KStream.processValues needs a fixed-key processor supplier, got null');
  });
});
