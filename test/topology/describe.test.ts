import { describe, expect, it } from 'vitest';
import { Serdes, Stores, StreamsBuilder, defineTopic, named, type Processor } from 'tributary';

const orders = defineTopic('orders', Serdes.String(), Serdes.Json<{ quantity: number }>());

describe('Topology.describe() text', () => {
  it('prints a single sub-topology exactly as Kafka Streams does', () => {
    const builder = new StreamsBuilder();
    builder
      .stream(orders)
      .filter((_k, v) => v.quantity > 0)
      .to('out');
    expect(builder.build().describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])\n' +
        '      --> KSTREAM-FILTER-0000000001\n' +
        '    Processor: KSTREAM-FILTER-0000000001 (stores: [])\n' +
        '      --> KSTREAM-SINK-0000000002\n' +
        '      <-- KSTREAM-SOURCE-0000000000\n' +
        '    Sink: KSTREAM-SINK-0000000002 (topic: out)\n' +
        '      <-- KSTREAM-FILTER-0000000001\n' +
        '\n',
    );
  });

  it('orders nodes by the size of the graph below them, then by name, and numbers global stores last', () => {
    const builder = new StreamsBuilder();
    const positive = builder.stream(orders).filter((_k, v) => v.quantity > 0);
    positive.to('short'); // size 1
    positive.mapValues((v) => v.quantity).to('long'); // size 2: listed first
    positive.repartition({ name: 'by-key' }).to('after');
    builder.globalTable('customers', { storeName: 'customers-store' });
    const text = builder.build().describe({ applicationId: 'app' }).toString();
    expect(text).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])\n' +
        '      --> KSTREAM-FILTER-0000000001\n' +
        '    Processor: KSTREAM-FILTER-0000000001 (stores: [])\n' +
        '      --> KSTREAM-MAPVALUES-0000000003, KSTREAM-SINK-0000000002, KSTREAM-SINK-0000000005\n' +
        '      <-- KSTREAM-SOURCE-0000000000\n' +
        '    Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])\n' +
        '      --> KSTREAM-SINK-0000000004\n' +
        '      <-- KSTREAM-FILTER-0000000001\n' +
        '    Sink: KSTREAM-SINK-0000000002 (topic: short)\n' +
        '      <-- KSTREAM-FILTER-0000000001\n' +
        '    Sink: KSTREAM-SINK-0000000004 (topic: long)\n' +
        '      <-- KSTREAM-MAPVALUES-0000000003\n' +
        '    Sink: KSTREAM-SINK-0000000005 (topic: app-by-key-repartition)\n' +
        '      <-- KSTREAM-FILTER-0000000001\n' +
        '\n' +
        '  Sub-topology: 1\n' +
        '    Source: KSTREAM-SOURCE-0000000006 (topics: [app-by-key-repartition])\n' +
        '      --> KSTREAM-SINK-0000000007\n' +
        '    Sink: KSTREAM-SINK-0000000007 (topic: after)\n' +
        '      <-- KSTREAM-SOURCE-0000000006\n' +
        '\n' +
        '  Sub-topology: 2 for global store (will not generate tasks)\n' +
        '    Source: KSTREAM-SOURCE-0000000008 (topics: [customers])\n' +
        '      --> KTABLE-SOURCE-0000000009\n' +
        '    Processor: KTABLE-SOURCE-0000000009 (stores: [customers-store])\n' +
        '      --> none\n' +
        '      <-- KSTREAM-SOURCE-0000000008\n',
    );
  });

  it('shows internal topics without an application id unless one is given', () => {
    const builder = new StreamsBuilder();
    builder.stream(orders).repartition({ name: 'r' }).to('out');
    const topology = builder.build();
    expect(topology.describe().toString()).toContain('(topic: r-repartition)');
    expect(topology.describe({ applicationId: 'shop' }).toString()).toContain(
      '(topics: [shop-r-repartition])',
    );
  });

  it('names the function choosing the topic of a sink', () => {
    const builder = new StreamsBuilder();
    builder.stream(orders).to(named('byQuantity', (_k, v) => (v.quantity > 10 ? 'big' : 'small')));
    expect(builder.build().describe().toString()).toContain(
      'Sink: KSTREAM-SINK-0000000001 (extractor class: byQuantity)',
    );
  });
});

