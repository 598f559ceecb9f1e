// Kafka Streams' KStreamRepartitionTest, transcribed: `repartition` with a partitioner, and joins of
// repartitioned streams whose partition counts differ.
import { describe, expect } from 'vitest';
import { JoinWindows, Serdes, StreamsBuilder, TopologyError } from 'tributary';
import { driverPerTest, javaTest } from './support/conformance.ts';

const integerString = { keySerde: Serdes.Int(), valueSerde: Serdes.String() };

describe('KStreamRepartitionTest', () => {
  const start = driverPerTest();

  javaTest('shouldInvokePartitionerWhenSet', async () => {
    const calls: [number, string][] = [];
    const builder = new StreamsBuilder();
    builder.stream<number, string>('input-topic', integerString).repartition({
      name: 'test',
      // The Java test's mock partitioner: every record to partition 1.
      partitioner: (_topic, key: number, value: string) => {
        calls.push([key, value]);
        return 1;
      },
    });
    const driver = await start(builder.build(), { applicationId: 'app', partitions: 2 });
    const input = driver.createInputTopic<number, string>('input-topic');
    for (const [i, key] of [0, 1].entries()) input.pipeInput(key, `X${key}`, i + 10);
    const output = driver.createOutputTopic<number, string>(
      'app-test-repartition',
      Serdes.Int(),
      Serdes.String(),
    );
    expect(
      output.readRecordsToList().map(({ key, value, timestamp, headers, partition }) => ({
        key,
        value,
        timestamp,
        headers,
        partition,
      })),
    ).toEqual([
      { key: 0, value: 'X0', timestamp: 10, headers: {}, partition: 1 },
      { key: 1, value: 'X1', timestamp: 11, headers: {}, partition: 1 },
    ]);
    expect(calls).toEqual([
      [0, 'X0'],
      [1, 'X1'],
    ]);
  });

  javaTest('shouldThrowAnExceptionWhenNumberOfPartitionsOfRepartitionOperationsDoNotMatchWhenJoining', () => {
    const builder = new StreamsBuilder();
    const topicBStream = builder
      .stream<number, string>('topic-b', integerString)
      .repartition({ name: 'topic-b-scale-up', partitions: 2 });
    builder
      .stream<number, string>('input-topic', integerString)
      .repartition({ name: 'input-topic-scale-up', partitions: 4 })
      .join(topicBStream, (_value1, value2) => value2, JoinWindows.ofTimeDifferenceWithNoGrace(10_000))
      .to('topic-output');
    expect(() => builder.build()).toThrow(TopologyError);
    expect(() => builder.build()).toThrow('"input-topic-scale-up-repartition" (4 partitions)');
    expect(() => builder.build()).toThrow('"topic-b-scale-up-repartition" (2 partitions)');
  });
});
