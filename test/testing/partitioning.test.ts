import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, type Processor, type ProcessorContext } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { murmur2 } from '../../src/runtime/partitioner.ts';

const input = defineTopic('in', Serdes.String(), Serdes.String());
const output = defineTopic('out', Serdes.String(), Serdes.String());

/** Where murmur2 puts a string key: hash of its UTF-8 bytes, made positive, modulo the partition count. */
const murmurPartition = (key: string, partitions: number) =>
  (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;

describe('the test driver partitions keys as Kafka does', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('a key lands on the partition murmur2 says, on input and on output, and is processed by that task', async () => {
    const builder = new StreamsBuilder();
    const seen: { key: string; partition: number }[] = [];
    builder
      .stream(input)
      .process(
        (): Processor<string, string, string, string> => {
          let context: ProcessorContext<string, string>;
          return {
            init: (c) => {
              context = c;
            },
            process: (record) => {
              seen.push({ key: record.key, partition: context.recordMetadata()!.partition });
              expect(context.taskId.partition).toBe(context.recordMetadata()!.partition);
              context.forward(record);
            },
          };
        },
        { name: 'observe' },
      )
      .to(output);
    driver = await TopologyTestDriver.create(builder.build(), { topicPartitions: { in: 5, out: 7 } });
    const keys = Array.from({ length: 60 }, (_, i) => `key-${i * 7919}`);
    const topic = driver.createInputTopic(input);
    for (const key of keys) topic.pipeInput(key, 'v', 0);
    expect(seen).toEqual(keys.map((key) => ({ key, partition: murmurPartition(key, 5) })));
    const written = driver.createOutputTopic(output).readRecordsToList();
    expect(written.map((r) => r.partition)).toEqual(keys.map((key) => murmurPartition(key, 7)));
    // Enough keys that every partition is used: a broken hash that sends all to one partition fails.
    expect(new Set(written.map((r) => r.partition)).size).toBe(7);
  });

  it('records without a key are spread over the partitions (round-robin when piped in)', async () => {
    const builder = new StreamsBuilder();
    builder.stream(input).to(output);
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 3 });
    const topic = driver.createInputTopic(input);
    for (let i = 0; i < 6; i++) topic.pipeInput(null, `v${i}`, 0);
    const partitions = (name: string) =>
      driver!
        .createOutputTopic(name, Serdes.String(), Serdes.String())
        .readRecordsToList()
        .map((r) => r.partition);
    expect(partitions('in')).toEqual([0, 1, 2, 0, 1, 2]);
    // Kafka's producers pick any partition for a null key; each task's sink spreads its own records.
    const out = partitions('out');
    expect(out).toHaveLength(6);
    expect(new Set(out).size).toBeGreaterThan(1);
  });
});
