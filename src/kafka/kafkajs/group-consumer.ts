import { AssignerProtocol, type Consumer, type Kafka, type PartitionAssigner } from 'kafkajs';
import type { Logger } from '../../runtime/logger.ts';
import {
  RebalanceInProgressError,
  type GroupAssignment,
  type GroupAssignor,
  type GroupConsumerHandlers,
  type GroupConsumerOptions,
  type GroupConsumerPort,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../port.ts';
import { fromKafkaMessage } from './convert.ts';

/**
 * A consumer-group member on kafkajs. kafkajs has no revocation callback and drops the assignment's
 * user data, so: every assigned partition is paused the moment the member joins (before any fetch),
 * the runtime's tasks are reconciled from the assignment read back with DescribeGroups, and only
 * then are partitions resumed by the runtime.
 */
export class KafkajsGroupConsumer implements GroupConsumerPort {
  private readonly kafka: Kafka;
  private readonly options: GroupConsumerOptions;
  private readonly logger: Logger;
  private consumer: Consumer | undefined;

  constructor(kafka: Kafka, options: GroupConsumerOptions, logger: Logger) {
    this.kafka = kafka;
    this.options = options;
    this.logger = logger;
  }

  async start(handlers: GroupConsumerHandlers): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      partitionAssigners: [assignorBridge(this.options.assignor)],
      readUncommitted: !this.options.readCommitted,
      sessionTimeout: this.options.sessionTimeoutMs ?? 45_000,
      rebalanceTimeout: 60_000,
      // kafkajs heartbeats between fetches only: short fetch waits and heartbeats keep rebalances quick.
      heartbeatInterval: 1_000,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assigned = fromAssignmentMap(event.payload.memberAssignment);
      // Synchronous, so it happens before kafkajs fetches for the new generation.
      if (assigned.length > 0) consumer.pause(byTopic(assigned));
      void this.readAssignment(event.payload.memberId, assigned)
        .then((assignment) => handlers.onAssigned(assignment))
        .catch((error: Error) => handlers.onCrash(error));
    });
    consumer.on(consumer.events.REBALANCING, () => handlers.onRevoking());
    // Fetches that held only transaction markers or aborted records never reach eachBatch; the position moves anyway.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset, highWatermark } = event.payload;
      if (batchSize !== 0) return;
      handlers.onBatch({
        topic,
        partition,
        records: [],
        nextOffset: (BigInt(lastOffset) + 1n).toString(),
        highWatermark,
      });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) handlers.onCrash(event.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (batch.messages.length === 0) return;
        const { topic, partition } = batch;
        handlers.onBatch({
          topic,
          partition,
          records: batch.messages.map((m) => fromKafkaMessage(topic, partition, m)),
          nextOffset: (BigInt(batch.lastOffset()) + 1n).toString(),
          highWatermark: batch.highWatermark,
        });
        // Buffered is as good as consumed for fetching; what is committed is decided by the runtime.
        resolveOffset(batch.lastOffset());
      },
    });
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer?.pause(byTopic(partitions));
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer?.resume(byTopic(partitions));
  }

  seek(position: TopicPartitionOffset): void {
    this.consumer?.seek({ topic: position.topic, partition: position.partition, offset: position.offset });
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (!this.consumer || offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      );
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (
        type === 'REBALANCE_IN_PROGRESS' ||
        type === 'ILLEGAL_GENERATION' ||
        type === 'UNKNOWN_MEMBER_ID' ||
        type === 'NOT_COORDINATOR'
      ) {
        throw new RebalanceInProgressError({ cause: error });
      }
      throw error;
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    await consumer.stop();
    await consumer.disconnect();
  }

  /** Reads back this member's assignment (with its user data) and every member's, for query routing. */
  private async readAssignment(memberId: string, assigned: TopicPartition[]): Promise<GroupAssignment> {
    for (let attempt = 1; ; attempt++) {
      const description = await this.consumer!.describeGroup();
      const members = description.members.map((m) => {
        const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        const metadata = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        return {
          memberId: m.memberId,
          subscription: new Uint8Array(metadata?.userData ?? Buffer.alloc(0)),
          assignment: {
            partitions: fromAssignmentMap(assignment?.assignment ?? {}),
            userData: new Uint8Array(assignment?.userData ?? Buffer.alloc(0)),
          },
        };
      });
      const own = members.find((m) => m.memberId === memberId);
      if (own) {
        return {
          generationId: -1,
          memberId,
          partitions: assigned,
          userData: own.assignment.userData,
          members,
        };
      }
      if (attempt >= 10)
        throw new Error(`member ${memberId} is not in the description of group ${this.options.groupId}`);
      this.logger.debug({ memberId, attempt }, 'own assignment not visible yet; describing the group again');
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** Plugs the runtime's assignor into kafkajs' partition-assigner interface. */
function assignorBridge(assignor: GroupAssignor): PartitionAssigner {
  return ({ cluster }) => ({
    name: assignor.name,
    version: assignor.version,
    protocol: ({ topics }) => ({
      name: assignor.name,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: assignor.version,
        topics,
        userData: Buffer.from(assignor.subscriptionUserData()),
      }),
    }),
    assign: async ({ members, topics }) => {
      const counts = new Map(
        topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).length]),
      );
      const decoded = members.map((m) => ({
        memberId: m.memberId,
        userData: new Uint8Array(
          AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData ?? Buffer.alloc(0),
        ),
      }));
      const assignment = assignor.assign(decoded, counts);
      return members.map(({ memberId }) => {
        const own = assignment.get(memberId) ?? { partitions: [], userData: new Uint8Array() };
        const byTopicMap: Record<string, number[]> = {};
        for (const p of own.partitions) (byTopicMap[p.topic] ??= []).push(p.partition);
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: assignor.version,
            assignment: byTopicMap,
            userData: Buffer.from(own.userData),
          }),
        };
      });
    },
  });
}

function fromAssignmentMap(map: Record<string, number[]>): TopicPartition[] {
  return Object.entries(map).flatMap(([topic, partitions]) =>
    partitions.map((partition) => ({ topic, partition })),
  );
}

export function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>();
  for (const p of partitions) {
    let list = grouped.get(p.topic);
    if (!list) grouped.set(p.topic, (list = []));
    list.push(p.partition);
  }
  return [...grouped].map(([topic, list]) => ({ topic, partitions: list }));
}
