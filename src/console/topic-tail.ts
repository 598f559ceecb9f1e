/**
 * Follows the end of some topics for the console: starts a little before where each partition ends,
 * decodes every record with the serdes the running topologies use for the topic, and keeps going until
 * stopped. It reads on its own (a partition reader: on Kafka a consumer alone in a group of its own,
 * which never commits), so it sees every partition whichever worker runs which task.
 */
import { errorMessage } from '../errors.ts';
import type { EventLogPort, LogRecord, PartitionReaderPort, RecordBatch } from '../kafka/port.ts';
import { warnOnFailure, type Logger } from '../common/logger.ts';
import type { AppRunner } from '../runtime/worker/app-runner.ts';
import type { Serde } from '../serde/serde.ts';
import { Topology } from '../topology/topology.ts';
import { toOffset } from '../common/offset.ts';

export interface TopicSerdes {
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
}

export interface TailedRecord {
  readonly topic: string;
  readonly key: unknown;
  readonly value: unknown;
  readonly timestamp: number;
}

export interface TopicTailOptions {
  readonly port: EventLogPort;
  readonly topics: ReadonlyMap<string, TopicSerdes>;
  /** How many of the last records of each partition to read first. */
  readonly recentPerPartition: number;
  readonly clientId: string;
  readonly logger: Logger;
  readonly onRecord: (record: TailedRecord) => void;
}

/** The serdes a running topology reads or writes a (non-internal) topic with, if any does. */
export function topicSerdes(runners: readonly AppRunner[], topic: string): TopicSerdes | undefined {
  for (const runner of runners)
    for (const node of runner.topology.nodes.values()) {
      if (node.kind === 'source' && node.topics.some((t) => !t.internal && t.name === topic))
        return { keySerde: node.keySerde, valueSerde: node.valueSerde };
      if (node.kind === 'sink' && typeof node.topic !== 'function' && !node.topic.internal)
        if (Topology.topicName(node.topic, runner.applicationId) === topic)
          return { keySerde: node.keySerde, valueSerde: node.valueSerde };
    }
  return undefined;
}

export class TopicTail {
  private readonly options: TopicTailOptions;
  private reader: PartitionReaderPort | undefined;
  /** Per `topic/partition`: where the partition ended when following began, until reached. */
  private readonly behind = new Map<string, bigint>();
  /** Batches are decoded one after the other (a registry serde may fetch a schema first). */
  private decoding: Promise<void> = Promise.resolve();
  private started: Promise<void> | undefined;
  private failure: string | null = null;
  private stopped = false;

  constructor(options: TopicTailOptions) {
    this.options = options;
  }

  /** Starts following, once; failures are kept for `error` rather than thrown. */
  start(): Promise<void> {
    this.started ??= this.follow().catch((error: unknown) => {
      this.failure = errorMessage(error);
      this.options.logger.warn({ err: error }, `the console cannot follow its topics: ${this.failure}`);
    });
    return this.started;
  }

  /** True once every partition's records from before the start have been read. */
  get caughtUp(): boolean {
    return (
      this.started !== undefined &&
      this.failure === null &&
      this.reader !== undefined &&
      this.behind.size === 0
    );
  }

  get error(): string | null {
    return this.failure;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const reader = this.reader;
    this.reader = undefined;
    await reader?.stop().catch(warnOnFailure(this.options.logger, 'stopping the console’s topic reader'));
  }

  private async follow(): Promise<void> {
    const { port, topics, recentPerPartition, clientId } = this.options;
    const admin = port.admin();
    const starts: { topic: string; partition: number; from: bigint; end: bigint }[] = [];
    try {
      for (const topic of topics.keys())
        for (const [partition, range] of await admin.offsets(topic)) {
          const end = range.high;
          const low = range.low;
          const from = end - BigInt(recentPerPartition) > low ? end - BigInt(recentPerPartition) : low;
          starts.push({ topic, partition, from, end });
        }
    } finally {
      await admin.close();
    }
    if (this.stopped) return;
    const reader = port.partitionReader({
      readCommitted: true,
      topics: [...topics.keys()],
      clientId: `${clientId}-console`,
      groupIdPrefix: `${clientId}-console`,
    });
    this.reader = reader;
    for (const start of starts) if (start.from < start.end) this.behind.set(key(start), start.end);
    await reader.start(
      (batch) => {
        this.decoding = this.decoding.then(() => this.onBatch(batch));
      },
      (error) => {
        this.failure = errorMessage(error);
      },
    );
    for (const start of starts)
      await reader.assign({ topic: start.topic, partition: start.partition, offset: toOffset(start.from) });
  }

  private async onBatch(batch: RecordBatch): Promise<void> {
    const serdes = this.options.topics.get(batch.topic);
    if (serdes) for (const record of batch.records) await this.decode(record, serdes);
    const k = key(batch);
    const end = this.behind.get(k);
    if (end !== undefined && batch.nextOffset >= end) this.behind.delete(k);
  }

  private async decode(record: LogRecord, serdes: TopicSerdes): Promise<void> {
    if (record.key === null || record.value === null) return;
    const keyContext = { topic: record.topic, part: 'key' as const, headers: record.headers };
    const valueContext = { topic: record.topic, part: 'value' as const, headers: record.headers };
    try {
      await serdes.keySerde.prepare?.(record.key, keyContext);
      await serdes.valueSerde.prepare?.(record.value, valueContext);
      this.options.onRecord({
        topic: record.topic,
        key: serdes.keySerde.deserialize(record.key, keyContext),
        value: serdes.valueSerde.deserialize(record.value, valueContext),
        timestamp: record.timestamp,
      });
    } catch {
      // A record the topology's serdes cannot read is the dead-letter handling's business, not the console's.
    }
  }
}

function key(partition: { topic: string; partition: number }): string {
  return `${partition.topic}/${partition.partition}`;
}
