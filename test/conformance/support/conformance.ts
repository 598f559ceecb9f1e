/**
 * The vocabulary of the conformance suite: each case is a Kafka Streams unit test method, transcribed
 * (inputs, expected outputs, timestamps and headers as in the Java test) and run through Tributary's
 * TopologyTestDriver. Cases that cannot apply are listed with the reason instead of being run; the
 * suite's README counts both, and `readme-counts.test.ts` checks that the counts stay true.
 */
import { afterEach, expect, it } from 'vitest';
import type { Change } from '../../../src/processor/change.ts';
import type { Headers, StreamRecord } from '../../../src/processor/record.ts';
import type { KTable, ProcessorSupplier, Topology } from 'tributary';
import { TopologyTestDriver, type TestInputTopic, type TopologyTestDriverOptions } from 'tributary/testing';

/** Kafka Streams' `KeyValueTimestamp`, what its mock processors and output topics are checked against. */
export interface Kvt<K = unknown, V = unknown> {
  readonly key: K;
  readonly value: V;
  readonly timestamp: number;
}

export function kvt<K, V>(key: K, value: V, timestamp: number): Kvt<K, V> {
  return { key, value, timestamp };
}

/** Kafka Streams' `Change`, as table processors forward it: `change(newValue, oldValue)`. */
export function change<V>(newValue: V | null, oldValue: V | null): Change<V> {
  return { newValue, oldValue };
}

/** One ported Java test method; the name is the Java method's. */
export function javaTest(method: string, body: () => Promise<void> | void): void {
  it(method, body);
}

/**
 * A Java test method that does not apply to Tributary, with the reason. It runs nothing: it is
 * recorded so the suite's counts show every method of the Java class.
 */
export function notApplicable(method: string, reason: string): void {
  if (!method || !reason) throw new Error('a case that does not apply needs its method name and a reason');
}

/**
 * A Java test method for a Kafka Streams feature Tributary does not have yet (named in `feature`). It
 * runs nothing: it is counted as pending until the feature exists and the case is ported.
 */
export function pending(method: string, feature: string): void {
  if (!method || !feature) throw new Error('a pending case needs its method name and the missing feature');
}

/**
 * Kafka Streams' `MockApiProcessorSupplier`: a processor that records every record reaching it. Attach
 * it with `stream.process(captured.supplier)`, or to a table's changes with `captureChanges`.
 */
export class Captured<K = unknown, V = unknown> {
  private records: StreamRecord<K, V>[] = [];
  readonly supplier: ProcessorSupplier<K, V> = () => ({
    process: (record) => {
      this.records.push(record);
    },
  });

  /** Kafka Streams' `checkAndClearProcessResult`: what arrived since the last call, as key-value-timestamps. */
  drain(): Kvt<K, V>[] {
    return this.drainRecords().map(({ key, value, timestamp }) => ({ key, value, timestamp }));
  }

  /** What arrived since the last call, headers included. */
  drainRecords(): StreamRecord<K, V>[] {
    const records = this.records;
    this.records = [];
    return records;
  }

  /** Checks and clears, as the Java tests' `processor.checkAndClearProcessResult(...)`. */
  check(...expected: Kvt[]): void {
    expect(this.drain()).toEqual(expected);
  }
}

/**
 * Sends a table's changes (new and old value, as its processor forwards them) to `captured`, as the
 * Java tests do by attaching a mock processor to a table's node. With `oldValues`, the table is asked
 * to send old values, as the Java tests do with `enableSendingOldValues(true)` ('forced') or
 * `enableSendingOldValues(false)` ('if materialized').
 */
export function captureChanges<K, V>(
  table: KTable<K, V>,
  captured: Captured<K, Change<V>>,
  options: { oldValues?: 'forced' | 'if materialized' } = {},
): void {
  const graph = table.context.graph;
  graph.add({
    op: 'process',
    name: graph.newName('KTABLE-CAPTURE'),
    parents: [table.nodeId],
    supplier: captured.supplier,
    stores: [],
    ...(options.oldValues ? { oldValues: { force: options.oldValues === 'forced' } } : {}),
  });
}

/** One test driver per case, closed after it (Kafka Streams' try-with-resources around the driver). */
export function driverPerTest(): (
  topology: Topology,
  options?: TopologyTestDriverOptions,
) => Promise<TopologyTestDriver> {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });
  return async (topology, options) => {
    await driver?.close();
    driver = await TopologyTestDriver.create(topology, options);
    return driver;
  };
}

/**
 * The loop most Java tests use to fill a topic: one record per key, with value `prefix + key`, at
 * `time` (or, staggered, at `time + index`), or at the topic's own clock when no time is given.
 */
export function pipeEach<V extends string>(
  topic: TestInputTopic<number, V>,
  keys: readonly number[],
  prefix: string,
  time?: number,
  options: { staggered?: boolean; headers?: Headers } = {},
): void {
  keys.forEach((key, index) =>
    topic.pipeInput(
      key,
      `${prefix}${key}` as V,
      time === undefined ? undefined : options.staggered ? time + index : time,
      options.headers,
    ),
  );
}

/** Kafka Streams' `MockValueJoiner.TOSTRING_JOINER`: `value1 + "+" + value2`, null printed as "null". */
export function toStringJoiner(value1: unknown, value2: unknown): string {
  return `${String(value1)}+${String(value2)}`;
}

/** Kafka Streams' `MockInitializer.STRING_INIT`: every aggregate starts as "0". */
export const stringInit = (): string => '0';

/** Kafka Streams' `MockAggregator.TOSTRING_ADDER`: `aggregate + "+" + value`. */
export function toStringAdder(_key: unknown, value: unknown, aggregate: string): string {
  return `${aggregate}+${String(value)}`;
}

/** Kafka Streams' `MockAggregator.TOSTRING_REMOVER`: `aggregate + "-" + value`. */
export function toStringRemover(_key: unknown, value: unknown, aggregate: string): string {
  return `${aggregate}-${String(value)}`;
}
