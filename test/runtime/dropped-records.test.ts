import { afterEach, describe, expect, it } from 'vitest';
import {
  JoinWindows,
  Serdes,
  SessionWindows,
  SlidingWindows,
  StreamsBuilder,
  TimeWindows,
  defineTopic,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import type { Logger } from '../../src/common/logger.ts';
import { DROP_WARNING_INTERVAL_MS } from '../../src/runtime/dropped-records.ts';

const events = defineTopic('events', Serdes.String(), Serdes.String());
const other = defineTopic('other', Serdes.String(), Serdes.String());

interface Logged {
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function capturingLogger(): { logger: Logger; warnings: Logged[] } {
  const warnings: Logged[] = [];
  const ignore = () => undefined;
  return {
    warnings,
    logger: {
      debug: ignore,
      info: ignore,
      error: ignore,
      warn: (fields, message) => warnings.push({ fields, message }),
    },
  };
}

describe('dropped records are counted per reason and logged', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function start(builder: StreamsBuilder) {
    const { logger, warnings } = capturingLogger();
    driver = await TopologyTestDriver.create(builder.build(), { logger });
    return { driver, warnings };
  }

  it('a late record for a closed window is counted and named with topic, partition and offset', async () => {
    const builder = new StreamsBuilder();
    builder.stream(events).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).count();
    const { driver, warnings } = await start(builder);
    const input = driver.createInputTopic(events);
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 20);
    expect(driver.droppedRecords()).toEqual(new Map());
    // [0,10) closed at stream time 20 - grace 5 = 15 >= 10.
    input.pipeInput('a', 'x', 3);
    expect(driver.droppedRecords()).toEqual(new Map([['expired-window', 1]]));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toBe(
      'skipping record due to expired window at topic "events" partition 0 offset 2',
    );
    expect(warnings[0]!.fields).toMatchObject({
      reason: 'expired-window',
      topic: 'events',
      partition: 0,
      offset: '2',
      timestamp: 3,
      window: '[0,10)',
      expiration: 15,
      streamTime: 20,
      task: '0_0',
    });
  });

  it('warnings are rate-limited per reason; the next one says how many were not logged', async () => {
    const builder = new StreamsBuilder();
    builder.stream(events).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count();
    const { driver, warnings } = await start(builder);
    const input = driver.createInputTopic(events);
    input.pipeInput('a', 'x', 100);
    for (let i = 0; i < 5; i++) input.pipeInput('a', 'x', i);
    expect(driver.droppedRecords().get('expired-window')).toBe(5);
    expect(warnings).toHaveLength(1);
    driver.advanceWallClockTime(DROP_WARNING_INTERVAL_MS);
    input.pipeInput('a', 'x', 50);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.fields).toMatchObject({ droppedTotal: 6, notLoggedSinceLastWarning: 4 });
    // Another reason has its own budget (time-window aggregations skip null keys only).
    input.pipeInput(null, 'x', 200);
    expect(warnings).toHaveLength(3);
    expect(warnings[2]!.fields.reason).toBe('null-key');
  });

  it('hopping windows count one drop per closed window, as Kafka Streams does', async () => {
    const builder = new StreamsBuilder();
    builder.stream(events).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5)).count();
    const { driver } = await start(builder);
    const input = driver.createInputTopic(events);
    input.pipeInput('a', 'x', 12);
    // 8 lies in [0,10) (closed) and [5,15) (open): one window dropped, one updated.
    input.pipeInput('a', 'x', 8);
    expect(driver.droppedRecords()).toEqual(new Map([['expired-window', 1]]));
  });

  it('aggregations count records with a null key or value', async () => {
    const builder = new StreamsBuilder();
    builder.stream(events).groupByKey().count();
    const { driver } = await start(builder);
    const input = driver.createInputTopic(events);
    input.pipeInput(null, 'x', 1);
    input.pipeInput('a', null, 2);
    input.pipeInput('a', 'x', 3);
    expect(driver.droppedRecords()).toEqual(new Map([['null-key-or-value', 2]]));
  });

  it('sliding and session windows count late records', async () => {
    const builder = new StreamsBuilder();
    const grouped = builder.stream(events).groupByKey();
    grouped.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).count({ storeName: 'sliding' });
    grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count({ storeName: 'sessions' });
    const { driver } = await start(builder);
    const input = driver.createInputTopic(events);
    input.pipeInput('a', 'x', 100);
    input.pipeInput('a', 'x', 50);
    // Sliding: [40,50] ended before 100; session: [50,50] is closed once 50 + gap < 100.
    expect(driver.droppedRecords()).toEqual(new Map([['expired-window', 2]]));
  });

  it('table sources count rows without a key', async () => {
    const builder = new StreamsBuilder();
    builder.table(events, { storeName: 'table' });
    const { driver, warnings } = await start(builder);
    driver.createInputTopic(events).pipeInput(null, 'x', 1);
    expect(driver.droppedRecords()).toEqual(new Map([['null-key', 1]]));
    expect(warnings[0]!.message).toMatch(/^skipping record due to null key at topic "events" partition 0/);
  });

  it('joins count what cannot join: null values, and null keys where no null result is emitted', async () => {
    const builder = new StreamsBuilder();
    const table = builder.table(other);
    const stream = builder.stream(events);
    stream.join(table, (a, b) => a + b).to('joined-table', { valueSerde: Serdes.String() });
    stream
      .join(builder.stream(other), (a, b) => a + b, JoinWindows.ofTimeDifferenceWithNoGrace(10))
      .to('joined-stream', { valueSerde: Serdes.String() });
    const { driver } = await start(builder);
    const input = driver.createInputTopic(events);
    input.pipeInput('a', null, 1);
    input.pipeInput(null, 'x', 2);
    expect(driver.droppedRecords()).toEqual(
      new Map([
        ['null-join-key-or-value', 2],
        ['null-key-or-value', 2],
      ]),
    );
  });
});
