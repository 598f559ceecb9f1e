import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  Stores,
  StreamsBuilder,
  defineTopic,
  type ProcessorContext,
  type SessionStore,
  type StoreBackend,
  type WindowStore,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { backends } from './harness.ts';

const clicks = defineTopic('clicks', Serdes.String(), Serdes.String());

/** Counts clicks per key in 100 ms tumbling windows and in sessions with a 50 ms gap, by hand. */
function topology(backend: StoreBackend) {
  const builder = new StreamsBuilder();
  builder.addStateStore(
    Stores.window({
      name: 'per-window',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      backend,
      windowSizeMs: 100,
      retentionMs: 1_000,
    }),
  );
  builder.addStateStore(
    Stores.session({
      name: 'per-session',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      backend,
      retentionMs: 1_000,
    }),
  );
  builder.stream(clicks).process(
    () => {
      let windows: WindowStore<string, number>;
      let sessions: SessionStore<string, number>;
      return {
        init(context: ProcessorContext) {
          windows = context.getStateStore('per-window');
          sessions = context.getStateStore('per-session');
        },
        process(record) {
          const start = record.timestamp - (record.timestamp % 100);
          windows.put(record.key, (windows.fetch(record.key, start) ?? 0) + 1, start);
          let count = 1;
          let from = record.timestamp;
          let to = record.timestamp;
          for (const found of [
            ...sessions.findSessions(record.key, record.timestamp - 50, record.timestamp + 50),
          ]) {
            count += found.value;
            from = Math.min(from, found.key.window.start);
            to = Math.max(to, found.key.window.end);
            sessions.remove(found.key);
          }
          sessions.put({ key: record.key, window: { start: from, end: to } }, count);
        },
      };
    },
    { stores: ['per-window', 'per-session'] },
  );
  return builder.build();
}

describe.each(backends)('window and session stores in a running topology (%s)', (backend) => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('keeps windows and sessions readable through the driver and logs them to their changelogs', async () => {
    driver = await TopologyTestDriver.create(topology(backend));
    const input = driver.createInputTopic(clicks);
    for (const [key, time] of [
      ['a', 10],
      ['a', 40],
      ['b', 50],
      ['a', 120],
      ['a', 300],
    ] as const)
      input.pipeInput(key, 'click', time);

    const windows = driver.getWindowStore<string, number>('per-window');
    const sessions = driver.getSessionStore<string, number>('per-session');
    const sessionsOf = (key: string) =>
      [...sessions.fetch(key)].map((s) => [s.key.window.start, s.key.window.end, s.value]);
    expect([...windows.fetchWindows('a', 0, 2_000)]).toEqual([
      { windowStart: 0, value: 2 },
      { windowStart: 100, value: 1 },
      { windowStart: 300, value: 1 },
    ]);
    expect(windows.fetch('b', 0)).toBe(1);
    expect(sessionsOf('a')).toEqual([
      [10, 40, 2],
      [120, 120, 1],
      [300, 300, 1],
    ]);

    input.pipeInput('a', 'click', 1_500);
    // Stream time is 1,500 with a retention of 1,000: everything at or before 500 has expired.
    expect([...windows.fetchWindows('a', 0, 2_000)]).toEqual([{ windowStart: 1_500, value: 1 }]);
    expect(windows.fetch('b', 0)).toBeUndefined();
    expect(sessionsOf('a')).toEqual([[1_500, 1_500, 1]]);
    expect(sessionsOf('b')).toEqual([]);

    const changelog = driver.createOutputTopic(
      `${driver.applicationId}-per-window-changelog`,
      Serdes.Bytes(),
      Serdes.Long(),
    );
    const records = changelog.readRecordsToList();
    // Key bytes, 8-byte window start, 4-byte sequence number; stamped with the record's time.
    const last = records.at(-1)!;
    expect(Buffer.from(last.key!).toString('hex')).toBe(
      Buffer.from('a').toString('hex') + (1_500).toString(16).padStart(16, '0') + '00000000',
    );
    expect(last.value).toBe(1);
    expect(last.timestamp).toBe(1_500);
  });
});
