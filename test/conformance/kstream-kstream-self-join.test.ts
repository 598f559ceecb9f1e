// Kafka Streams' KStreamKStreamSelfJoinTest, transcribed. The Java tests check that a self-join,
// rewritten by the optimizer into one processor, gives exactly what the plain inner join of the
// topic with itself gives. Tributary has no such rewrite; the expected lists below are what Kafka
// Streams 4.4.0's TopologyTestDriver produces for these inputs (with and without the optimization:
// they agree), so each case checks Tributary's self-join against Kafka Streams' own numbers.
import { describe } from 'vitest';
import { JoinWindows, Serdes, StreamsBuilder } from 'tributary';
import { Captured, driverPerTest, javaTest, kvt, type Kvt } from './support/conformance.ts';

type Input = [key: string, value: string, timestamp: number];

describe('KStreamKStreamSelfJoinTest', () => {
  const start = driverPerTest();

  async function selfJoin(
    windows: JoinWindows,
    shape: 'one stream' | 'two streams',
    inputs: Input[],
    expected: Kvt<string, string>[],
  ) {
    const builder = new StreamsBuilder();
    const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
    const stream1 = builder.stream<string, string>('topic1', strings);
    const stream2 = shape === 'one stream' ? stream1 : builder.stream<string, string>('topic1', strings);
    const processor = new Captured<string, string>();
    stream1.join(stream2, (v1, v2) => v1 + v2, windows).process(processor.supplier);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic1');
    for (const [key, value, timestamp] of inputs) input.pipeInput(key, value, timestamp);
    processor.check(...expected);
  }

  const fiveRecords: Input[] = [
    ['A', '1', 1],
    ['B', '1', 2],
    ['A', '2', 3],
    ['B', '2', 4],
    ['B', '3', 5],
  ];
  const fiveRecordsJoined = [
    kvt('A', '11', 1),
    kvt('B', '11', 2),
    kvt('A', '21', 3),
    kvt('A', '12', 3),
    kvt('A', '22', 3),
    kvt('B', '21', 4),
    kvt('B', '12', 4),
    kvt('B', '22', 4),
    kvt('B', '31', 5),
    kvt('B', '32', 5),
    kvt('B', '13', 5),
    kvt('B', '23', 5),
    kvt('B', '33', 5),
  ];

  javaTest('shouldMatchInnerJoinWithSelfJoinWithSingleStream', async () => {
    await selfJoin(
      JoinWindows.ofTimeDifferenceWithNoGrace(100),
      'one stream',
      fiveRecords,
      fiveRecordsJoined,
    );
  });

  javaTest('shouldMatchInnerJoinWithSelfJoinWithTwoStreams', async () => {
    await selfJoin(
      JoinWindows.ofTimeDifferenceWithNoGrace(100),
      'two streams',
      fiveRecords,
      fiveRecordsJoined,
    );
  });

  javaTest('shouldMatchInnerJoinWithSelfJoinDifferentBeforeAfterWindows', async () => {
    await selfJoin(
      JoinWindows.ofTimeDifferenceAndGrace(11_000, 10_000),
      'two streams',
      [
        ['A', '1', 0],
        ['A', '2', 11000],
        ['B', '1', 12000],
        ['A', '3', 13000],
        ['A', '4', 15000],
        ['C', '1', 16000],
        ['D', '1', 17000],
        ['A', '5', 30000],
      ],
      [
        kvt('A', '11', 0),
        kvt('A', '21', 11000),
        kvt('A', '12', 11000),
        kvt('A', '22', 11000),
        kvt('B', '11', 12000),
        kvt('A', '32', 13000),
        kvt('A', '23', 13000),
        kvt('A', '33', 13000),
        kvt('A', '42', 15000),
        kvt('A', '43', 15000),
        kvt('A', '24', 15000),
        kvt('A', '34', 15000),
        kvt('A', '44', 15000),
        kvt('C', '11', 16000),
        kvt('D', '11', 17000),
        kvt('A', '55', 30000),
      ],
    );
  });

  javaTest('shouldMatchInnerJoinWithSelfJoinOutOfOrderMessages', async () => {
    await selfJoin(
      JoinWindows.ofTimeDifferenceWithNoGrace(10_000),
      'two streams',
      [
        ['A', '1', 0],
        ['A', '2', 9999],
        ['B', '1', 11000],
        ['A', '3', 13000],
        ['A', '4', 15000],
        ['C', '1', 16000],
        ['D', '1', 17000],
        ['A', '5', 30000],
        ['A', '5', 6000],
      ],
      [
        kvt('A', '11', 0),
        kvt('A', '21', 9999),
        kvt('A', '12', 9999),
        kvt('A', '22', 9999),
        kvt('B', '11', 11000),
        kvt('A', '32', 13000),
        kvt('A', '23', 13000),
        kvt('A', '33', 13000),
        kvt('A', '42', 15000),
        kvt('A', '43', 15000),
        kvt('A', '24', 15000),
        kvt('A', '34', 15000),
        kvt('A', '44', 15000),
        kvt('C', '11', 16000),
        kvt('D', '11', 17000),
        kvt('A', '55', 30000),
        kvt('A', '53', 13000),
        kvt('A', '54', 15000),
        kvt('A', '35', 13000),
        kvt('A', '45', 15000),
      ],
    );
  });
});
