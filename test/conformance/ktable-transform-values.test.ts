// Kafka Streams' KTableTransformValuesTest, transcribed: transforming a table's values with a
// ValueTransformerWithKey that may read state stores, materialized or not, and the old values of the
// result. The Java cases that drive the processor or its value getter with mocks are run here through
// a topology: a getter is what a stream-table join reads, and "sends old values" is what a capture
// that forces them sees.
import { describe, expect } from 'vitest';
import {
  Serdes,
  Stores,
  StreamsBuilder,
  type KTable,
  type ProcessingContext,
  type ValueTransformerWithKeySupplier,
} from 'tributary';
import type { Change } from '../../src/processor/change.ts';
import { Captured, captureChanges, change, driverPerTest, javaTest, kvt } from './support/conformance.ts';

const QUERYABLE_NAME = 'queryable-store';
const INPUT_TOPIC = 'inputTopic';
const STORE_NAME = 'someStore';
const OTHER_STORE_NAME = 'otherStore';
const CONSUMED = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

/** The Java test's `storeBuilder`: a key-value store of longs. */
const storeBuilder = (name: string) =>
  Stores.keyValue({ name, keySerde: Serdes.Long(), valueSerde: Serdes.Long() });

/** Kafka Streams' ExclamationValueTransformer: `key->value!`, after checking its stores are there. */
function exclamation(
  ...expectedStoreNames: string[]
): ValueTransformerWithKeySupplier<string, string, string> {
  return () => ({
    init: (context) => {
      for (const name of expectedStoreNames) expect(context.getStateStore(name)).toBeDefined();
    },
    transform: (key, value) => `${key}->${value}!`,
  });
}

/** Kafka Streams' StatefulTransformer: counts its calls. */
const stateful: ValueTransformerWithKeySupplier<string, string, number> = () => {
  let counter = 0;
  return { transform: () => ++counter };
};

/** Kafka Streams' StatelessTransformer: the value's length. */
const stateless: ValueTransformerWithKeySupplier<string, string, number> = () => ({
  transform: (_key, value) => (value === null ? null : value.length),
});

