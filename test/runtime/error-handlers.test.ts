import { afterEach, describe, expect, it } from 'vitest';
import {
  ProcessingError,
  SerdeError,
  Serdes,
  StreamsBuilder,
  defineTopic,
  avroSerde,
  type ErrorHandling,
  type Serde,
} from 'tributary';
import avro from 'avsc';
import { TopologyTestDriver } from 'tributary/testing';
import { DeadLetterHeaders } from '../../src/runtime/error-handling.ts';
import { recordingLogger } from '../support/recording-logger.ts';

/** The topology reads ints; the tests write strings into it to make records it cannot read. */
const numbers = defineTopic('numbers', Serdes.String(), Serdes.Int());
const doubled = defineTopic('doubled', Serdes.String(), Serdes.Int());

describe('error handlers in the test driver', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function start(errorHandling: Partial<ErrorHandling>) {
    const builder = new StreamsBuilder();
    builder
      .stream(numbers)
      .mapValues((v) => {
        if (v === 13) throw new Error('unlucky');
        return v * 2;
      })
      .to(doubled);
    const { logger, warnings } = recordingLogger();
    driver = await TopologyTestDriver.create(builder.build(), { errorHandling, logger, partitions: 2 });
    return {
      driver,
      warnings,
      good: driver.createInputTopic(numbers),
      bad: driver.createInputTopic('numbers', Serdes.String(), Serdes.String()),
      output: driver.createOutputTopic(doubled),
    };
  }

  it('fail (the default): a SerdeError naming topic, partition, offset and part stops processing', async () => {
    const { good, bad } = await start({});
    good.pipeRecord({ key: 'a', value: 1, partition: 1 });
    let error: unknown;
    try {
      bad.pipeRecord({ key: 'b', value: 'not an int', partition: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SerdeError);
    const serdeError = error as SerdeError;
    expect(serdeError.message).toBe(
      'cannot deserialize the value of the record at topic "numbers" partition 1 offset 1: ' +
        'expected 4 bytes for an int, got 10 (value of topic "numbers")',
    );
    expect(serdeError.origin).toEqual({ topic: 'numbers', partition: 1, offset: '1' });
    expect(serdeError.part).toBe('value');
    expect(serdeError.cause).toBeInstanceOf(SerdeError);
  });

  it('fail: a key that cannot be read is reported as the key', async () => {
    const builder = new StreamsBuilder();
    builder.stream(numbers, { keySerde: Serdes.Long() as never }).to(doubled);
    driver = await TopologyTestDriver.create(builder.build());
    const error = (() => {
      try {
        driver!.createInputTopic('numbers', Serdes.String(), Serdes.Int()).pipeInput('abc', 1, 0);
      } catch (e) {
        return e as SerdeError;
      }
      throw new Error('expected an error');
    })();
    expect(error.part).toBe('key');
    expect(error.message).toMatch(
      /^cannot deserialize the key of the record at topic "numbers" partition 0 offset 0: /,
    );
  });

  it('log-and-continue: the bad record is skipped and logged, the next ones are processed', async () => {
    const { good, bad, output, warnings } = await start({ deserialization: 'log-and-continue' });
    good.pipeInput('a', 1, 0);
    bad.pipeRecord({ key: 'b', value: 'xx', partition: 0 });
    good.pipeInput('c', 3, 2);
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'a', value: 2 },
      { key: 'c', value: 6 },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(
      /^record skipped: cannot deserialize the value of the record at topic "numbers" partition 0 offset \d+/,
    );
    expect(driver!.producedTopicNames()).not.toContain('test-app-dlq');
  });

  it('dead-letter: the original record goes to <app>-dlq with headers naming the error, and processing goes on', async () => {
    const { good, bad, output, warnings } = await start({ deserialization: 'dead-letter' });
    bad.pipeRecord({ key: 'b', value: 'xx', partition: 1, timestamp: 77, headers: { origin: 'test' } });
    good.pipeInput('c', 3, 78);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'c', value: 6 }]);
    const dlq = driver!
      .createOutputTopic('test-app-dlq', Serdes.String(), Serdes.String())
      .readRecordsToList();
    expect(dlq).toHaveLength(1);
    const letter = dlq[0]!;
    // The original bytes, key, timestamp and headers, so the record can be inspected or replayed.
    expect([letter.key, letter.value, letter.timestamp]).toEqual(['b', 'xx', 77]);
    expect(letter.headers).toEqual({
      origin: 'test',
      [DeadLetterHeaders.errorCode]: 'TRIB_SERDE',
      [DeadLetterHeaders.errorMessage]:
        'cannot deserialize the value of the record at topic "numbers" partition 1 offset 0: expected 4 bytes for an int, got 2 (value of topic "numbers")',
      [DeadLetterHeaders.errorProcessor]: expect.stringMatching(/^KSTREAM-SOURCE-/),
      [DeadLetterHeaders.sourceTopic]: 'numbers',
      [DeadLetterHeaders.sourcePartition]: '1',
      [DeadLetterHeaders.sourceOffset]: '0',
      [DeadLetterHeaders.applicationId]: 'test-app',
    });
    expect(warnings[0]!.fields).toMatchObject({
      topic: 'numbers',
      partition: 1,
      offset: '0',
      deadLetterTopic: 'test-app-dlq',
    });
  });

  it('dead-letter goes to the topic configured, and serves processing errors too', async () => {
    const { good, output } = await start({ processing: 'dead-letter', deadLetterTopic: 'poison' });
    good.pipeInput('a', 13, 0);
    good.pipeInput('b', 2, 1);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'b', value: 4 }]);
    const [letter] = driver!.createOutputTopic('poison', Serdes.String(), Serdes.Int()).readRecordsToList();
    expect(letter!.value).toBe(13);
    expect(letter!.headers[DeadLetterHeaders.errorCode]).toBe('TRIB_PROCESSING');
    expect(letter!.headers[DeadLetterHeaders.errorProcessor]).toMatch(/^KSTREAM-MAPVALUES-/);
    expect(String(letter!.headers[DeadLetterHeaders.errorMessage])).toContain('unlucky');
  });

  it('processing errors fail by default with a ProcessingError naming processor and record', async () => {
    const { good } = await start({});
    good.pipeRecord({ key: 'a', value: 1, partition: 0 });
    let error: unknown;
    try {
      good.pipeRecord({ key: 'a', value: 13, partition: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProcessingError);
    expect((error as ProcessingError).processorName).toMatch(/^KSTREAM-MAPVALUES-/);
    expect((error as ProcessingError).origin).toEqual({ topic: 'numbers', partition: 0, offset: '1' });
    expect((error as Error).message).toMatch(
      /^processor "KSTREAM-MAPVALUES-\d+" failed on the record at topic "numbers" partition 0 offset 1: unlucky$/,
    );
  });

  it('a record with a negative timestamp goes through the deserialization handler', async () => {
    const { good, warnings } = await start({ deserialization: 'log-and-continue' });
    good.pipeInput('a', 1, -5);
    expect(warnings[0]!.message).toMatch(/has an invalid timestamp \(-5\)/);
  });
});

