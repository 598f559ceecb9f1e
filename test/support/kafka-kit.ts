import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { KafkaClient, KafkaSecurity } from '../../src/kafka/connection.ts';
import { kafkaEventLog } from '../../src/kafka/event-log.ts';
import type {
  AdminPort,
  EventLogPort,
  LogRecord,
  OutgoingRecord,
  PartitionReaderPort,
} from '../../src/kafka/port.ts';
import type { Headers } from '../../src/processor/record.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { silentLogger, type Logger } from '../../src/common/logger.ts';
import type { Serde } from '../../src/serde/serde.ts';
import { toOffset } from '../../src/common/offset.ts';

/** Records without a timestamp of their own get the time they are sent. */
const NO_TIMESTAMP = -1;

function stamped(record: OutgoingRecord, now: number): OutgoingRecord {
  return record.timestamp === NO_TIMESTAMP ? { ...record, timestamp: now } : record;
}

/** The broker the global setup provided ('' when none, outside CI). */
export function kafkaBrokers(): string {
  return inject('kafkaBrokers');
}

/** Names unique to one test run, so tests never see each other's topics or groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TypedRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp?: number;
  readonly headers?: Headers;
  readonly partition?: number;
}

/**
 * Talks to the real broker through the product's own event-log port: create topics, produce typed
 * records (partitioned by key as Kafka's default partitioner does), and read topics back.
 */
export class KafkaKit {
  readonly brokers: string;
  readonly port: EventLogPort;
  readonly admin: AdminPort;
  private readonly readers: PartitionReaderPort[] = [];

  constructor(
    brokers = kafkaBrokers(),
    logger: Logger = silentLogger,
    security?: KafkaSecurity,
    client?: KafkaClient,
  ) {
    this.brokers = brokers;
    this.port = kafkaEventLog({
      brokers: brokers.split(','),
      clientId: 'test-kit',
      security,
      client,
      logger,
    });
    this.admin = this.port.admin();
  }

  async createTopics(topics: Readonly<Record<string, number>>): Promise<void> {
    await this.admin.createTopics(
      Object.entries(topics).map(([topic, partitions]) => ({ topic, partitions, config: {} })),
    );
  }

  async produce<K, V>(
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    records: readonly TypedRecord<K, V>[],
  ): Promise<void> {
    const now = Date.now();
    await this.produceRaw(
      (await this.serialize(topic, keySerde, valueSerde, records)).map((r) => stamped(r, now)),
    );
  }

  /**
   * Produces records a chunk at a time with a pause between chunks, as a live source would: a
   * stream that is still flowing while a test stops, kills or adds workers.
   */
  async produceOverTime<K, V>(
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    records: readonly TypedRecord<K, V>[],
    options: { chunk: number; pauseMs: number },
  ): Promise<void> {
    const outgoing = await this.serialize(topic, keySerde, valueSerde, records);
    const producer = this.port.producer({});
    try {
      for (let at = 0; at < outgoing.length; at += options.chunk) {
        const now = Date.now();
        await producer.send(outgoing.slice(at, at + options.chunk).map((r) => stamped(r, now)));
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      }
    } finally {
      await producer.close();
    }
  }

  /**
   * Feeds a topic until stopped, as a live source does: `chunk` records from `next` every `pauseMs`,
   * through one producer. A chunk that fails (the broker is down) is sent again until it goes
   * through, so the topic may hold some records twice: read it back for what was fed. `stop`
   * resolves with the number of records produced (duplicates not counted).
   */
  feed<K, V>(
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    next: (index: number) => TypedRecord<K, V>,
    options: { chunk: number; pauseMs: number },
  ): { readonly produced: number; stop(): Promise<number> } {
    const producer = this.port.producer({});
    let stopped = false;
    let produced = 0;
    const running = (async () => {
      try {
        while (!stopped) {
          const records = Array.from({ length: options.chunk }, (_, i) => next(produced + i));
          for (;;) {
            try {
              const outgoing = await this.serialize(topic, keySerde, valueSerde, records);
              await producer.send(outgoing.map((r) => stamped(r, Date.now())));
              break;
            } catch {
              await new Promise((resolve) => setTimeout(resolve, 250));
            }
          }
          produced += options.chunk;
          await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
        }
      } finally {
        await producer.close().catch(() => undefined);
      }
    })();
    return {
      get produced() {
        return produced;
      },
      async stop() {
        stopped = true;
        await running;
        return produced;
      },
    };
  }

  /** Everything a topic holds now, read from the start of every partition to its end. */
  async readAll(topic: string, options: { readCommitted?: boolean } = {}): Promise<LogRecord[]> {
    const ends = await this.admin.offsets(topic);
    const total = [...ends.values()].reduce(
      (sum, range) => sum + Number(BigInt(range.high) - BigInt(range.low)),
      0,
    );
    return this.readUntil(topic, (records) => records.length >= total, options);
  }

  private async serialize<K, V>(
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    records: readonly TypedRecord<K, V>[],
  ): Promise<OutgoingRecord[]> {
    const partitions = (await this.admin.partitionCounts([topic])).get(topic);
    if (partitions === undefined) throw new Error(`topic ${topic} does not exist`);
    return records.map((r, i) => {
      const key = r.key === null ? null : keySerde.serialize(r.key);
      return {
        topic,
        partition: r.partition ?? (key === null ? i % partitions : partitionForKey(key, partitions)),
        key,
        value: r.value === null ? null : valueSerde.serialize(r.value),
        timestamp: r.timestamp ?? NO_TIMESTAMP,
        headers: r.headers ?? {},
      };
    });
  }

  async produceRaw(records: readonly OutgoingRecord[]): Promise<void> {
    const producer = this.port.producer({});
    try {
      await producer.send(records);
    } finally {
      await producer.close();
    }
  }

  /**
   * Reads every partition of a topic from the start until `done` holds for what was read (or the
   * timeout passes, which fails with what was read so far).
   */
  async readUntil(
    topic: string,
    done: (records: LogRecord[]) => boolean,
    options: { readCommitted?: boolean; timeoutMs?: number } = {},
  ): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    const reader = this.port.partitionReader({
      readCommitted: options.readCommitted ?? true,
      topics: [topic],
      clientId: uniqueName('test-reader'),
    });
    this.readers.push(reader);
    let failure: Error | undefined;
    await reader.start(
      (batch) => records.push(...batch.records),
      (error) => (failure = error),
    );
    const partitions = (await this.admin.partitionCounts([topic])).get(topic) ?? 0;
    for (let partition = 0; partition < partitions; partition++)
      await reader.assign({ topic, partition, offset: toOffset(0) });
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    try {
      while (!done(records)) {
        if (failure) throw failure;
        if (Date.now() > deadline) {
          throw new Error(`timed out reading ${topic}: ${records.length} records read, condition not met`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return records;
    } finally {
      await reader.stop();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.readers.map((r) => r.stop()));
    await this.admin.close();
  }
}
