import { describe, expect, it } from 'vitest';
import {
  AvroSchemas,
  FunctionRegistry,
  Serdes,
  Stores,
  StreamsBuilder,
  TimeWindows,
  JoinWindows,
  SessionWindows,
  SlidingWindows,
  Suppressed,
  defineTopic,
  keyValue,
  named,
  topologyFromJson,
  topologyToJson,
  withValue,
  type FixedKeyProcessor,
  type FixedKeyProcessorContext,
  type Processor,
  type ProcessorSupplier,
  type Serde,
  type TopologyJson,
  type ValueTransformerWithKey,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

interface Order {
  readonly id: string;
  readonly quantity: number;
}

const orders = defineTopic('orders', Serdes.String(), Serdes.Json<Order>());

// Every function the topology below uses, by name: what a loader would be given.
const fns = {
  positive: (_k: string, o: Order) => o.quantity > 0,
  tiny: (_k: string, o: Order) => o.quantity < 2,
  byId: (_k: string, o: Order) => keyValue(o.id, o),
  quantity: (o: Order) => o.quantity,
  twice: (_k: string, o: Order) => [keyValue(o.id, o), keyValue(`${o.id}-copy`, o)],
  digits: (q: number) => String(q).split(''),
  firstChar: (k: string) => k.slice(0, 1),
  noop: () => undefined,
  isBig: (_k: string, q: number) => q >= 10,
  chooseTopic: (k: string) => `routed-${k.length}`,
  firstPartition: () => 0,
  eventTime: (r: { timestamp: number }) => r.timestamp,
  counter: (): Processor<string, Order, string, number> => {
    let count = 0;
    return { process: () => void count++ };
  },
  halves: (): FixedKeyProcessor<string, Order, number> => {
    let context: FixedKeyProcessorContext<string, number>;
    return {
      init: (c) => (context = c),
      process: (record) => context.forward(withValue(record, record.value.quantity / 2)),
    };
  },
  label: (v: string) => `price ${v}`,
  pricer: (): ValueTransformerWithKey<string, string, string> => ({
    transform: (key, value) => `${key}: ${value}`,
  }),
  notEmpty: (_k: string, v: string) => v.length > 0,
};

/** A topology using every operation that compiles today: stateless ones, tables, process, split, merge, repartition, to. */
function buildBig(builder: StreamsBuilder, f: typeof fns): void {
  const source = builder.stream(orders, { timestampExtractor: f.eventTime });
  const positive = source.filter(f.positive).filterNot(f.tiny, { name: 'not-tiny' });
  const rekeyed = positive.map(f.byId).peek(f.noop);
  rekeyed.flatMap(f.twice).selectKey(f.firstChar).to('flat', { partitioner: f.firstPartition });
  const quantities = rekeyed.mapValues(f.quantity, { name: 'quantities' });
  quantities.flatMapValues(f.digits).to('digits', { valueSerde: Serdes.String() });
  const branches = quantities.split({ name: 'size-' }).branch('big', f.isBig).defaultBranch('small');
  branches.big
    .merge(branches.small)
    .repartition({ name: 'merged', partitions: 3, valueSerde: Serdes.Int() })
    .to(f.chooseTopic);
  source.repartition().foreach(f.noop);
  builder.addStateStore(
    Stores.keyValue({
      name: 'counts',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      backend: 'memory',
    }),
  );
  builder.addStateStore(
    Stores.window({
      name: 'recent',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Json(),
      windowSizeMs: 1000,
      retentionMs: 60_000,
      retainDuplicates: true,
      logging: { topicConfig: { 'segment.ms': '10000' } },
    }),
  );
  builder.addStateStore(
    Stores.session({
      name: 'visits',
      keySerde: Serdes.Long(),
      valueSerde: Serdes.Int(),
      retentionMs: 5000,
      logging: false,
    }),
  );
  source.process(f.counter as ProcessorSupplier<string, Order, string, number>, {
    stores: ['counts', 'recent', 'visits'],
  });
  source.processValues(f.halves, { name: 'halves', stores: ['counts'] }).to('halves');
  const prices = builder.table('prices', {
    storeName: 'prices-store',
    keySerde: Serdes.String(),
    valueSerde: Serdes.String(),
    logging: { topicConfig: { 'min.compaction.lag.ms': '1000' } },
  });
  prices.filter(f.notEmpty, { storeName: 'non-empty-prices' }).mapValues(f.label).toStream().to('labels');
  prices
    .transformValues(f.pricer, { stores: ['counts'] })
    .toStream()
    .to('priced');
  rekeyed.toTable({ storeName: 'latest-order', logging: false });
  builder.globalTable('customers', { storeName: 'customers-store', keySerde: Serdes.Long() });
}

describe('topology as data (JSON)', () => {
  it('round trips a topology to the same description and the same JSON', () => {
    const builder = new StreamsBuilder();
    buildBig(builder, fns);
    const original = builder.build();
    const json = topologyToJson(builder, { functions: fns });
    const text = JSON.stringify(json);

    const rebuilt = topologyFromJson(text, { functions: fns });
    expect(rebuilt.describe({ applicationId: 'app' }).toString()).toBe(
      original.describe({ applicationId: 'app' }).toString(),
    );
    expect(rebuilt.describe({ applicationId: 'app' }).toJSON()).toEqual(
      original.describe({ applicationId: 'app' }).toJSON(),
    );
    expect(topologyToJson(rebuilt, { functions: fns })).toEqual(json);
    // The same store specs, topic configs included.
    expect([...rebuilt.internalTopics.values()]).toEqual([...original.internalTopics.values()]);
    const specs = (t: typeof original) =>
      [...t.stores.values()].map((s) => ({ ...s, keySerde: s.keySerde.name, valueSerde: s.valueSerde.name }));
    expect(specs(rebuilt)).toEqual(specs(original));
    expect(json.version).toBe(1);
    expect(json.nodes.find((n) => n.op === 'process-values')).toEqual({
      op: 'process-values',
      name: 'halves',
      parents: ['KSTREAM-SOURCE-0000000000'],
      supplier: 'halves',
      stores: ['counts'],
    });
    expect(json.nodes.find((n) => n.op === 'filter' && n.name === 'not-tiny')).toEqual({
      op: 'filter',
      name: 'not-tiny',
      parents: ['KSTREAM-FILTER-0000000001'],
      predicate: 'tiny',
      negate: true,
    });
  });

  it('rebuilds a topology that runs like the original', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(orders)
      .filter(named('positiveOrder', (_k, o) => o.quantity > 0))
      .mapValues(named('orderQuantity', (o) => o.quantity))
      .to('quantities', { valueSerde: Serdes.Int() });
    const json = JSON.parse(JSON.stringify(topologyToJson(builder))) as TopologyJson;
    const topology = topologyFromJson(json, {
      functions: new FunctionRegistry()
        .register('positiveOrder', (_k: string, o: Order) => o.quantity > 0)
        .register('orderQuantity', (o: Order) => o.quantity * 100),
    });
    const driver = await TopologyTestDriver.create(topology);
    try {
      const input = driver.createInputTopic(orders);
      input.pipeInput('a', { id: 'a', quantity: 2 });
      input.pipeInput('b', { id: 'b', quantity: 0 });
      expect(driver.createOutputTopic('quantities').readValuesToList()).toEqual([200]);
    } finally {
      await driver.close();
    }
  });

  it('round trips stateful operations: aggregations, windows, suppression and every kind of join', async () => {
    const f = {
      orderId: (_k: string, o: Order) => o.id,
      keepLast: (_a: Order, b: Order) => b,
      zero: () => 0,
      addQuantity: (_k: string, o: Order, sum: number) => sum + o.quantity,
      mergeSums: (_k: string, a: number, b: number) => a + b,
      pair: (a: Order, b: Order) => ({ left: a.id, right: b.id }),
      withCount: (o: Order, c: number | null) => ({ ...o, c }),
      customerKey: (k: string) => k,
      withCustomer: (o: Order, c: string) => ({ ...o, c }),
      byName: (k: string, v: string) => keyValue(v, k),
      plus: (a: number, b: number) => a + b,
      minus: (a: number, b: number) => a - b,
      both: (a: string | null, b: string | null) => `${a}/${b}`,
      length: (v: string) => v.length,
      identity: (k: string, v: number) => keyValue(k, v),
      foreignKey: (v: string) => v,
    };
    const build = (builder: StreamsBuilder) => {
      const stream = builder.stream(orders);
      const counts = stream.groupByKey().count({ storeName: 'counts' });
      stream
        .groupBy(f.orderId)
        .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 5_000))
        .reduce(f.keepLast)
        .suppress(Suppressed.untilWindowCloses())
        .toStream()
        .to('final', { keySerde: Serdes.TimeWindowed(Serdes.String(), 60_000) });
      stream
        .groupByKey()
        .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(1000))
        .aggregate(f.zero, f.addQuantity);
      stream
        .groupByKey()
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(3_600_000))
        .aggregate(f.zero, f.addQuantity, f.mergeSums, { valueSerde: Serdes.Long() });
      stream
        .groupByKey()
        .cogroup(f.addQuantity)
        .cogroup(stream.groupBy(f.orderId), f.addQuantity)
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(60_000))
        .aggregate(f.zero, f.mergeSums, { valueSerde: Serdes.Long() });
      stream.join(
        builder.stream(orders, { name: 'other' }),
        f.pair,
        JoinWindows.ofTimeDifferenceWithNoGrace(1000),
      );
      stream.leftJoin(counts, f.withCount).to('with-counts');
      const customers = builder.globalTable<string, string>('customers', { storeName: 'customers' });
      stream.join(customers, f.customerKey, f.withCustomer).to('with-customers');
      const names = builder.table<string, string>('names', {
        keySerde: Serdes.String(),
        valueSerde: Serdes.String(),
      });
      names
        .groupBy(f.byName, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
        .count()
        .toStream()
        .to('name-counts');
      const lengths = names.mapValues(f.length, { storeName: 'lengths', valueSerde: Serdes.Int() });
      lengths.groupBy(f.identity).reduce(f.plus, f.minus);
      names.outerJoin(names, f.both).toStream().to('pairs');
      names.join(names, f.foreignKey, f.both).toStream().to('fk');
    };
    const builder = new StreamsBuilder();
    build(builder);
    const original = builder.build();
    const json = topologyToJson(builder, { functions: f });
    expect(new Set(json.nodes.map((n) => n.op))).toEqual(
      new Set([
        'stream-source',
        'stream-aggregate',
        'select-key',
        'repartition',
        'windowed-aggregate',
        'suppress',
        'table-to-stream',
        'to',
        'session-aggregate',
        'cogroup-aggregate',
        'stream-stream-join',
        'stream-table-join',
        'global-table',
        'stream-global-join',
        'table-source',
        'table-group-by',
        'table-aggregate',
        'table-map-values',
        'table-table-join',
        'fk-join',
      ]),
    );
    const rebuilt = topologyFromJson(JSON.stringify(json), { functions: f });
    expect(rebuilt.describe({ applicationId: 'app' }).toString()).toBe(
      original.describe({ applicationId: 'app' }).toString(),
    );
    expect(rebuilt.describe({ applicationId: 'app' }).toJSON()).toEqual(
      original.describe({ applicationId: 'app' }).toJSON(),
    );
    const windowed = json.nodes.find((n) => n.op === 'windowed-aggregate' && n.kind === 'reduce')!;
    expect(windowed.windows).toEqual({ type: 'time', sizeMs: 60_000, advanceMs: 60_000, graceMs: 5_000 });
    expect(windowed.aggregator).toBe('keepLast');
    // Window settings reach the description, where diff can see them.
    const store = rebuilt
      .describe()
      .toJSON()
      .stores.find((s) => s.name === (windowed.store as { name: string }).name);
    expect(store?.windows).toEqual({ type: 'time', sizeMs: 60_000, advanceMs: 60_000, graceMs: 5_000 });

    const driver = await TopologyTestDriver.create(rebuilt);
    try {
      driver.createInputTopic(orders).pipeInput('c1', { id: 'o1', quantity: 3 }, 10);
      expect(
        driver.createOutputTopic('with-counts', Serdes.String(), Serdes.Json()).readValuesToList(),
      ).toEqual([{ id: 'o1', quantity: 3, c: 1 }]);
    } finally {
      await driver.close();
    }
  });

  it('names serdes: built-ins, windowed ones, Avro types and the user’s own', () => {
    const schemas = AvroSchemas.fromSchemas([
      {
        source: 'order.avsc',
        schema: {
          type: 'record',
          name: 'Order',
          namespace: 'shop',
          fields: [{ name: 'id', type: 'string' }],
        },
      },
    ]);
    const upper: Serde<string> = {
      name: 'upper-string',
      serialize: (v) => new TextEncoder().encode(v.toUpperCase()),
      deserialize: (b) => new TextDecoder().decode(b),
    };
    const builder = new StreamsBuilder({ defaultKeySerde: Serdes.String() });
    builder.stream('in', { valueSerde: schemas.serde('Order') }).to('out', {
      keySerde: Serdes.TimeWindowed(Serdes.Long(), 60_000),
      valueSerde: upper as Serde<unknown>,
    });
    builder.stream('sessions', {
      keySerde: Serdes.SessionWindowed(Serdes.LongBigInt()),
      valueSerde: Serdes.Bytes(),
    });
    const json = topologyToJson(builder);
    expect(json.defaultKeySerde).toBe('string');
    expect(json.nodes[0]).toMatchObject({ valueSerde: 'avro:shop.Order' });
    expect(json.nodes[1]).toMatchObject({ keySerde: 'windowed(long,60000)', valueSerde: 'upper-string' });
    expect(json.nodes[2]).toMatchObject({ keySerde: 'session-windowed(long-bigint)', valueSerde: 'bytes' });

    const topology = topologyFromJson(json, {
      avroSchemas: schemas,
      serdes: { 'upper-string': upper as Serde<unknown> },
    });
    const sink = [...topology.nodes.values()].find((n) => n.kind === 'sink')!;
    expect(sink.kind === 'sink' && sink.valueSerde).toBe(upper);
    const windowed = sink.kind === 'sink' ? sink.keySerde : undefined;
    expect(windowed?.deserialize(windowed.serialize({ key: 7, window: { start: 0, end: 60_000 } }))).toEqual({
      key: 7,
      window: { start: 0, end: 60_000 },
    });
    expect(() => topologyFromJson(json, { serdes: { 'upper-string': upper as Serde<unknown> } })).toThrow(
      /node 0 "KSTREAM-SOURCE-0000000000" \(stream-source\): field "valueSerde" serde "avro:shop.Order" needs Avro schemas/,
    );
  });
});

