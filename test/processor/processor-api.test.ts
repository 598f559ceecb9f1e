import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ProcessingError,
  PunctuationType,
  Serdes,
  Stores,
  StreamsBuilder,
  TopologyError,
  defineTopic,
  withTimestamp,
  withValue,
  type Cancellable,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
  type RecordMetadata,
  type Serde,
  type StreamRecord,
} from 'tributary';
import { TopologyTestDriver, type TopologyTestDriverOptions } from 'tributary/testing';

const input = defineTopic('in', Serdes.String(), Serdes.String());
const output = defineTopic('out', Serdes.String(), Serdes.String());

type Ctx = ProcessorContext<string, string>;

/** A processor built from callbacks, with its context at hand. */
function processor(
  callbacks: {
    init?: (context: Ctx) => void;
    process?: (record: StreamRecord<string, string>, context: Ctx) => void;
  },
  stores: readonly string[] = [],
) {
  const builder = new StreamsBuilder();
  for (const name of stores)
    builder.addStateStore(Stores.keyValue({ name, keySerde: Serdes.String(), valueSerde: Serdes.Long() }));
  const stream = builder.stream(input).process(
    (): Processor<string, string, string, string> => {
      let context: Ctx;
      return {
        init: (c) => {
          context = c;
          callbacks.init?.(c);
        },
        process: (record) =>
          callbacks.process ? callbacks.process(record, context) : context.forward(record),
      };
    },
    { name: 'proc', stores },
  );
  return { builder, stream };
}

