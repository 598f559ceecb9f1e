/**
 * What Kafka Streams' KStreamGlobalKTableJoinTest and KStreamGlobalKTableLeftJoinTest share: a stream
 * whose values may name a key of a global table (`X0,FKey0`), joined with that table.
 */
import { Serdes, StreamsBuilder, type Topology } from 'tributary';
import type { TestInputTopic, TopologyTestDriver, TopologyTestDriverOptions } from 'tributary/testing';
import { Captured, toStringJoiner } from './conformance.ts';

const KEYS = [0, 1, 2, 3] as const;

export interface GlobalJoinCase {
  readonly topology: Topology;
  readonly processor: Captured<number | null, string>;
  /** The Java `pushToStream`: values `prefix + key`, with `,FKey + key` when asked, the first key null when asked. */
  pushToStream(count: number, prefix: string, includeForeignKey: boolean, includeNullKey: boolean): void;
  pushToGlobalTable(count: number, prefix: string): void;
  pushNullValueToGlobalTable(count: number): void;
}

export async function globalJoinCase(
  joinType: 'inner' | 'left',
  start: (topology: Topology, options?: TopologyTestDriverOptions) => Promise<TopologyTestDriver>,
): Promise<GlobalJoinCase> {
  const builder = new StreamsBuilder();
  const stream = builder.stream<number, string>('streamTopic', {
    keySerde: Serdes.Int(),
    valueSerde: Serdes.String(),
  });
  const table = builder.globalTable<string, string>('globalTableTopic', {
    keySerde: Serdes.String(),
    valueSerde: Serdes.String(),
  });
  const keyMapper = (_key: number, value: string) => value.split(',')[1] ?? null;
  const processor = new Captured<number | null, string>();
  const joined =
    joinType === 'inner'
      ? stream.join(table, keyMapper, toStringJoiner)
      : stream.leftJoin(table, keyMapper, toStringJoiner);
  joined.process(processor.supplier);
  const topology = builder.build();
  const driver = await start(topology);
  // Stream records are stamped 0, 1, 2, ... as they are piped.
  const streamTopic: TestInputTopic<number, string> = driver.createInputTopic(
    'streamTopic',
    undefined,
    undefined,
    {
      startTimestampMs: 0,
      autoAdvanceMs: 1,
    },
  );
  const tableTopic: TestInputTopic<string, string> = driver.createInputTopic('globalTableTopic');
  return {
    topology,
    processor,
    pushToStream: (count, prefix, includeForeignKey, includeNullKey) =>
      KEYS.slice(0, count).forEach((key, i) =>
        streamTopic.pipeInput(
          includeNullKey && i === 0 ? null : key,
          includeForeignKey ? `${prefix}${key},FKey${key}` : `${prefix}${key}`,
        ),
      ),
    pushToGlobalTable: (count, prefix) =>
      KEYS.slice(0, count).forEach((key) => tableTopic.pipeInput(`FKey${key}`, `${prefix}${key}`)),
    pushNullValueToGlobalTable: (count) =>
      KEYS.slice(0, count).forEach((key) => tableTopic.pipeInput(`FKey${key}`, null)),
  };
}
