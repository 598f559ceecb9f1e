import { describe, expect, it } from 'vitest';
import {
  Serdes,
  Stores,
  StreamsBuilder,
  defineTopic,
  diffTopologies,
  type Processor,
  type Serde,
} from 'tributary';

const orders = defineTopic('orders', Serdes.String(), Serdes.Json<{ quantity: number }>());
const ignore = (): Processor<string, { quantity: number }> => ({ process: () => undefined });

function withWindowStore(windowSizeMs: number) {
  const builder = new StreamsBuilder();
  builder.addStateStore(
    Stores.window({
      name: 'recent',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      windowSizeMs,
      retentionMs: 3_600_000,
    }),
  );
  builder.stream(orders).process(ignore, { stores: ['recent'], name: 'counter' });
  return builder.build();
}

describe('diffTopologies', () => {
  it('finds nothing between a topology and itself, or its saved description', () => {
    const topology = withWindowStore(60_000);
    const saved = JSON.parse(JSON.stringify(topology.describe({ applicationId: 'app' }).toJSON()));
    const diff = diffTopologies(saved, topology.describe({ applicationId: 'app' }));
    expect(diff.breaking).toEqual([]);
    expect(diff.harmless).toEqual([]);
    expect(diff.compatible).toBe(true);
    expect(diff.toString()).toBe('No changes.\n');
  });

  it('reports a store whose generated name moved as renamed, which breaks its state', () => {
    const before = new StreamsBuilder();
    before
      .stream(orders)
      .selectKey((_k, v) => String(v.quantity))
      .toTable()
      .toStream()
      .to('out');
    const after = new StreamsBuilder();
    after
      .stream(orders)
      .filter((_k, v) => v.quantity > 0) // one more operator shifts every generated name after it
      .selectKey((_k, v) => String(v.quantity))
      .toTable()
      .toStream()
      .to('out');
    const diff = diffTopologies(before.build().describe({ applicationId: 'app' }), after.build());
    expect(diff.compatible).toBe(false);
    const renamed = diff.breaking.find((c) => c.kind === 'store-renamed');
    expect(renamed?.subject).toBe('KSTREAM-TOTABLE-STATE-STORE-0000000002');
    expect(renamed?.message).toContain(
      'store "KSTREAM-TOTABLE-STATE-STORE-0000000002" is now "KSTREAM-TOTABLE-STATE-STORE-0000000003"',
    );
    expect(renamed?.message).toContain(
      'changelog topic "app-KSTREAM-TOTABLE-STATE-STORE-0000000002-changelog"',
    );
    expect(diff.breaking.map((c) => c.kind)).toContain('repartition-renamed');
    expect(diff.harmless.map((c) => c.kind)).toContain('processor-added');
    expect(diff.toString()).toMatch(
      /^Not compatible: 2 breaking changes\.\n\nBreaking changes \(2\):\n {2}- store /,
    );
  });

  it('reports an explicitly renamed store as renamed', () => {
    const make = (storeName: string) => {
      const builder = new StreamsBuilder();
      builder.table('prices', { storeName });
      return builder.build();
    };
    const diff = diffTopologies(make('prices-v1'), make('prices-v2'));
    expect(diff.breaking.map((c) => [c.kind, c.subject])).toEqual([['store-renamed', 'prices-v1']]);
  });

  it('reports a changed window size as breaking', () => {
    const diff = diffTopologies(withWindowStore(60_000), withWindowStore(120_000));
    expect(diff.breaking).toEqual([
      {
        kind: 'store-window',
        breaking: true,
        subject: 'recent',
        message: 'store "recent" changed windowSizeMs from 60000 to 120000',
      },
    ]);
  });

  it('reports changed window settings recorded by the DSL (grace) as breaking', () => {
    const description = withWindowStore(60_000).describe().toJSON();
    const withWindows = (graceMs: number) => ({
      ...description,
      stores: description.stores.map((s) => ({
        ...s,
        windows: { type: 'time', sizeMs: 60_000, advanceMs: 60_000, graceMs },
      })),
    });
    const diff = diffTopologies(withWindows(0), withWindows(5_000));
    expect(diff.breaking.map((c) => c.message)).toEqual([
      'the windows of store "recent" changed graceMs from 0 to 5000: existing windows were computed with the old setting',
    ]);
  });

  it('reports store kind, serde and changelog changes as breaking and a new backend as harmless', () => {
    const make = (options: {
      kind?: 'kv' | 'ts';
      valueSerde?: 'long' | 'string';
      logging?: boolean;
      memory?: boolean;
    }) => {
      const builder = new StreamsBuilder();
      const spec = (options.kind === 'ts' ? Stores.timestampedKeyValue : Stores.keyValue)({
        name: 'counts',
        keySerde: Serdes.String(),
        valueSerde: (options.valueSerde === 'string' ? Serdes.String() : Serdes.Long()) as Serde<unknown>,
        logging: options.logging ?? true,
        backend: options.memory ? 'memory' : 'leveldb',
      });
      builder.addStateStore(spec as never);
      builder.stream(orders).process(ignore, { stores: ['counts'], name: 'counter' });
      return builder.build();
    };
    expect(diffTopologies(make({}), make({ kind: 'ts' })).breaking.map((c) => c.kind)).toEqual([
      'store-kind',
    ]);
    expect(diffTopologies(make({}), make({ valueSerde: 'string' })).breaking[0]?.message).toBe(
      'store "counts" changed its value serde from long to string: stored data and its changelog cannot be read',
    );
    expect(diffTopologies(make({}), make({ logging: false })).breaking.map((c) => c.kind)).toEqual([
      'store-changelog',
    ]);
    const backend = diffTopologies(make({}), make({ memory: true }));
    expect(backend.compatible).toBe(true);
    expect(backend.harmless.map((c) => c.message)).toEqual([
      'store "counts" moves from leveldb to memory (restored from its changelog)',
    ]);
  });

  it('reports source topic changes as breaking and new outputs as harmless', () => {
    const make = (source: string, valueSerde = Serdes.Json<unknown>(), extraOutput = false) => {
      const builder = new StreamsBuilder();
      const stream = builder.stream(source, { keySerde: Serdes.String(), valueSerde, name: 'src' });
      stream.to('out', { name: 'sink' });
      if (extraOutput) stream.to('audit', { name: 'audit-sink' });
      return builder.build();
    };
    expect(
      diffTopologies(make('orders'), make('orders-v2')).breaking.map((c) => [c.kind, c.subject]),
    ).toEqual([['source-removed', 'orders']]);
    expect(diffTopologies(make('orders'), make('orders', Serdes.String() as never)).breaking[0]?.kind).toBe(
      'source-serde',
    );
    const added = diffTopologies(make('orders'), make('orders', undefined, true));
    expect(added.compatible).toBe(true);
    expect(added.harmless.map((c) => c.kind).sort()).toEqual(['processor-added', 'sink-added']);
  });

  it('reports a changed application id as breaking', () => {
    const topology = withWindowStore(1000);
    const diff = diffTopologies(
      topology.describe({ applicationId: 'a' }),
      topology.describe({ applicationId: 'b' }),
    );
    expect(diff.breaking.map((c) => c.kind)).toEqual(['application-id']);
  });
});
