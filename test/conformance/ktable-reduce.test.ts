// Kafka Streams' KTableReduceTest, transcribed: a table reduce subtracts a change's old value, then adds
// its new one. The Java test drives the reduce processor with changes of one key; here the same
// changes come from a table re-grouped onto its own keys.
import { describe, expect } from 'vitest';
import { Serdes, StreamsBuilder } from 'tributary';
import { driverPerTest, javaTest } from './support/conformance.ts';

describe('KTableReduceTest', () => {
  const start = driverPerTest();

  javaTest('shouldAddAndSubtract', async () => {
    const union = (left: string[], right: string[]) => [...new Set([...left, ...right])].sort();
    const difference = (left: string[], right: string[]) => left.filter((value) => !right.includes(value));
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('input', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .groupBy((key, value) => ({ key, value: [value] }), {
        keySerde: Serdes.String(),
        valueSerde: Serdes.Json<string[]>(),
      })
      .reduce(union, difference, { storeName: 'myStore', valueSerde: Serdes.Json<string[]>() });
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('input');
    const myStore = driver.getTimestampedKeyValueStore<string, string[]>('myStore');
    input.pipeInput('A', 'a', 10); // new {a}
    expect(myStore.get('A')).toEqual({ value: ['a'], timestamp: 10 });
    input.pipeInput('A', 'b', 15); // new {b}, old {a}
    expect(myStore.get('A')).toEqual({ value: ['b'], timestamp: 15 });
    input.pipeInput('A', null, 12); // old {b}
    expect(myStore.get('A')).toEqual({ value: [], timestamp: 15 });
  });
});
