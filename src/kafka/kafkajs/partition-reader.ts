import { randomUUID } from 'node:crypto';
import type { Consumer, ConsumerRunConfig, Kafka } from 'kafkajs';
import type { Logger } from '../../common/logger.ts';
import type {
  PartitionReaderOptions,
  PartitionReaderPort,
  RecordBatch,
  TopicPartition,
  TopicPartitionOffset,
} from '../port.ts';
import { accessError } from './access-errors.ts';
import { afterLast, logRecords, toKafkaPosition } from './convert.ts';
import { parseOffset, type Offset } from '../../common/offset.ts';
import { byTopic, isWithoutGroup } from './group-consumer.ts';
import { assertRewrittenBatch } from './fetch-rewrite.ts';
import { DEFAULT_TASK_TIMEOUT_MS } from '../retry.ts';
import { ConsumerRestarts, runAgain, subscribeWhenReady } from './restarts.ts';
import { TributaryError } from '../../errors.ts';

/**
 * Reads chosen partitions from chosen offsets. kafkajs only consumes through a group, so this is a
 * consumer alone in a group of its own (it never commits): it is given every partition of its topics,
 * keeps them paused, and reads only those it was asked to, from the asked offsets. Like the group
 * consumer it is restarted after a retriable crash (see restarts.ts), and goes on from where each
 * partition had got to.
 */
export class KafkajsPartitionReader implements PartitionReaderPort {
  private readonly kafka: Kafka;
  private readonly options: PartitionReaderOptions;
  private readonly logger: Logger;
  private consumer: Consumer | undefined;
  /** The partitions being read, each with the next offset to read. */
  private readonly active = new Map<string, TopicPartitionOffset>();
  private assigned: TopicPartition[] = [];
  private joined: Promise<void> | undefined;
  private restarts: ConsumerRestarts | undefined;
  /**
   * While restarting, kafkajs has no group to seek, pause or resume in; the next join pauses what is
   * not read and seeks what is, from `active`.
   */
  private restarting = false;
  /** The reader's own group: it never commits, but kafkajs consumes only as a member of a group. */
  private readonly groupId: string;

  constructor(kafka: Kafka, options: PartitionReaderOptions, logger: Logger) {
    this.kafka = kafka;
    this.options = options;
    this.logger = logger;
    this.groupId = `${options.groupIdPrefix ?? options.clientId ?? 'tributary'}-reader-${randomUUID()}`;
  }

  async start(onBatch: (batch: RecordBatch) => void, onCrash: (error: Error) => void): Promise<void> {
    if (this.options.topics.length === 0) return;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      readUncommitted: !this.options.readCommitted,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      // A fetch is decoded whole, in one go: about 15 ms per MiB of small records with the adapter's
      // decoder (./fetch-decoding.ts; kafkajs' own took about 40), so a larger fetch holds the event
      // loop longer without restoring faster (measured in docs/benchmarks.md, "Restoring a changelog").
      maxBytesPerPartition: 1024 * 1024,
      retry: ConsumerRestarts.retryOptions(),
    });
    this.consumer = consumer;
    const runConfig: ConsumerRunConfig = {
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const { topic, partition } = batch;
        assertRewrittenBatch(batch);
        if (!this.active.has(key(batch))) return;
        const nextOffset = afterLast(batch.lastOffset());
        this.advance(topic, partition, nextOffset);
        // Waiting here holds back the next fetch of this reader: the receiver's back-pressure.
        await onBatch({
          topic,
          partition,
          records: logRecords(topic, partition, batch.messages),
          nextOffset,
          highWatermark: parseOffset(batch.highWatermark),
        });
      },
    };
    let failedToJoin: (error: Error) => void = () => undefined;
    const what = `the partition reader of client "${this.options.clientId ?? 'tributary'}"`;
    const restarts = new ConsumerRestarts({
      what,
      timeoutMs: this.options.retryTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS,
      logger: this.logger,
      restart: () =>
        runAgain(
          consumer,
          runConfig,
          () => this.consumer === consumer,
          (yes) => (this.restarting = yes),
        ),
      crash: (error) => {
        failedToJoin(error);
        onCrash(error);
      },
    });
    this.restarts = restarts;
    this.joined = new Promise<void>((resolve, reject) => {
      failedToJoin = reject;
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        restarts.joined();
        this.assigned = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
          (partitions as number[]).map((partition) => ({ topic, partition })),
        );
        const idle = this.assigned.filter((p) => !this.active.has(key(p)));
        if (idle.length > 0) consumer.pause(byTopic(idle));
        for (const position of this.active.values()) consumer.seek(toKafkaPosition(position));
        resolve();
      });
    });
    this.joined.catch(() => undefined);
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset, highWatermark } = event.payload;
      if (batchSize !== 0 || !this.active.has(key({ topic, partition }))) return;
      const nextOffset = afterLast(lastOffset);
      this.advance(topic, partition, nextOffset);
      onBatch({
        topic,
        partition,
        records: [],
        nextOffset,
        highWatermark: parseOffset(highWatermark),
      });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      // kafkajs has stopped the crashed consumer: no group until it runs again.
      this.restarting = true;
      if (this.consumer === consumer) restarts.crashed(this.refused(event.payload.error));
    });
    await subscribeWhenReady(consumer, this.options.topics, {
      what,
      timeoutMs: this.options.retryTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS,
      logger: this.logger,
      refused: (error) => this.refused(error),
    });
    await consumer.run(runConfig);
    await this.joined;
  }

  /** A refusal by the cluster's authorizer, named: the reader's group and its topics need READ. */
  private refused<E>(error: E): E {
    return accessError(error, this.kafka, {
      topics: { names: this.options.topics, operation: 'READ' },
      group: { name: this.groupId, operation: 'READ' },
    }) as E;
  }

  async assign(position: TopicPartitionOffset): Promise<void> {
    if (!this.consumer)
      throw new TributaryError(
        'TRIB_INTERNAL',
        `cannot read ${position.topic}: the reader was started without topics`,
      );
    await this.joined;
    this.active.set(key(position), position);
    this.withGroup((consumer) => {
      consumer.seek(toKafkaPosition(position));
      consumer.resume([{ topic: position.topic, partitions: [position.partition] }]);
    });
  }

  async unassign(partition: TopicPartition): Promise<void> {
    this.active.delete(key(partition));
    this.withGroup((consumer) =>
      consumer.pause([{ topic: partition.topic, partitions: [partition.partition] }]),
    );
  }

  /** Seeks, pauses and resumes wait for the next join while the reader restarts (see `restarting`). */
  private withGroup(action: (consumer: Consumer) => void): void {
    const consumer = this.consumer;
    if (!consumer || this.restarting) return;
    try {
      action(consumer);
    } catch (error) {
      if (!isWithoutGroup(error)) throw error;
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.restarts?.cancel();
    if (!consumer) return;
    await consumer.stop();
    await consumer.disconnect();
  }

  /** Where a partition goes on from after a restart: past what was delivered. */
  private advance(topic: string, partition: number, offset: Offset): void {
    const position = this.active.get(key({ topic, partition }));
    if (position && offset > position.offset) this.active.set(key(position), { ...position, offset });
  }
}

function key(p: TopicPartition): string {
  return `${p.topic}\u0000${p.partition}`;
}
