// Kafka Streams' KTableSourceTest, transcribed: tables read from a topic.
import { describe, expect } from 'vitest';
import { Serdes, StreamsBuilder } from 'tributary';
import type { Logger } from '../../src/common/logger.ts';
import {
  Captured,
  captureChanges,
  change,
  driverPerTest,
  javaTest,
  kvt,
  notApplicable,
} from './support/conformance.ts';
import type { Change } from '../../src/processor/change.ts';

const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

function warningsLogger(): {
  logger: Logger;
  warnings: { fields: Record<string, unknown>; message: string }[];
} {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
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

describe('KTableSourceTest', () => {
  const start = driverPerTest();

  javaTest('testKTable', async () => {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, number>('topic1', {
      keySerde: Serdes.String(),
      valueSerde: Serdes.Int(),
    });
    const processor = new Captured<string, number | null>();
    table1.toStream().process(processor.supplier);
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, number>('topic1');
    input.pipeInput('A', 1, 10);
    input.pipeInput('B', 2, 11);
    input.pipeInput('C', 3, 12);
    input.pipeInput('D', 4, 13);
    input.pipeInput('A', null, 14);
    input.pipeInput('B', null, 15);
    processor.check(
      kvt('A', 1, 10),
      kvt('B', 2, 11),
      kvt('C', 3, 12),
      kvt('D', 4, 13),
      kvt('A', null, 14),
      kvt('B', null, 15),
    );
  });

  notApplicable(
    'testKTableSourceEmitOnChange',
    'disabled in Kafka Streams itself (@Disabled: KIP-557, dropping idempotent updates, is off until KAFKA-12508 is fixed)',
  );

  javaTest('kTableShouldLogAndMeterOnSkippedRecords', async () => {
    const builder = new StreamsBuilder();
    builder.table('topic', strings);
    const { logger, warnings } = warningsLogger();
    const driver = await start(builder.build(), { logger });
    driver.createInputTopic<string, string>('topic').pipeInput(null, 'value');
    expect(driver.droppedRecords()).toEqual(new Map([['null-key', 1]]));
    expect(warnings.map((w) => w.message)).toEqual([
      'skipping record due to null key at topic "topic" partition 0 offset 0',
    ]);
  });

  javaTest('kTableShouldLogOnOutOfOrder', async () => {
    const builder = new StreamsBuilder();
    builder.table('topic', { ...strings, storeName: 'store' });
    const { logger, warnings } = warningsLogger();
    const driver = await start(builder.build(), { logger });
    const input = driver.createInputTopic<string, string>('topic');
    input.pipeInput('key', 'value', 10);
    input.pipeInput('key', 'value', 5);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toBe(
      'detected out-of-order table update for store, old timestamp 10 new timestamp 5',
    );
    expect(warnings[0]!.fields).toMatchObject({ topic: 'topic', partition: 0, offset: '1' });
  });

  // The Java test reads the table through its value getter, which reads the table's store.
  javaTest('testValueGetter', async () => {
    const builder = new StreamsBuilder();
    builder.table('topic1', { ...strings, storeName: 'store' });
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic1');
    const getter1 = driver.getTimestampedKeyValueStore<string, string>('store');
    const at = (value: string, timestamp: number) => ({ value, timestamp });
    input.pipeInput('A', '01', 10);
    input.pipeInput('B', '01', 20);
    input.pipeInput('C', '01', 15);
    expect(['A', 'B', 'C'].map((k) => getter1.get(k))).toEqual([at('01', 10), at('01', 20), at('01', 15)]);
    input.pipeInput('A', '02', 30);
    input.pipeInput('B', '02', 5);
    expect(['A', 'B', 'C'].map((k) => getter1.get(k))).toEqual([at('02', 30), at('02', 5), at('01', 15)]);
    input.pipeInput('A', '03', 29);
    expect(['A', 'B', 'C'].map((k) => getter1.get(k))).toEqual([at('03', 29), at('02', 5), at('01', 15)]);
    input.pipeInput('A', null, 50);
    input.pipeInput('B', null, 3);
    expect(['A', 'B', 'C'].map((k) => getter1.get(k))).toEqual([undefined, undefined, at('01', 15)]);
  });

  async function changesOfTable(oldValues: boolean) {
    const builder = new StreamsBuilder();
    const table1 = builder.table<string, string>('topic1', strings);
    const proc1 = new Captured<string, Change<string>>();
    captureChanges(table1, proc1, oldValues ? { oldValues: 'forced' } : {});
    const driver = await start(builder.build());
    const input = driver.createInputTopic<string, string>('topic1');
    const old = (value: string) => (oldValues ? value : null);
    input.pipeInput('A', '01', 10);
    input.pipeInput('B', '01', 20);
    input.pipeInput('C', '01', 15);
    proc1.check(
      kvt('A', change('01', null), 10),
      kvt('B', change('01', null), 20),
      kvt('C', change('01', null), 15),
    );
    input.pipeInput('A', '02', 8);
    input.pipeInput('B', '02', 22);
    proc1.check(kvt('A', change('02', old('01')), 8), kvt('B', change('02', old('01')), 22));
    input.pipeInput('A', '03', 12);
    proc1.check(kvt('A', change('03', old('02')), 12));
    input.pipeInput('A', null, 15);
    input.pipeInput('B', null, 20);
    proc1.check(kvt('A', change(null, old('03')), 15), kvt('B', change(null, old('02')), 20));
  }

  javaTest('testNotSendingOldValue', async () => {
    await changesOfTable(false);
  });

  javaTest('testSendingOldValue', async () => {
    await changesOfTable(true);
  });
});
