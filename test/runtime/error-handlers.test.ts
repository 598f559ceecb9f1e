import { afterEach, describe, expect, it } from 'vitest';
import {
  ProcessingError,
  SerdeError,
  Serdes,
  StreamsBuilder,
  defineTopic,
  type ErrorHandling,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { DeadLetterHeaders } from '../../src/runtime/error-handling.ts';
import type { Logger } from '../../src/common/logger.ts';

/** The topology reads ints; the tests write strings into it to make records it cannot read. */
const numbers = defineTopic('numbers', Serdes.String(), Serdes.Int());
const doubled = defineTopic('doubled', Serdes.String(), Serdes.Int());

function recordingLogger() {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const ignore = () => undefined;
  const logger: Logger = {
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (fields, message) => warnings.push({ fields, message }),
  };
  return { logger, warnings };
}

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

  it('a value a sink cannot write names the sink topic and the part', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(numbers)
      .mapValues((v) => v + 0.5)
      .to(doubled);
    driver = await TopologyTestDriver.create(builder.build());
    expect(() => driver!.createInputTopic(numbers).pipeInput('a', 1, 0)).toThrow(
      new SerdeError('1.5 is not a 32-bit integer (value of topic "doubled")'),
    );
  });

  it('a record with a negative timestamp goes through the deserialization handler', async () => {
    const { good, warnings } = await start({ deserialization: 'log-and-continue' });
    good.pipeInput('a', 1, -5);
    expect(warnings[0]!.message).toMatch(/has an invalid timestamp \(-5\)/);
  });
});
