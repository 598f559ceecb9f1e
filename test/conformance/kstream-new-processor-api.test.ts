// Kafka Streams' KStreamNewProcessorApiTest, transcribed: a fixed-key processor (`processValues`) using
// a store, the store either added to the builder or provided with the processor.
import { describe, expect } from 'vitest';
import {
  Serdes,
  Stores,
  StreamsBuilder,
  withValue,
  type FixedKeyProcessorContext,
  type FixedKeyProcessorSupplier,
  type KeyValueStore,
} from 'tributary';
import { driverPerTest, javaTest } from './support/conformance.ts';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

describe('KStreamNewProcessorApiTest', () => {
  const start = driverPerTest();

  /** The Java `TransformerSupplier`: remembers each key's first value + "Updated" and forwards it. */
  const transformer: FixedKeyProcessorSupplier<string, string, string> = () => {
    let context: FixedKeyProcessorContext<string, string>;
    let store: KeyValueStore<string, string>;
    return {
      init(processorContext) {
        context = processorContext;
        store = context.getStateStore<KeyValueStore<string, string>>('store');
        expect(store, "State store can't be null").toBeDefined();
      },
      process(record) {
        store.putIfAbsent(record.key, `${record.value}Updated`);
        context.forward(withValue(record, `${record.value}Updated`));
      },
    };
  };

  async function runTest(shouldAddStoreDirectly: boolean) {
    const builder = new StreamsBuilder();
    const storeBuilder = Stores.keyValue({ name: 'store', ...strings, backend: 'memory' });
    if (shouldAddStoreDirectly) builder.addStateStore(storeBuilder);
    builder
      .stream<string, string>('input', strings)
      .processValues(transformer, { stores: [shouldAddStoreDirectly ? 'store' : storeBuilder] })
      .to('output', strings);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('input');
    for (const [key, value] of [
      ['a', 'foo'],
      ['b', 'bar'],
      ['c', 'baz'],
    ] as const)
      input.pipeInput(key, value);
    expect(driver.createOutputTopic<string, string>('output').readValuesToList()).toEqual([
      'fooUpdated',
      'barUpdated',
      'bazUpdated',
    ]);
    const stateStore = driver.getKeyValueStore<string, string>('store');
    expect(stateStore.get('a')).toBe('fooUpdated');
    expect(stateStore.get('b')).toBe('barUpdated');
    expect(stateStore.get('c')).toBe('bazUpdated');
  }

  javaTest('shouldGetStateStoreWithConnectedStoreProvider', () => runTest(false));
  javaTest('shouldGetStateStoreWithStreamBuilder', () => runTest(true));
});