describe('Processor API through the TopologyTestDriver', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function run(builder: StreamsBuilder, options: TopologyTestDriverOptions = {}) {
    driver = await TopologyTestDriver.create(builder.build(), options);
    return { driver, in: driver.createInputTopic(input) };
  }

  describe('stream-time punctuation', () => {
    it('is aligned to 0, fires with stream time as soon as there is data, and skips missed intervals', async () => {
      const fired: { at: number; streamTime: number }[] = [];
      const { builder } = processor({
        init: (c) =>
          c.schedule(10, PunctuationType.STREAM_TIME, (at) =>
            fired.push({ at, streamTime: c.currentStreamTimeMs() }),
          ),
      });
      const { in: topic } = await run(builder);
      // Nothing fires before the first record: stream time is unknown.
      driver!.advanceWallClockTime(1_000);
      expect(fired).toEqual([]);
      topic.pipeInput('k', 'v', 5); // due at 0: fires at once with stream time 5; next due 10
      topic.pipeInput('k', 'v', 9);
      topic.pipeInput('k', 'v', 10); // due: fires with 10; next due 20
      topic.pipeInput('k', 'v', 35); // 20 and 30 were missed: one punctuation at 35, next due 40
      topic.pipeInput('k', 'v', 39);
      topic.pipeInput('k', 'v', 12); // out of order: stream time stays 39
      topic.pipeInput('k', 'v', 40);
      expect(fired).toEqual([
        { at: 5, streamTime: 5 },
        { at: 10, streamTime: 10 },
        { at: 35, streamTime: 35 },
        { at: 40, streamTime: 40 },
      ]);
    });

    it('is per task: each partition’s stream time drives its own schedules', async () => {
      const fired: string[] = [];
      const { builder } = processor({
        init: (c) =>
          c.schedule(100, PunctuationType.STREAM_TIME, (at) => fired.push(`${c.taskId.partition}@${at}`)),
      });
      const { in: topic } = await run(builder, { partitions: 2 });
      topic.pipeRecord({ key: 'a', value: 'v', timestamp: 150, partition: 0 });
      topic.pipeRecord({ key: 'b', value: 'v', timestamp: 50, partition: 1 });
      topic.pipeRecord({ key: 'b', value: 'v', timestamp: 120, partition: 1 });
      expect(fired).toEqual(['0@150', '1@50', '1@120']);
    });

    it('can forward records; they carry the timestamp given and no record metadata', async () => {
      let metadataInPunctuation: RecordMetadata | undefined | 'unset' = 'unset';
      const { builder, stream } = processor({
        init: (c) =>
          c.schedule(10, PunctuationType.STREAM_TIME, (at) => {
            metadataInPunctuation = c.recordMetadata();
            c.forward({ key: 'tick', value: String(at), timestamp: at, headers: {} });
          }),
        process: () => undefined,
      });
      stream.to(output);
      const { in: topic } = await run(builder);
      topic.pipeInput('k', 'v', 20);
      expect(metadataInPunctuation).toBeUndefined();
      expect(
        driver!
          .createOutputTopic(output)
          .readRecordsToList()
          .map((r) => [r.key, r.value, r.timestamp]),
      ).toEqual([['tick', '20', 20]]);
    });
  });

  describe('wall-clock punctuation', () => {
    it('fires interval ms after scheduling, as advanceWallClockTime moves the clock, skipping missed ones', async () => {
      const fired: number[] = [];
      const { builder } = processor({
        init: (c) => c.schedule(100, PunctuationType.WALL_CLOCK_TIME, (at) => fired.push(at)),
      });
      await run(builder, { initialWallClockTimeMs: 1_000 });
      driver!.advanceWallClockTime(99);
      expect(fired).toEqual([]);
      driver!.advanceWallClockTime(1); // 1,100: first due time
      driver!.advanceWallClockTime(350); // 1,450: due 1,200 (1,300 and 1,400 missed): once; next 1,500
      driver!.advanceWallClockTime(49);
      driver!.advanceWallClockTime(1); // 1,500
      expect(fired).toEqual([1_100, 1_450, 1_500]);
      expect(driver!.wallClockTime).toBe(1_500);
    });

    it('does not depend on records, and what it forwards reaches the sinks', async () => {
      const { builder, stream } = processor({
        init: (c) =>
          c.schedule(10, PunctuationType.WALL_CLOCK_TIME, (at) => {
            c.forward({ key: 'clock', value: String(c.currentSystemTimeMs()), timestamp: at, headers: {} });
          }),
      });
      stream.to(output);
      await run(builder);
      driver!.advanceWallClockTime(10);
      expect(driver!.createOutputTopic(output).readKeyValuesToList()).toEqual([
        { key: 'clock', value: '10' },
      ]);
    });
  });

  // The sequence Kafka Streams 4.4.0's TopologyTestDriver gives for the same processor and input.
  it('interleaves records and both kinds of punctuation as Kafka Streams does', async () => {
    const { builder, stream } = processor({
      init: (c) => {
        c.schedule(7, PunctuationType.STREAM_TIME, (at) =>
          c.forward({ key: 'stream', value: String(at), timestamp: at, headers: {} }),
        );
        c.schedule(5, PunctuationType.WALL_CLOCK_TIME, (at) =>
          c.forward({ key: 'wall', value: String(at), timestamp: 0, headers: {} }),
        );
      },
    });
    stream.to(output);
    const { in: topic } = await run(builder, { initialWallClockTimeMs: 1000 });
    const pipe = (value: string, timestamp: number) => topic.pipeInput('a', value, timestamp);
    pipe('r3', 3);
    pipe('r5', 5);
    driver!.advanceWallClockTime(4);
    pipe('r2', 2);
    driver!.advanceWallClockTime(1);
    pipe('r20', 20);
    pipe('r21', 21);
    driver!.advanceWallClockTime(17);
    pipe('r35', 35);
    pipe('r34', 34);
    pipe('r42', 42);
    expect(
      driver!
        .createOutputTopic(output)
        .readRecordsToList()
        .map((r) => `${r.key} ${r.value} ${r.timestamp}`),
    ).toEqual([
      'a r3 3',
      'stream 3 3',
      'a r5 5',
      'a r2 2',
      'wall 1005 0',
      'a r20 20',
      'stream 20 20', // due since 7, and 14 passed too: one punctuation, next due 21
      'a r21 21',
      'stream 21 21',
      'wall 1022 0', // due since 1010, and 1015 and 1020 passed too: one punctuation, next due 1025
      'a r35 35',
      'stream 35 35',
      'a r34 34',
      'a r42 42',
      'stream 42 42',
    ]);
  });

  it('cancel stops a schedule, also from inside its own punctuator', async () => {
    const fired: number[] = [];
    const { builder } = processor({
      init: (c) => {
        const schedule: Cancellable = c.schedule(10, PunctuationType.WALL_CLOCK_TIME, (at) => {
          fired.push(at);
          if (fired.length === 2) schedule.cancel();
        });
        const other = c.schedule(10, PunctuationType.STREAM_TIME, () => fired.push(-1));
        other.cancel();
      },
    });
    const { in: topic } = await run(builder);
    for (let i = 1; i <= 5; i++) driver!.advanceWallClockTime(10);
    topic.pipeInput('k', 'v', 100);
    expect(fired).toEqual([10, 20]);
  });

  it('refuses intervals below 1 ms', async () => {
    const { builder } = processor({
      init: (c) => c.schedule(0, PunctuationType.STREAM_TIME, () => undefined),
    });
    await expect(TopologyTestDriver.create(builder.build())).rejects.toThrow(
      'proc: punctuation interval must be at least 1 ms, got 0',
    );
  });

  it('forwards to one named child only, and names an unknown child in the error', async () => {
    const { builder, stream } = processor({
      process: (record, c) => c.forward(record, record.value === 'b' ? 'to-b' : record.value),
    });
    const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
    stream.to('a', { name: 'to-a', ...strings });
    stream.to('b', { name: 'to-b', ...strings });
    const { in: topic } = await run(builder);
    topic.pipeInput('k1', 'to-a', 1);
    topic.pipeInput('k2', 'b', 2);
    const read = (name: string) =>
      driver!.createOutputTopic(name, Serdes.String(), Serdes.String()).readKeyValuesToList();
    expect(read('a')).toEqual([{ key: 'k1', value: 'to-a' }]);
    expect(read('b')).toEqual([{ key: 'k2', value: 'b' }]);
    expect(() => topic.pipeInput('k3', 'nobody', 3)).toThrow(/processor "proc" has no child named "nobody"/);
  });

  it('headers and timestamps travel with records through processors to sinks', async () => {
    const { builder, stream } = processor({
      process: (record, c) => {
        c.forward(withValue(record, record.value.toUpperCase()));
        c.forward(withTimestamp(withValue(record, 'later'), record.timestamp + 1_000));
      },
    });
    stream.mapValues((v) => `${v}!`).to(output);
    const { in: topic } = await run(builder);
    const headers = { trace: 'abc', raw: new Uint8Array([1, 2, 3]) };
    topic.pipeInput('k', 'hello', 42, headers);
    const records = driver!.createOutputTopic(output).readRecordsToList();
    expect(records.map((r) => [r.value, r.timestamp, r.headers])).toEqual([
      ['HELLO!', 42, headers],
      ['later!', 1_042, headers],
    ]);
  });

  it('recordMetadata gives the topic, partition and offset of the record being processed', async () => {
    const seen: RecordMetadata[] = [];
    const { builder } = processor({
      process: (_record, c) => {
        seen.push(c.recordMetadata()!);
      },
    });
    const { in: topic } = await run(builder, { partitions: 2 });
    topic.pipeRecord({ key: 'a', value: 'v', partition: 1 });
    topic.pipeRecord({ key: 'a', value: 'v', partition: 0 });
    topic.pipeRecord({ key: 'a', value: 'v', partition: 1 });
    expect(seen).toEqual([
      { topic: 'in', partition: 1, offset: 0n },
      { topic: 'in', partition: 0, offset: 0n },
      { topic: 'in', partition: 1, offset: 1n },
    ]);
  });

  it('keySerde and valueSerde are the builder’s defaults; stateDir is the task’s own directory under the state directory', async () => {
    const builder = new StreamsBuilder({
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.Long(),
    });
    const seen: { key: Serde<unknown>; value: Serde<unknown>; dir: string }[] = [];
    builder.stream(input).process(() => ({
      init: (c) => seen.push({ key: c.keySerde(), value: c.valueSerde(), dir: c.stateDir() }),
      process: () => undefined,
    }));
    const stateDir = mkdtempSync(join(tmpdir(), 'tributary-context-'));
    try {
      await run(builder, { partitions: 2, stateDir });
      expect(seen).toHaveLength(2);
      for (const { key, value, dir } of seen) {
        expect(key.name).toBe(Serdes.String().name);
        expect(value.deserialize(value.serialize(5))).toBe(5);
        expect(value.serialize(5)).toHaveLength(8);
        expect(dir.startsWith(stateDir)).toBe(true);
        expect(existsSync(dir)).toBe(true);
      }
      // One directory per task.
      expect(new Set(seen.map((s) => s.dir)).size).toBe(2);
    } finally {
      await driver?.close();
      driver = undefined;
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('a connected store is read and written by the processor and readable by the test', async () => {
    const { builder, stream } = processor(
      {
        process: (record, c) => {
          const store = c.getStateStore<KeyValueStore<string, number>>('counts');
          const count = (store.get(record.key) ?? 0) + 1;
          store.put(record.key, count);
          c.forward(withValue(record, String(count)));
        },
      },
      ['counts'],
    );
    stream.to(output);
    const { in: topic } = await run(builder, { partitions: 3 });
    for (const key of ['a', 'b', 'a', 'c', 'a']) topic.pipeInput(key, 'v', 0);
    expect(driver!.createOutputTopic(output).readValuesToList()).toEqual(['1', '1', '2', '1', '3']);
    const store = driver!.getKeyValueStore<string, number>('counts');
    expect([...store.all()]).toEqual([
      { key: 'a', value: 3 },
      { key: 'b', value: 1 },
      { key: 'c', value: 1 },
    ]);
  });

  it('reading a store the processor is not connected to fails, naming processor and store', async () => {
    // The store exists in the topology (another processor uses it), but this processor did not list it.
    const local = new StreamsBuilder();
    local.addStateStore(
      Stores.keyValue({ name: 'other', keySerde: Serdes.String(), valueSerde: Serdes.Long() }),
    );
    local.stream(input).process(
      (): Processor<string, string> => ({
        init: (c) => void c.getStateStore('other'),
        process: () => undefined,
      }),
      { name: 'proc' },
    );
    local
      .stream('second', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .process((): Processor<string, string> => ({ process: () => undefined }), {
        name: 'owner',
        stores: ['other'],
      });
    const error = await TopologyTestDriver.create(local.build()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as Error).message).toBe(
      'processor "proc" is not connected to store "other"; list it in the processor\'s stores',
    );
  });

  it('the same mistake while processing fails the record with a ProcessingError that names the cause', async () => {
    const local = new StreamsBuilder();
    local.addStateStore(
      Stores.keyValue({ name: 'other', keySerde: Serdes.String(), valueSerde: Serdes.Long() }),
    );
    local.stream(input).process(
      (): Processor<string, string> => {
        let context: ProcessorContext;
        return {
          init: (c) => {
            context = c;
          },
          process: () => void context.getStateStore('other'),
        };
      },
      { name: 'proc' },
    );
    local
      .stream('second', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .process((): Processor<string, string> => ({ process: () => undefined }), {
        name: 'owner',
        stores: ['other'],
      });
    driver = await TopologyTestDriver.create(local.build());
    const topic = driver.createInputTopic(input);
    let error: unknown;
    try {
      topic.pipeInput('k', 'v', 0);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProcessingError);
    expect((error as ProcessingError).processorName).toBe('proc');
    expect((error as Error).message).toBe(
      'processor "proc" failed on the record at topic "in" partition 0 offset 0: processor "proc" is not connected to store "other"; list it in the processor\'s stores',
    );
    expect((error as Error).cause).toBeInstanceOf(TopologyError);
  });
});