describe('KTableTransformValuesTest', () => {
  const start = driverPerTest();

  /** A table of INPUT_TOPIC joined by a stream of lookups: the join reads the table's value getter. */
  async function lookups<V>(transform: (table: KTable<string, string>) => KTable<string, V>) {
    const builder = new StreamsBuilder();
    const table = transform(builder.table<string, string>(INPUT_TOPIC, CONSUMED));
    builder
      .stream<string, string>('lookups', CONSUMED)
      .join(table, (_lookup, value) => value)
      .to('found', { keySerde: Serdes.String(), valueSerde: Serdes.Json() });
    const driver = await start(builder.build());
    return {
      driver,
      input: driver.createInputTopic<string, string>(INPUT_TOPIC),
      lookup: driver.createInputTopic<string, string>('lookups'),
      found: () =>
        driver
          .createOutputTopic<string, unknown>('found', Serdes.String(), Serdes.Json())
          .readRecordsToList()
          .map((r) => [r.key, r.value]),
    };
  }

  javaTest('shouldThrowOnGetIfSupplierReturnsNull', async () => {
    const builder = new StreamsBuilder();
    const nullSupplier = (() => null) as unknown as ValueTransformerWithKeySupplier<string, string, string>;
    builder
      .table<string, string>(INPUT_TOPIC, CONSUMED)
      .transformValues(nullSupplier, { storeName: QUERYABLE_NAME });
    await expect(start(builder.build())).rejects.toThrow(/ValueTransformerWithKeySupplier returned null/);
  });

  javaTest('shouldThrowOnViewGetIfSupplierReturnsNull', async () => {
    // The processor's transformer is made first; the join's getter asks for a second one.
    let calls = 0;
    const supplier = (() => (calls++ === 0 ? exclamation()() : null)) as ValueTransformerWithKeySupplier<
      string,
      string,
      string
    >;
    await expect(lookups((table) => table.transformValues(supplier))).rejects.toThrow(
      /ValueTransformerWithKeySupplier returned null/,
    );
  });

  javaTest('shouldInitializeTransformerWithForwardDisabledProcessorContext', async () => {
    let context: ProcessingContext | undefined;
    const builder = new StreamsBuilder();
    builder.table<string, string>(INPUT_TOPIC, CONSUMED).transformValues(() => ({
      init: (c) => (context = c),
      transform: (_key, value) => value,
    }));
    await start(builder.build());
    expect(context).toBeDefined();
    const forwarding = context as unknown as { forward(record: unknown): void };
    expect(() => forwarding.forward({ key: 'Key', value: 'value', timestamp: 0, headers: {} })).toThrow(
      /a ValueTransformerWithKey cannot forward/,
    );
    // Everything else of the processor's context is there.
    expect(context!.applicationId).toBeTypeOf('string');
    expect(context!.stateDir()).toBeTypeOf('string');
    expect(context!.keySerde().name).toBeTypeOf('string');
  });

  javaTest('shouldNotSendOldValuesByDefault', async () => {
    const builder = new StreamsBuilder();
    const captured = new Captured<string, Change<string>>();
    captureChanges(
      builder.table<string, string>(INPUT_TOPIC, CONSUMED).transformValues(exclamation()),
      captured,
    );
    const input = (await start(builder.build())).createInputTopic<string, string>(INPUT_TOPIC);
    input.pipeInput('Key', 'oldValue', 0);
    input.pipeInput('Key', 'newValue', 0);
    captured.check(
      kvt('Key', change('Key->oldValue!', null), 0),
      kvt('Key', change('Key->newValue!', null), 0),
    );
  });

  javaTest('shouldSendOldValuesIfConfigured', async () => {
    const builder = new StreamsBuilder();
    const captured = new Captured<string, Change<string>>();
    captureChanges(
      builder.table<string, string>(INPUT_TOPIC, CONSUMED).transformValues(exclamation()),
      captured,
      {
        oldValues: 'forced',
      },
    );
    const input = (await start(builder.build())).createInputTopic<string, string>(INPUT_TOPIC);
    input.pipeInput('Key', 'oldValue', 0);
    input.pipeInput('Key', 'newValue', 0);
    // Not materialized: the old value is the transformer's result for the parent's old value.
    captured.check(
      kvt('Key', change('Key->oldValue!', 'Key->null!'), 0),
      kvt('Key', change('Key->newValue!', 'Key->oldValue!'), 0),
    );
  });

  /** The parent's changes and the transformed table's, the latter with old values forced. */
  async function parentAndTransformed(materialized: boolean) {
    const builder = new StreamsBuilder();
    const parent = builder.table<string, string>(INPUT_TOPIC, CONSUMED);
    const parentChanges = new Captured<string, Change<string>>();
    const transformedChanges = new Captured<string, Change<string>>();
    captureChanges(parent, parentChanges);
    const transformed = parent.transformValues(
      exclamation(),
      materialized ? { storeName: QUERYABLE_NAME, valueSerde: Serdes.String() } : {},
    );
    captureChanges(transformed, transformedChanges, { oldValues: 'forced' });
    const input = (await start(builder.build())).createInputTopic<string, string>(INPUT_TOPIC);
    input.pipeInput('A', 'a', 5);
    input.pipeInput('A', 'b', 10);
    // The first old value: the store's (none) when materialized, else the transformer's for no value.
    transformedChanges.check(
      kvt('A', change('A->a!', materialized ? null : 'A->null!'), 5),
      kvt('A', change('A->b!', 'A->a!'), 10),
    );
    return parentChanges;
  }

  javaTest('shouldNotSetSendOldValuesOnParentIfMaterialized', async () => {
    const parentChanges = await parentAndTransformed(true);
    parentChanges.check(kvt('A', change('a', null), 5), kvt('A', change('b', null), 10));
  });

  javaTest('shouldSetSendOldValuesOnParentIfNotMaterialized', async () => {
    const parentChanges = await parentAndTransformed(false);
    parentChanges.check(kvt('A', change('a', null), 5), kvt('A', change('b', 'a'), 10));
  });

  javaTest('shouldTransformOnGetIfNotMaterialized', async () => {
    const { input, lookup, found } = await lookups((table) => table.transformValues(exclamation()));
    input.pipeInput('Key', 'Value', 73);
    lookup.pipeInput('Key', 'lookup', 80);
    expect(found()).toEqual([['Key', 'Key->Value!']]);
  });

  javaTest('shouldGetFromStateStoreIfMaterialized', async () => {
    // A stateful transformer tells the store's value (computed once, when the row changed) from a
    // value computed again on read.
    const { input, lookup, found } = await lookups((table) =>
      table.transformValues(stateful, { storeName: QUERYABLE_NAME, valueSerde: Serdes.Int() }),
    );
    input.pipeInput('Key', 'Value', 0);
    lookup.pipeInput('Key', 'lookup', 1);
    lookup.pipeInput('Key', 'lookup', 2);
    expect(found()).toEqual([
      ['Key', 1],
      ['Key', 1],
    ]);
  });

  // The Java test checks the getter's store names; here the join that reads the getter must be
  // connected to the parent's store and to the stores the transformer reads, or the lookup would fail.
  javaTest('shouldGetStoreNamesFromParentIfNotMaterialized', async () => {
    const { input, lookup, found } = await lookups((table) =>
      table.transformValues(exclamation(STORE_NAME), { stores: [storeBuilder(STORE_NAME)] }),
    );
    input.pipeInput('Key', 'Value', 0);
    lookup.pipeInput('Key', 'lookup', 1);
    expect(found()).toEqual([['Key', 'Key->Value!']]);
  });

  javaTest('shouldGetQueryableStoreNameIfMaterialized', async () => {
    const builder = new StreamsBuilder();
    const table = builder
      .table<string, string>(INPUT_TOPIC, CONSUMED)
      .transformValues(exclamation(), { storeName: QUERYABLE_NAME, valueSerde: Serdes.String() });
    builder
      .stream<string, string>('lookups', CONSUMED)
      .join(table, (_lookup, value) => value)
      .to('found', CONSUMED);
    const description = builder.build().describe().toString();
    const join = description.split('\n').find((line) => line.includes('Processor: KSTREAM-JOIN'));
    expect(join).toContain(`stores: [${QUERYABLE_NAME}]`);
  });

  javaTest('shouldCloseTransformerOnProcessorClose', async () => {
    let closed = 0;
    const builder = new StreamsBuilder();
    builder.table<string, string>(INPUT_TOPIC, CONSUMED).transformValues(() => ({
      transform: (_key, value) => value,
      close: () => closed++,
    }));
    const driver = await start(builder.build());
    expect(closed).toBe(0);
    await driver.close();
    expect(closed).toBe(1);
  });

  /** A supplier of pass-through transformers that records each one's creation and close. */
  function tracked() {
    const made: { closed: number }[] = [];
    const supplier: ValueTransformerWithKeySupplier<string, string, string> = () => {
      const transformer = { closed: 0 };
      made.push(transformer);
      return { transform: (_key, value) => value, close: () => transformer.closed++ };
    };
    return { supplier, made };
  }

  // The Java test closes the getter itself; here the stream-table join holds the getter and closes it
  // when its task closes. Each reader of a table not materialized has its own transformer, besides the
  // table's processor's: both are closed, once.
  javaTest('shouldCloseTransformerOnGetterClose', async () => {
    const { supplier, made } = tracked();
    const { driver } = await lookups((table) => table.transformValues(supplier));
    expect(made.map((t) => t.closed)).toEqual([0, 0]);
    await driver.close();
    expect(made.map((t) => t.closed)).toEqual([1, 1]);
  });

  // The join reads the second transformValues' getter, whose parent is the first's getter, holding a
  // transformer of its own: closing the join's getter closes that parent getter too.
  javaTest('shouldCloseParentGetterClose', async () => {
    const parent = tracked();
    const child = tracked();
    const { driver } = await lookups((table) =>
      table.transformValues(parent.supplier).transformValues(child.supplier),
    );
    expect(parent.made.map((t) => t.closed)).toEqual([0, 0]);
    await driver.close();
    expect(parent.made.map((t) => t.closed)).toEqual([1, 1]);
    expect(child.made.map((t) => t.closed)).toEqual([1, 1]);
  });

  javaTest('shouldTransformValuesWithKey', async () => {
    const builder = new StreamsBuilder();
    builder.addStateStore(storeBuilder(STORE_NAME)).addStateStore(storeBuilder(OTHER_STORE_NAME));
    const captured = new Captured<string, string | null>();
    const table = builder
      .table<string, string>(INPUT_TOPIC, CONSUMED)
      .transformValues(exclamation(STORE_NAME, OTHER_STORE_NAME), { stores: [STORE_NAME, OTHER_STORE_NAME] });
    table.toStream().process(captured.supplier);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>(INPUT_TOPIC);
    input.pipeInput('A', 'a', 5);
    input.pipeInput('B', 'b', 10);
    input.pipeInput('D', null, 15);
    captured.check(kvt('A', 'A->a!', 5), kvt('B', 'B->b!', 10), kvt('D', 'D->null!', 15));
    // Not materialized: there is no store of that name.
    expect(() => driver.getKeyValueStore(QUERYABLE_NAME)).toThrow();
  });

  javaTest('shouldTransformValuesWithKeyAndMaterialize', async () => {
    const builder = new StreamsBuilder();
    builder.addStateStore(storeBuilder(STORE_NAME));
    const captured = new Captured<string, string | null>();
    builder
      .table<string, string>(INPUT_TOPIC, CONSUMED)
      .transformValues(exclamation(STORE_NAME, QUERYABLE_NAME), {
        storeName: QUERYABLE_NAME,
        keySerde: Serdes.String(),
        valueSerde: Serdes.String(),
        stores: [STORE_NAME],
      })
      .toStream()
      .process(captured.supplier);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>(INPUT_TOPIC);
    input.pipeInput('A', 'a', 5);
    input.pipeInput('B', 'b', 10);
    input.pipeInput('C', null, 15);
    captured.check(kvt('A', 'A->a!', 5), kvt('B', 'B->b!', 10), kvt('C', 'C->null!', 15));
    const store = driver.getKeyValueStore<string, string>(QUERYABLE_NAME);
    expect(store.get('A')).toBe('A->a!');
    expect(store.get('B')).toBe('B->b!');
    expect(store.get('C')).toBe('C->null!');
    const timestamped = driver.getTimestampedKeyValueStore<string, string>(QUERYABLE_NAME);
    expect(timestamped.get('A')).toEqual({ value: 'A->a!', timestamp: 5 });
    expect(timestamped.get('B')).toEqual({ value: 'B->b!', timestamp: 10 });
    expect(timestamped.get('C')).toEqual({ value: 'C->null!', timestamp: 15 });
  });

  /** Sums the transformed values per key (a re-grouping that needs old values), back to strings. */
  async function summed(transformed: (table: KTable<string, string>) => KTable<string, number>) {
    const builder = new StreamsBuilder();
    const captured = new Captured<string, string | null>();
    transformed(builder.table<string, string>(INPUT_TOPIC, CONSUMED))
      .groupBy((key, value) => ({ key, value }), { keySerde: Serdes.String(), valueSerde: Serdes.Int() })
      .reduce(
        (a, b) => a + b,
        (a, b) => a - b,
      )
      .mapValues((value) => String(value))
      .toStream()
      .process(captured.supplier);
    const driver = await start(builder.build());
    return { driver, captured, input: driver.createInputTopic<string, string>(INPUT_TOPIC) };
  }

  javaTest('shouldCalculateCorrectOldValuesIfMaterializedEvenIfStateful', async () => {
    const { driver, captured, input } = await summed((table) =>
      table.transformValues(stateful, {
        storeName: QUERYABLE_NAME,
        keySerde: Serdes.String(),
        valueSerde: Serdes.Int(),
      }),
    );
    input.pipeInput('A', 'ignored', 5);
    input.pipeInput('A', 'ignored1', 15);
    input.pipeInput('A', 'ignored2', 10);
    captured.check(kvt('A', '1', 5), kvt('A', '2', 15), kvt('A', '3', 15));
    expect(driver.getKeyValueStore<string, number>(QUERYABLE_NAME).get('A')).toBe(3);
  });

  javaTest('shouldCalculateCorrectOldValuesIfNotStatefulEvenIfNotMaterialized', async () => {
    const { captured, input } = await summed((table) => table.transformValues(stateless));
    input.pipeInput('A', 'a', 5);
    input.pipeInput('A', 'aa', 15);
    input.pipeInput('A', 'aaa', 10);
    captured.check(kvt('A', '1', 5), kvt('A', '2', 15), kvt('A', '3', 15));
  });
});
