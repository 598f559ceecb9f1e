/**
 * The setup the windowed cogroup tests share: streams "topic" and "topic2" of strings, grouped by key
 * and cogrouped, the first with `toStringAdder`, the second with `toStringRemover`; and the Java
 * `assertOutputKeyValueTimestamp`, which compares an output record's plain key, value and timestamp
 * (and no headers).
 */
import { expect } from 'vitest';
import { Serdes, StreamsBuilder, type KTable, type Windowed } from 'tributary';
import type { TopologyTestDriver } from 'tributary/testing';
import { Captured, kvt, toStringAdder, toStringRemover, type Kvt } from './conformance.ts';

export const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };

export function windowedCogroupSetup() {
  const builder = new StreamsBuilder();
  const groupedStream = builder.stream<string, string>('topic', strings).groupByKey(strings);
  const groupedStream2 = builder.stream<string, string>('topic2', strings).groupByKey(strings);
  const cogroupedStream = groupedStream.cogroup(toStringAdder).cogroup(groupedStream2, toStringRemover);
  return { builder, groupedStream, groupedStream2, cogroupedStream };
}

/** What reached the table's stream, windowed keys and all; `check` compares plain keys, as the Java tests do. */
export class WindowedOutput {
  readonly captured = new Captured<Windowed<string>, string | null>();

  constructor(table: KTable<Windowed<string>, string>) {
    table.toStream().process(this.captured.supplier);
  }

  /** Everything since the last read: the windowed records, each checked to carry no headers. */
  records(): Kvt<Windowed<string>, string | null>[] {
    const records = this.captured.drainRecords();
    for (const record of records) expect(record.headers).toEqual({});
    return records.map(({ key, value, timestamp }) => kvt(key, value, timestamp));
  }

  /** The Java tests' run of `assertOutputKeyValueTimestamp(topic, key, value, timestamp)`. */
  check(...expected: Kvt<string, string | null>[]): void {
    expect(this.records().map(({ key, value, timestamp }) => kvt(key.key, value, timestamp))).toEqual(
      expected,
    );
  }
}

/** Pipes `[key, value, timestamp]` records into "topic" (or the topic named first). */
export function pipe(
  driver: TopologyTestDriver,
  topic: string,
  records: readonly (readonly [string, string, number])[],
) {
  const input = driver.createInputTopic<string, string>(topic);
  for (const [key, value, timestamp] of records) input.pipeInput(key, value, timestamp);
}