describe('Topology.describe() data', () => {
  function tableTopology() {
    const builder = new StreamsBuilder();
    builder.table('prices', {
      storeName: 'prices-store',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Double(),
    });
    builder
      .stream(orders)
      .selectKey((_k, v) => String(v.quantity))
      .toTable({ storeName: 'latest', backend: 'memory' });
    builder.addStateStore(
      Stores.window({
        name: 'recent',
        keySerde: Serdes.String(),
        valueSerde: Serdes.Long(),
        windowSizeMs: 60_000,
        retentionMs: 3_600_000,
      }),
    );
    const supplier = (): Processor<string, { quantity: number }> => ({ process: () => undefined });
    builder.stream(orders, { name: 'second-source' }).process(supplier, { stores: ['recent'], name: 'proc' });
    return builder.build();
  }

  it('lists stores with kind, serdes, changelog topic and owning sub-topology', () => {
    const description = tableTopology().describe({ applicationId: 'app' }).toJSON();
    const stores = Object.fromEntries(description.stores.map((s) => [s.name, s]));
    expect(stores['prices-store']).toMatchObject({
      kind: 'timestamped-key-value',
      keySerde: 'string',
      valueSerde: 'double',
      // A source table restores from its own topic: no separate changelog.
      changelogTopic: 'prices',
      global: false,
    });
    expect(stores.latest).toMatchObject({
      kind: 'timestamped-key-value',
      backend: 'memory',
      changelogTopic: 'app-latest-changelog',
    });
    expect(stores.recent).toMatchObject({
      kind: 'window',
      windowSizeMs: 60_000,
      retentionMs: 3_600_000,
      retainDuplicates: false,
      changelogTopic: 'app-recent-changelog',
    });
    const owner = description.subtopologies.find((s) => s.nodes.some((n) => n.name === 'proc'))!;
    expect(stores.recent!.subtopology).toBe(owner.id);
  });

  it('lists internal topics with their serdes, and nodes with successors and predecessors', () => {
    const description = tableTopology().describe({ applicationId: 'app' }).toJSON();
    const repartition = description.internalTopics.find((t) => t.kind === 'repartition')!;
    expect(repartition.name).toMatch(/^app-KSTREAM-.*-repartition$/);
    expect(repartition).toMatchObject({ keySerde: 'json', valueSerde: 'json' });
    expect(description.internalTopics.find((t) => t.name === 'app-latest-changelog')).toMatchObject({
      kind: 'changelog',
      config: { 'cleanup.policy': 'compact' },
    });
    const proc = description.subtopologies.flatMap((s) => s.nodes).find((n) => n.name === 'proc');
    expect(proc).toEqual({
      type: 'processor',
      name: 'proc',
      stores: ['recent'],
      successors: [],
      // A second stream() of the same topic reads through the first one's source, as in Kafka Streams.
      predecessors: ['KSTREAM-SOURCE-0000000002'],
    });
    const source = description.subtopologies[0]!.nodes[0]!;
    expect(source).toMatchObject({
      type: 'source',
      topics: ['prices'],
      keySerde: 'string',
      valueSerde: 'double',
    });
    // The data form survives JSON as is.
    expect(JSON.parse(JSON.stringify(description))).toEqual(description);
  });
});

describe('Topology.describe() Mermaid', () => {
  it('draws a flowchart with sub-topologies as subgraphs and topics and stores as nodes', () => {
    const builder = new StreamsBuilder();
    const positive = builder.stream(orders).filter((_k, v) => v.quantity > 0);
    positive.to('out');
    positive.selectKey((_k, v) => v.quantity).toTable({ storeName: 'by-quantity' });
    builder.globalTable('customers', { storeName: 'customers-store' });
    const mermaid = builder.build().describe().toMermaid();
    const lines = mermaid.trimEnd().split('\n');

    expect(lines[0]).toBe('flowchart LR');
    const opened = lines.filter((l) => /^\s*subgraph /.test(l));
    const closed = lines.filter((l) => l.trim() === 'end');
    expect(opened.map((l) => l.trim())).toEqual([
      'subgraph sub0 ["Sub-topology 0"]',
      'subgraph sub1 ["Sub-topology 1"]',
      'subgraph sub2 ["Global store customers-store"]',
    ]);
    expect(closed).toHaveLength(3);

    // Every node is declared once; every edge joins declared nodes.
    const declared = new Map<string, string>();
    for (const line of lines) {
      const m = /^\s*([a-z]\w*)(\[\(|\(\[|\[|\{\{)"(.*)"/.exec(line);
      if (m && !line.trim().startsWith('subgraph')) {
        expect(declared.has(m[1]!)).toBe(false);
        declared.set(m[1]!, m[3]!);
      }
    }
    const edges = lines.filter((l) => / (-->|-\.-) /.test(l)).map((l) => l.trim().split(/ (?:-->|-\.-) /));
    expect(edges.length).toBeGreaterThan(5);
    for (const [from, to] of edges) {
      expect(declared.has(from!), `edge from ${from}`).toBe(true);
      expect(declared.has(to!), `edge to ${to}`).toBe(true);
    }
    const idOf = (label: string) => [...declared].find(([, l]) => l === label)?.[0];
    // Topics are nodes outside the subgraphs, linked to the sources reading them and sinks writing them.
    expect(lines).toContain(`  ${idOf('orders')}(["orders"])`);
    expect(edges).toContainEqual([idOf('orders'), idOf('KSTREAM-SOURCE-0000000000')]);
    expect(edges).toContainEqual([idOf('KSTREAM-SINK-0000000002'), idOf('out')]);
    // Stores are cylinders inside their sub-topology, joined to the processors using them.
    const storeLine = lines.findIndex((l) => l.includes('[("by-quantity")]'));
    const sub1 = lines.findIndex((l) => l.includes('subgraph sub1'));
    expect(storeLine).toBeGreaterThan(sub1);
    expect(storeLine).toBeLessThan(lines.findIndex((l, i) => i > sub1 && l.trim() === 'end'));
    expect(
      edges.some(([from, to]) => to === idOf('by-quantity') && declared.get(from!)?.includes('TOTABLE')),
    ).toBe(true);
  });
});