describe('topology JSON errors', () => {
  const base = (): TopologyJson => ({
    version: 1,
    defaultKeySerde: 'string',
    defaultValueSerde: 'json',
    nodes: [
      { op: 'stream-source', name: 'src', topics: ['in'] },
      { op: 'filter', name: 'keep', parents: ['src'], predicate: 'keep', negate: false },
      { op: 'to', name: 'sink', parents: ['keep'], topic: 'out' },
    ],
  });
  const functions = { keep: () => true };
  const withNode = (index: number, node: Record<string, unknown>): TopologyJson => {
    const json = base();
    return { ...json, nodes: json.nodes.map((n, i) => (i === index ? node : n)) } as unknown as TopologyJson;
  };

  it('accepts the minimal hand-written form', () => {
    expect(topologyFromJson(base(), { functions }).describe().toString()).toContain(
      'Processor: keep (stores: [])',
    );
  });

  it('names the operator and argument of a function without a registered name', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, number>('in')
      .mapValues(function double(v: number) {
        return v * 2;
      })
      .to('out');
    expect(() => topologyToJson(builder)).toThrow(
      'node 1 "KSTREAM-MAPVALUES-0000000001" (map-values): field "mapper" is a function with no registered name (the function "double"); wrap it with named(\'<name>\', fn) or pass it in the functions option',
    );
  });

  it('names the serde argument without a name', () => {
    const builder = new StreamsBuilder();
    const nameless = { ...Serdes.String(), name: '' };
    builder.stream('in', { keySerde: nameless }).to('out');
    expect(() => topologyToJson(builder)).toThrow(
      /node 0 .*\(stream-source\): field "keySerde" is a serde without a name/,
    );
  });

  it('reports an unknown op, a missing field, an unknown function and an unknown parent with the node', () => {
    expect(() =>
      topologyFromJson(withNode(1, { op: 'filtr', name: 'keep', parents: ['src'] }), { functions }),
    ).toThrow('invalid topology JSON: node 1 "keep": unknown op "filtr"');
    expect(() =>
      topologyFromJson(withNode(1, { op: 'filter', name: 'keep', parents: ['src'], negate: false }), {
        functions,
      }),
    ).toThrow('node 1 "keep" (filter): the field "predicate" is missing');
    expect(() => topologyFromJson(base(), { functions: { other: () => true } })).toThrow(
      'node 1 "keep" (filter): field "predicate" names the function "keep", which is not among the functions given (known: other)',
    );
    expect(() =>
      topologyFromJson(withNode(2, { op: 'to', name: 'sink', parents: ['nope'], topic: 'out' }), {
        functions,
      }),
    ).toThrow('node 2 "sink" (to): parent "nope" is not a node defined before this one');
    expect(() =>
      topologyFromJson(withNode(2, { op: 'to', name: 'sink', parents: ['keep'], topic: 'out', tpoic: 'x' }), {
        functions,
      }),
    ).toThrow('node 2 "sink" (to): unknown field "tpoic"');
    expect(() =>
      topologyFromJson(withNode(0, { op: 'stream-source', name: 'src', topics: ['in'], keySerde: 'strin' }), {
        functions,
      }),
    ).toThrow(/node 0 "src" \(stream-source\): field "keySerde" unknown serde "strin"/);
    expect(() =>
      topologyFromJson(withNode(0, { op: 'stream-source', name: 'src', topics: 'in' }), { functions }),
    ).toThrow('node 0 "src" (stream-source): field "topics" must be an array of strings, got "in"');
  });

  it('checks the version and the top level', () => {
    expect(() => topologyFromJson({ ...base(), version: 2 }, { functions })).toThrow(
      'invalid topology JSON: version 2 is not supported (this Tributary reads version 1)',
    );
    const { version: _version, ...rest } = base();
    expect(() => topologyFromJson(rest as TopologyJson, { functions })).toThrow(
      'the "version" field is missing',
    );
    expect(() => topologyFromJson('{"version":1', { functions })).toThrow(
      /invalid topology JSON: not valid JSON/,
    );
  });

  it('stands in placeholders for missing functions and serdes when asked, for describing only', () => {
    const json = withNode(0, { op: 'stream-source', name: 'src', topics: ['in'], valueSerde: 'avro:Order' });
    const topology = topologyFromJson(json, { placeholders: true });
    expect(topology.describe().toJSON().subtopologies[0]!.nodes[0]).toMatchObject({
      valueSerde: 'avro:Order',
    });
    const filter = topology.nodes.get('keep');
    expect(filter?.kind).toBe('processor');
  });

  it('gives a function one name', () => {
    const fn = named('a', () => 1);
    expect(named('a', fn)).toBe(fn);
    expect(() => named('b', fn)).toThrow('this function is already named "a"');
    expect(() => new FunctionRegistry().register('x', fn).register('x', () => 2)).toThrow(
      'a different function is already registered as "x"',
    );
  });
});
