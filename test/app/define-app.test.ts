import { describe, expect, it } from 'vitest';
import { ConfigError, Serdes, StreamsBuilder, defineApp, defineTopic, isTributaryApp } from 'tributary';

const words = defineTopic('words', Serdes.String(), Serdes.String());

describe('defineApp', () => {
  it('builds a fresh topology on each call, with the app’s default serdes', () => {
    const app = defineApp({
      applicationId: 'word-app',
      topics: [words],
      defaultValueSerde: Serdes.String(),
      topology: (builder) => {
        builder.stream<string, string>('words').to('out');
      },
    });
    const first = app.buildTopology();
    const second = app.buildTopology();
    expect(first).not.toBe(second);
    expect(first.describe().toString()).toBe(second.describe().toString());
    const source = first.nodes.get('KSTREAM-SOURCE-0000000000');
    expect(source?.kind === 'source' && source.valueSerde.name).toBe('string');
    expect(app.topic('words')).toBe(words);
    expect(app.topic('other')).toBeUndefined();
    expect(isTributaryApp(app)).toBe(true);
    expect(isTributaryApp({ ...app })).toBe(false);
    expect(Object.isFrozen(app)).toBe(true);
  });

  it('accepts a topology function that returns its own Topology', () => {
    const app = defineApp({
      applicationId: 'own',
      topology: () => {
        const builder = new StreamsBuilder();
        builder.stream('a').to('b');
        return builder.build();
      },
    });
    expect(app.buildTopology().subtopologies).toHaveLength(1);
  });

  it('checks the application id against Kafka group id rules', () => {
    const topology = () => undefined;
    expect(() => defineApp({ applicationId: '', topology })).toThrow(ConfigError);
    expect(() => defineApp({ applicationId: 'orders app', topology })).toThrow(
      'applicationId "orders app" may only contain letters, digits, ".", "_" and "-"',
    );
    expect(() => defineApp({ applicationId: 'orders/app', topology })).toThrow(/may only contain/);
    expect(() => defineApp({ applicationId: 'x'.repeat(201), topology })).toThrow(/at most 200/);
    expect(defineApp({ applicationId: 'Orders_v2.app-1', topology }).applicationId).toBe('Orders_v2.app-1');
  });

  it('checks the rest of the definition', () => {
    expect(() => defineApp({ applicationId: 'a' } as never)).toThrow('a: topology must be a function');
    expect(() =>
      defineApp({
        applicationId: 'a',
        topology: () => undefined,
        errorHandling: { processing: 'ignore' as never },
      }),
    ).toThrow('a: errorHandling.processing must be one of fail, log-and-continue, dead-letter, got "ignore"');
    expect(() =>
      defineApp({
        applicationId: 'a',
        topology: () => undefined,
        topics: [words, defineTopic('words', Serdes.String(), Serdes.Json())],
      }),
    ).toThrow('a: topic "words" is listed twice in topics');
    const wrong = defineApp({ applicationId: 'a', topology: () => 42 as never });
    expect(() => wrong.buildTopology()).toThrow(/must add to the builder it is given/);
  });
});
