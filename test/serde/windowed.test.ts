import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, SerdeError, SessionWindows, StreamsBuilder, TimeWindows, defineTopic } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const long = (n: number) => n.toString(16).padStart(16, '0');

function serdeError(call: () => unknown): SerdeError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(SerdeError);
    return error as SerdeError;
  }
  throw new Error('expected a SerdeError');
}

describe('Serdes.TimeWindowed (Kafka Streams’ TimeWindowedSerializer layout)', () => {
  const serde = Serdes.TimeWindowed(Serdes.String(), 60_000);
  const windowed = { key: 'ab', window: { start: 1_700_000_040_000, end: 1_700_000_100_000 } };

  it('writes the inner key’s bytes, then the window start as an 8-byte big-endian long', () => {
    expect(hex(serde.serialize(windowed))).toBe('6162' + long(1_700_000_040_000));
  });

  it('reads the end back as start + window size (the end is not on the wire)', () => {
    expect(serde.deserialize(Buffer.from('6162' + long(120_000), 'hex'))).toEqual({
      key: 'ab',
      window: { start: 120_000, end: 180_000 },
    });
    expect(serde.name).toBe('windowed(string,60000)');
  });

  it('an empty inner key is fine; fewer than 8 bytes name the topic and part', () => {
    expect(serde.deserialize(Buffer.from(long(0), 'hex'))).toEqual({
      key: '',
      window: { start: 0, end: 60_000 },
    });
    expect(serdeError(() => serde.deserialize(new Uint8Array(7), { topic: 'w', part: 'key' })).message).toBe(
      'windowed key is 7 bytes, shorter than its 8-byte window start (key of topic "w")',
    );
  });

  it('inner keys keep their own layout (an int key: 4 bytes, then the start)', () => {
    const ints = Serdes.TimeWindowed(Serdes.Int(), 10);
    expect(hex(ints.serialize({ key: -1, window: { start: 20, end: 30 } }))).toBe('ffffffff' + long(20));
  });

  it('JSON form: {key, window: {start, end}} with the inner key’s JSON form', () => {
    expect(serde.toJson!(windowed)).toEqual(windowed);
    expect(serde.fromJson!(windowed)).toEqual(windowed);
    const bytesKeys = Serdes.TimeWindowed(Serdes.Bytes(), 10);
    const json = bytesKeys.toJson!({ key: new Uint8Array([0, 255]), window: { start: 0, end: 10 } });
    expect(json).toEqual({ key: 'AP8=', window: { start: 0, end: 10 } });
    expect(hex(bytesKeys.fromJson!(json).key)).toBe('00ff');
    const error = serdeError(() =>
      serde.fromJson!({ key: 'a', window: { start: '0' } }, { topic: 'w', part: 'key' }),
    );
    expect(error.message).toBe(
      'expected a windowed key {"key": ..., "window": {"start": ms, "end": ms}}, got {"key":"a","window":{"start":"0"}} (key of topic "w")',
    );
    serdeError(() => serde.fromJson!({ key: 5, window: { start: 0, end: 10 } }));
  });
});

describe('Serdes.SessionWindowed (Kafka Streams’ session key layout)', () => {
  const serde = Serdes.SessionWindowed(Serdes.String());

  it('writes the inner key, then the end, then the start (8-byte big-endian each)', () => {
    expect(hex(serde.serialize({ key: 'k', window: { start: 100, end: 250 } }))).toBe(
      '6b' + long(250) + long(100),
    );
    expect(serde.deserialize(Buffer.from('6b' + long(250) + long(100), 'hex'))).toEqual({
      key: 'k',
      window: { start: 100, end: 250 },
    });
    expect(serde.name).toBe('session-windowed(string)');
  });

  it('fewer than 16 bytes name the topic and part; the JSON form has start and end', () => {
    expect(serdeError(() => serde.deserialize(new Uint8Array(15), { topic: 's', part: 'key' })).message).toBe(
      'session key is 15 bytes, shorter than its 16-byte window (key of topic "s")',
    );
    const session = { key: 'k', window: { start: 5, end: 5 } };
    expect(serde.fromJson!(serde.toJson!(session))).toEqual(session);
  });
});

describe('windowed keys written by aggregations', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('a windowed count written with the windowed serdes reads back with the same windows', async () => {
    const events = defineTopic('events', Serdes.String(), Serdes.String());
    const builder = new StreamsBuilder();
    const grouped = builder.stream(events).groupByKey();
    grouped
      .windowedBy(TimeWindows.ofSizeWithNoGrace(100))
      .count()
      .toStream()
      .to('tumbling', { keySerde: Serdes.TimeWindowed(Serdes.String(), 100), valueSerde: Serdes.Long() });
    grouped
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(50))
      .count()
      .toStream()
      .to('sessions', { keySerde: Serdes.SessionWindowed(Serdes.String()), valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(events);
    input.pipeInput('a', 'x', 130);
    input.pipeInput('a', 'x', 160);
    const tumbling = driver.createOutputTopic('tumbling', Serdes.Bytes(), Serdes.Long()).readRecordsToList();
    expect(tumbling.map((r) => hex(r.key!))).toEqual(['61' + long(100), '61' + long(100)]);
    const sessions = driver
      .createOutputTopic('sessions', Serdes.SessionWindowed(Serdes.String()), Serdes.Long())
      .readKeyValuesToList();
    // The second record merges [130,130] into [130,160]: a delete of the old session, then the new one.
    expect(sessions).toEqual([
      { key: { key: 'a', window: { start: 130, end: 130 } }, value: 1 },
      { key: { key: 'a', window: { start: 130, end: 130 } }, value: null },
      { key: { key: 'a', window: { start: 130, end: 160 } }, value: 2 },
    ]);
  });
});
