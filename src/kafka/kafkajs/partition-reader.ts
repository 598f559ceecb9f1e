import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type {
  PartitionReaderOptions,
  PartitionReaderPort,
  RecordBatch,
  TopicPartition,
  TopicPartitionOffset,
} from '../port.ts';
import { accessError } from './access-errors.ts';
import { fromKafkaMessage } from './convert.ts';
import { byTopic } from './group-consumer.ts';
import { assertRewrittenBatch } from './fetch-rewrite.ts';

/**
 * Reads chosen partitions from chosen offsets. kafkajs only consumes through a group, so this is a
 * consumer alone in a group of its own (it never commits): it is given every partition of its topics,
 * keeps them paused, and reads only those it was asked to, from the asked offsets.
 */
export class KafkajsPartitionReader implements PartitionReaderPort {
  private readonly kafka: Kafka;
  private readonly options: PartitionReaderOptions;
  private consumer: Consumer | undefined;
  private readonly active = new Map<string, TopicPartitionOffset>();
  private assigned: TopicPartition[] = [];
  private joined: Promise<void> | undefined;
  /** The reader's own group: it never commits, but kafkajs consumes only as a member of a group. */
  private readonly groupId: string;

  constructor(kafka: Kafka, options: PartitionReaderOptions) {
    this.kafka = kafka;
    this.options = options;
    this.groupId = `${options.groupIdPrefix ?? options.clientId ?? 'tributary'}-reader-${randomUUID()}`;
  }

  async start(onBatch: (batch: RecordBatch) => void, onCrash: (error: Error) => void): Promise<void> {
    if (this.options.topics.length === 0) return;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      readUncommitted: !this.options.readCommitted,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    this.consumer = consumer;
    this.joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        this.assigned = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
          (partitions as number[]).map((partition) => ({ topic, partition })),
        );
        const idle = this.assigned.filter((p) => !this.active.has(key(p)));
        if (idle.length > 0) consumer.pause(byTopic(idle));
        for (const position of this.active.values()) consumer.seek(position);
        resolve();
      });
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset, highWatermark } = event.payload;
      if (batchSize === 0)
        onBatch({
          topic,
          partition,
          records: [],
          nextOffset: (BigInt(lastOffset) + 1n).toString(),
          highWatermark,
        });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) onCrash(this.refused(event.payload.error));
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    } catch (error) {
      throw this.refused(error);
    }
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const { topic, partition } = batch;
        assertRewrittenBatch(batch);
        if (!this.active.has(key(batch))) return;
        onBatch({
          topic,
          partition,
          records: batch.messages.map((m) => fromKafkaMessage(topic, partition, m)),
          nextOffset: (BigInt(batch.lastOffset()) + 1n).toString(),
          highWatermark: batch.highWatermark,
        });
      },
    });
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
      throw new Error(`cannot read ${position.topic}: the reader was started without topics`);
    await this.joined;
    this.active.set(key(position), position);
    this.consumer.seek(position);
    this.consumer.resume([{ topic: position.topic, partitions: [position.partition] }]);
  }

  async unassign(partition: TopicPartition): Promise<void> {
    this.active.delete(key(partition));
    this.consumer?.pause([{ topic: partition.topic, partitions: [partition.partition] }]);
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    await consumer.stop();
    await consumer.disconnect();
  }
}

function key(p: TopicPartition): string {
  return `${p.topic}\u0000${p.partition}`;
}
