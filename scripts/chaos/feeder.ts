// Feeds a recording to the live topics a slice at a time over a given duration, as a live source does,
// and remembers when each order went in. It can be paused (while the only broker is down) and keeps
// a slice it could not send to send it again.
import type { RecordedRecord } from 'tributary/testing';
import type { OutgoingRecord, ProducerPort } from '../../src/kafka/port.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { fromJsonForm, type Serde } from '../../src/serde/serde.ts';
import { topics } from '../../schemas/topics.ts';

const serdes = new Map<string, { keySerde: Serde<unknown>; valueSerde: Serde<unknown> }>(
  Object.values(topics).map((t) => [
    t.name,
    t as unknown as { keySerde: Serde<unknown>; valueSerde: Serde<unknown> },
  ]),
);

/** A recorded record as the producer sends it: partitioned by key as Kafka's default partitioner does. */
export function encode(record: RecordedRecord, partitions: number): OutgoingRecord {
  const { keySerde, valueSerde } = serdes.get(record.topic)!;
  const context = { topic: record.topic, part: 'key' as const };
  const key = fromJsonForm(keySerde, record.key, context);
  const value = fromJsonForm(valueSerde, record.value, { ...context, part: 'value' });
  const keyBytes = key === null ? null : keySerde.serialize(key);
  return {
    topic: record.topic,
    partition: record.partition ?? (keyBytes === null ? 0 : partitionForKey(keyBytes, partitions)),
    key: keyBytes,
    value: value === null ? null : valueSerde.serialize(value),
    timestamp: record.timestamp,
    headers: {},
  };
}

export class Feeder {
  /** When each order id was first sent. */
  readonly fedAt = new Map<string, number>();
  /** Slices that failed to send and went again (their records may be in twice). */
  resent = 0;
  private paused: Promise<void> | undefined;
  private resume: (() => void) | undefined;

  private readonly producer: ProducerPort;
  private readonly records: readonly OutgoingRecord[];
  /** The order id of each record of `orders`, by position. */
  private readonly orderIds: readonly (string | undefined)[];

  constructor(
    producer: ProducerPort,
    records: readonly OutgoingRecord[],
    orderIds: readonly (string | undefined)[],
  ) {
    this.producer = producer;
    this.records = records;
    this.orderIds = orderIds;
  }

  pause(): void {
    this.paused ??= new Promise((resolve) => (this.resume = resolve));
  }

  unpause(): void {
    this.resume?.();
    this.paused = undefined;
  }

  /**
   * Sends what comes before the first order (customers, stock) at once, then the rest in order, in
   * slices spread evenly over `durationMs`.
   */
  async run(durationMs: number, sliceMs = 250): Promise<void> {
    const preamble = Math.max(
      0,
      this.orderIds.findIndex((id) => id !== undefined),
    );
    if (preamble > 0) await this.send(0, preamble);
    const slices = Math.max(1, Math.round(durationMs / sliceMs));
    const size = Math.ceil((this.records.length - preamble) / slices);
    const started = Date.now();
    for (let slice = 0, at = preamble; at < this.records.length; slice++, at += size) {
      const due = started + slice * sliceMs;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await this.send(at, Math.min(at + size, this.records.length));
    }
  }

  private async send(from: number, to: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await this.paused;
      try {
        await this.producer.send(this.records.slice(from, to));
        break;
      } catch (error) {
        if (attempt >= 60) throw error;
        this.resent++;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    const now = Date.now();
    for (let i = from; i < to; i++) {
      const id = this.orderIds[i];
      if (id !== undefined && !this.fedAt.has(id)) this.fedAt.set(id, now);
    }
  }
}