describe('the production handler in the test driver (records a sink cannot serialize)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  /** Ints in, ints out; a sink directly under the source writes what it read with a serde refusing 13. */
  const picky: Serde<number> = {
    name: 'picky-int',
    serialize: (value, context) => {
      if (value === 13)
        throw new SerdeError(`13 is not allowed (${context?.part} of topic "${context?.topic}")`);
      return Serdes.Int().serialize(value, context);
    },
    deserialize: (bytes, context) => Serdes.Int().deserialize(bytes, context),
  };

  async function start(errorHandling: Partial<ErrorHandling>, options: { underProcessor?: boolean } = {}) {
    const builder = new StreamsBuilder();
    const input = builder.stream(numbers);
    (options.underProcessor ? input.mapValues((v) => v) : input).to('copies', {
      keySerde: Serdes.String(),
      valueSerde: picky,
    });
    const { logger, warnings } = recordingLogger();
    driver = await TopologyTestDriver.create(builder.build(), { errorHandling, logger, partitions: 2 });
    return {
      driver,
      warnings,
      input: driver.createInputTopic(numbers),
      output: driver.createOutputTopic('copies', Serdes.String(), Serdes.Int()),
    };
  }

  it('fail (the default): a SerdeError naming the sink, its topic, the part and the consumed record', async () => {
    const { input } = await start({ deserialization: 'log-and-continue', processing: 'log-and-continue' });
    input.pipeRecord({ key: 'a', value: 1, partition: 1 });
    let error: unknown;
    try {
      input.pipeRecord({ key: 'b', value: 13, partition: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SerdeError);
    const serdeError = error as SerdeError;
    expect(serdeError.message).toMatch(
      /^sink "KSTREAM-SINK-\d+" cannot serialize the value of the record from topic "numbers" partition 1 offset 1 for topic "copies": 13 is not allowed \(value of topic "copies"\)$/,
    );
    expect(serdeError.origin).toEqual({ topic: 'numbers', partition: 1, offset: '1' });
    expect(serdeError.part).toBe('value');
  });

  it('the processing handler does not swallow a production failure of a sink under a processor', async () => {
    const { input } = await start({ processing: 'log-and-continue' }, { underProcessor: true });
    expect(() => input.pipeInput('b', 13, 0)).toThrow(/cannot serialize the value of the record from topic/);
  });

  it('log-and-continue: a sink directly under the source skips the record, logs it, and goes on', async () => {
    const { input, output, warnings } = await start({ production: 'log-and-continue' });
    input.pipeInput('a', 13, 0);
    input.pipeInput('b', 2, 1);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'b', value: 2 }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(
      /^record skipped: sink "KSTREAM-SINK-\d+" cannot serialize the value/,
    );
    expect(warnings[0]!.fields).toMatchObject({ processor: expect.stringMatching(/^KSTREAM-SINK-/) });
  });

  it('dead-letter: the consumed record goes to the dead-letter topic, named by the sink, and processing goes on', async () => {
    const { input, output } = await start({ production: 'dead-letter' }, { underProcessor: true });
    input.pipeRecord({ key: 'a', value: 13, partition: 1, timestamp: 5, headers: { origin: 'test' } });
    input.pipeInput('b', 2, 6);
    expect(output.readKeyValuesToList()).toEqual([{ key: 'b', value: 2 }]);
    const letters = driver!
      .createOutputTopic('test-app-dlq', Serdes.String(), Serdes.Int())
      .readRecordsToList();
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect([letter.key, letter.value, letter.timestamp]).toEqual(['a', 13, 5]);
    expect(letter.headers).toMatchObject({
      origin: 'test',
      [DeadLetterHeaders.errorCode]: 'TRIB_SERDE',
      [DeadLetterHeaders.errorProcessor]: expect.stringMatching(/^KSTREAM-SINK-/),
      [DeadLetterHeaders.sourceTopic]: 'numbers',
      [DeadLetterHeaders.sourcePartition]: '1',
      [DeadLetterHeaders.sourceOffset]: '0',
    });
    expect(String(letter.headers[DeadLetterHeaders.errorMessage])).toContain('13 is not allowed');
  });

  it('names the partition a custom partitioner chose, and the field an Avro serde reports', async () => {
    const builder = new StreamsBuilder();
    const order = avroSerde<{ id: string; quantity: number }>(
      avro.Type.forSchema({
        type: 'record',
        name: 'Order',
        fields: [
          { name: 'id', type: 'string' },
          { name: 'quantity', type: 'int' },
        ],
      }),
    );
    builder
      .stream(numbers)
      .mapValues((v) => ({ id: 'o1', quantity: v === 13 ? ('thirteen' as unknown as number) : v }))
      .to('orders', { keySerde: Serdes.String(), valueSerde: order, partitioner: () => 1 });
    driver = await TopologyTestDriver.create(builder.build(), { partitions: 2 });
    const input = driver.createInputTopic(numbers);
    input.pipeInput('a', 1, 0);
    expect(() => input.pipeInput('b', 13, 1)).toThrow(
      /cannot serialize the value of the record from topic "numbers" partition 0 offset 1 for topic "orders" partition 1: .*quantity: expected int, got "thirteen"/,
    );
  });
});
