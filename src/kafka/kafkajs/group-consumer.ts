import {
  AssignerProtocol,
  type Consumer,
  type ConsumerRunConfig,
  type GroupDescription,
  type Kafka,
  type PartitionAssigner,
} from 'kafkajs';
import { TributaryError, errorKind, errorMessage } from '../../errors.ts';
import type { Logger } from '../../common/logger.ts';
import {
  DEFAULT_MAX_PARTITION_FETCH_BYTES,
  RebalanceInProgressError,
  type GroupAssignment,
  type GroupAssignor,
  type GroupConsumerHandlers,
  type GroupConsumerOptions,
  type GroupConsumerPort,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../port.ts';
import { DEFAULT_TASK_TIMEOUT_MS, retrying, retryPolicy } from '../retry.ts';
import { accessError, type Access } from './access-errors.ts';
import { afterLast, logRecords, kafkaErrorType, toKafkaPosition } from './convert.ts';
import { parseOffset } from '../../common/offset.ts';
import { classified, kafkajsError } from './errors.ts';
import { assertRewrittenBatch } from './fetch-rewrite.ts';
import { ConsumerRestarts, runAgain, subscribeWhenReady } from './restarts.ts';
import { withClusterWatch } from './fetch-hook.ts';
import { GroupGenerations, type JoinedGeneration } from './group-generations.ts';
import { awaitStableOffsets } from './stable-offsets.ts';

/**
 * A consumer-group member on kafkajs. kafkajs has no revocation callback and drops the assignment's
 * user data, so: every assigned partition is paused the moment the member joins (before any fetch),
 * the runtime's tasks are reconciled from the assignment read back with DescribeGroups, and only
 * then are partitions resumed by the runtime.
 *
 * A consumer that crashed on a retriable error (a broker restarting) is restarted: it reconnects and
 * joins the group again. That is how a worker rides out a broker restart, for at most
 * `retryTimeoutMs` of failures in a row (see restarts.ts); past it, or on a fatal error, the
 * runtime hears of the crash. A stopped consumer never restarts.
 */
export class KafkajsGroupConsumer implements GroupConsumerPort {
  private readonly kafka: Kafka;
  private readonly options: GroupConsumerOptions;
  private readonly logger: Logger;
  private consumer: Consumer | undefined;
  /** Group joins seen so far, and the chain that hands their assignments to the runtime in order. */
  private joins = 0;
  /** Rebalances this member has learned of (a heartbeat or commit was told the group is rebalancing). */
  private rebalances = 0;
  /**
   * Whether the runtime heard of the end of the member's generation since its last join (a
   * rebalance, a crash, a rejoin). kafkajs also rejoins silently (its session lapsed, UNKNOWN_MEMBER_ID),
   * without a REBALANCING event; the runtime is then told at the next join, before the assignment.
   */
  private toldSinceJoin = true;
  /** Whether the consumer is a member of the group now: false from a crash until it has rejoined. */
  private inGroup = false;
  private assigning: Promise<void> = Promise.resolve();
  private runConfig: ConsumerRunConfig | undefined;
  private rejoining: Promise<void> | undefined;
  /** From a crash or leaving the group until kafkajs has a group again (see `rejoin`). */
  private restarting = false;
  private restarts: ConsumerRestarts | undefined;
  /** The consumer's kafkajs cluster, to read the group's offsets stably (see awaitStableOffsets). */
  private cluster: unknown;

  constructor(kafka: Kafka, options: GroupConsumerOptions, logger: Logger) {
    this.kafka = kafka;
    this.options = options;
    this.logger = logger;
  }

  async start(handlers: GroupConsumerHandlers): Promise<void> {
    const what = `the consumer of group "${this.options.groupId}"`;
    const restarts = new ConsumerRestarts({
      what,
      timeoutMs: this.options.retryTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS,
      logger: this.logger,
      restart: () => this.rejoin(),
      crash: (error) => handlers.onCrash(error),
    });
    this.restarts = restarts;
    // kafkajs' GROUP_JOIN has no generation: its SyncGroup requests say which (see group-generations.ts).
    const generations = new GroupGenerations();
    const consumer = withClusterWatch(
      (cluster) => {
        this.cluster = cluster;
        return generations.watch();
      },
      () =>
        this.kafka.consumer({
          groupId: this.options.groupId,
          partitionAssigners: [assignorBridge(this.options.assignor)],
          readUncommitted: !this.options.readCommitted,
          sessionTimeout: this.options.sessionTimeoutMs ?? 45_000,
          rebalanceTimeout: 60_000,
          // kafkajs heartbeats between fetches only: short fetch waits and heartbeats keep rebalances quick.
          heartbeatInterval: 1_000,
          allowAutoTopicCreation: false,
          maxWaitTimeInMs: 100,
          maxBytesPerPartition: this.options.maxPartitionFetchBytes ?? DEFAULT_MAX_PARTITION_FETCH_BYTES,
          retry: ConsumerRestarts.retryOptions(),
        }),
    );
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      restarts.joined();
      this.inGroup = true;
      let joined: JoinedGeneration | Error;
      try {
        joined = generations.joined(this.options.groupId, event.payload.memberId);
      } catch (error) {
        joined = error as Error;
      }
      const assigned = fromAssignmentMap(event.payload.memberAssignment);
      // Synchronous, so it happens before kafkajs fetches for the new generation.
      if (assigned.length > 0) consumer.pause(byTopic(assigned));
      if (!this.toldSinceJoin) handlers.onRevoking();
      this.toldSinceJoin = false;
      const join = ++this.joins;
      const rebalances = this.rebalances;
      // One assignment at a time, in order; a join that a newer one overtook is skipped, and so is
      // one the member learns of while it leaves the group (nothing is there to read it any more).
      const current = () => join === this.joins && this.consumer === consumer;
      const superseded = () => !current() || rebalances !== this.rebalances;
      this.assigning = this.assigning
        .then(async () => {
          if (joined instanceof Error) throw joined;
          if (superseded()) return;
          const assignment = await this.readAssignment(consumer, joined, assigned, superseded);
          if (assignment && !superseded()) await handlers.onAssigned(assignment);
        })
        .catch((error: Error) => {
          if (this.consumer === consumer) handlers.onCrash(this.refused(error));
        });
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.rebalances++;
      this.toldSinceJoin = true;
      handlers.onRevoking();
    });
    // Fetches that held only transaction markers, aborted records or emptied batches never reach eachBatch;
    // the position moves anyway.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset, highWatermark } = event.payload;
      if (batchSize !== 0) return;
      handlers.onBatch({
        topic,
        partition,
        records: [],
        nextOffset: afterLast(lastOffset),
        highWatermark: parseOffset(highWatermark),
      });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      // kafkajs has stopped the crashed consumer: no group until it runs again.
      this.inGroup = false;
      this.toldSinceJoin = true;
      this.restarting = true;
      if (this.consumer === consumer) restarts.crashed(this.refused(event.payload.error));
    });
    await subscribeWhenReady(consumer, this.options.topics, {
      what,
      timeoutMs: this.options.retryTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS,
      logger: this.logger,
      refused: (error) => this.refused(error),
    });
    this.runConfig = {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset }) => {
        assertRewrittenBatch(batch);
        if (batch.messages.length === 0) return;
        const { topic, partition } = batch;
        handlers.onBatch({
          topic,
          partition,
          records: logRecords(topic, partition, batch.messages),
          nextOffset: afterLast(batch.lastOffset()),
          highWatermark: parseOffset(batch.highWatermark),
        });
        // Buffered is as good as consumed for fetching; what is committed is decided by the runtime.
        resolveOffset(batch.lastOffset());
      },
    };
    await consumer.run(this.runConfig);
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.withGroup((consumer) => consumer.pause(byTopic(partitions)));
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.withGroup((consumer) => consumer.resume(byTopic(partitions)));
  }

  seek(position: TopicPartitionOffset): void {
    this.withGroup((consumer) => consumer.seek(toKafkaPosition(position)));
  }

  /**
   * While the consumer restarts (after a crash, or to rejoin) kafkajs has no group to pause, resume
   * or seek in. Nothing is lost: the next join pauses every assigned partition, and the runtime
   * seeks and resumes them.
   */
  private withGroup(action: (consumer: Consumer) => void): void {
    const consumer = this.consumer;
    if (!consumer || this.restarting) return;
    try {
      action(consumer);
    } catch (error) {
      if (!isWithoutGroup(error)) throw error;
    }
  }

  async commit(offsets: readonly TopicPartitionOffset[], options: { metadata?: string } = {}): Promise<void> {
    if (!this.consumer || offsets.length === 0) return;
    // kafkajs drops the commit of a consumer that is not running (crashed, about to restart) without
    // a word: say so instead, so the runtime keeps the offsets and tries again.
    if (!this.inGroup)
      throw new TributaryError(
        'TRIB_KAFKA',
        `the consumer of group "${this.options.groupId}" is reconnecting; offsets not committed`,
        { retriable: true },
      );
    const metadata = options.metadata ?? null;
    try {
      await this.consumer.commitOffsets(offsets.map((o) => ({ ...toKafkaPosition(o), metadata })));
    } catch (error) {
      const type = kafkaErrorType(error);
      if (type === 'REBALANCE_IN_PROGRESS' || type === 'ILLEGAL_GENERATION' || type === 'UNKNOWN_MEMBER_ID')
        throw new RebalanceInProgressError({ cause: error });
      throw kafkajsError(this.refused(error), `committing offsets of group "${this.options.groupId}"`);
    }
  }

  /**
   * kafkajs cannot be asked to rebalance, so the member leaves the group and joins it again as a new
   * member: the group rebalances and every member gets a fresh assignment. One rejoin at a time.
   * (A crashed consumer restarts the same way.)
   */
  rejoin(): Promise<void> {
    const consumer = this.consumer;
    const runConfig = this.runConfig;
    if (!consumer || !runConfig) return Promise.resolve();
    this.rebalances++;
    this.inGroup = false;
    this.toldSinceJoin = true;
    this.rejoining ??= runAgain(
      consumer,
      runConfig,
      () => this.consumer === consumer,
      (yes) => (this.restarting = yes),
    ).finally(() => (this.rejoining = undefined));
    return this.rejoining;
  }

  /** A refusal by the cluster's authorizer, named: the group needs READ, its topics READ. */
  private refused<E>(error: E): E {
    const access: Access = {
      group: { name: this.options.groupId, operation: 'READ' },
      topics: { names: this.options.topics, operation: 'READ' },
    };
    return accessError(error, this.kafka, access) as E;
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.inGroup = false;
    this.restarts?.cancel();
    if (!consumer) return;
    await this.rejoining?.catch(() => undefined);
    await consumer.stop();
    await consumer.disconnect();
  }

  /**
   * The group's description, retried while the coordinator is unavailable (a broker restarting);
   * undefined once the assignment it was wanted for is superseded (the consumer restarted or the
   * group rebalances: the next join brings the assignment).
   */
  private async describe(
    consumer: Consumer,
    superseded: () => boolean,
  ): Promise<GroupDescription | undefined> {
    try {
      return await retrying(
        () => classified(`describing group "${this.options.groupId}"`, () => consumer.describeGroup()),
        {
          what: `describing group "${this.options.groupId}"`,
          policy: retryPolicy(this.options.retryTimeoutMs),
          retriable: (error) => !superseded() && errorKind(error) === 'retriable',
        },
      );
    } catch (error) {
      if (superseded() || this.consumer !== consumer) return undefined;
      throw error;
    }
  }

  /**
   * Waits until no transaction of a previous owner holds offsets of the assigned partitions (see
   * awaitStableOffsets), retried while the coordinator is unavailable; false once the assignment is
   * superseded.
   */
  private async stableOffsets(assigned: TopicPartition[], superseded: () => boolean): Promise<boolean> {
    const { groupId } = this.options;
    const what = `reading the committed offsets of group "${groupId}"`;
    try {
      await retrying(
        () => classified(what, () => awaitStableOffsets(this.cluster, groupId, byTopic(assigned))),
        {
          what,
          policy: retryPolicy(this.options.retryTimeoutMs),
          retriable: (error) => !superseded() && errorKind(error) === 'retriable',
        },
      );
      return !superseded();
    } catch (error) {
      if (superseded()) return false;
      throw error;
    }
  }

  /**
   * Reads back this member's assignment (with its user data) and every member's, for query routing.
   * Undefined when the group has moved on (another rebalance started, or completed a newer generation):
   * the description no longer shows this join's assignment, and the next join brings the new one.
   */
  private async readAssignment(
    consumer: Consumer,
    { generationId, memberId }: JoinedGeneration,
    assigned: TopicPartition[],
    superseded: () => boolean,
  ): Promise<GroupAssignment | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (this.consumer !== consumer) return undefined;
      const description = await this.describe(consumer, superseded);
      if (!description) return undefined;
      if (description.state !== 'Stable') {
        this.logger.debug({ memberId, state: description.state }, 'group is rebalancing again');
        return undefined;
      }
      const members = description.members.map((m) => {
        const assignment = decodeOrUndefined(() =>
          AssignerProtocol.MemberAssignment.decode(m.memberAssignment),
        );
        const metadata = decodeOrUndefined(() => AssignerProtocol.MemberMetadata.decode(m.memberMetadata));
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
        if (!samePartitions(own.assignment.partitions, assigned)) {
          this.logger.debug({ memberId }, 'group completed a newer generation; waiting for its join');
          return undefined;
        }
        if (!(await this.stableOffsets(assigned, superseded))) return undefined;
        return {
          generationId,
          memberId,
          partitions: assigned,
          userData: own.assignment.userData,
          members,
          superseded,
        };
      }
      if (superseded()) return undefined;
      if (attempt >= 10) {
        this.logger.warn(
          { memberId, group: this.options.groupId },
          'this member is not in the description of its group; waiting for the next join',
        );
        return undefined;
      }
      this.logger.debug({ memberId, attempt }, 'own assignment not visible yet; describing the group again');
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** kafkajs' answer to pause, resume or seek between a crash (or a stop) and the next run. */
export function isWithoutGroup(error: unknown): boolean {
  return /Consumer group was not initialized/.test(errorMessage(error));
}

/** Members in the middle of joining have empty metadata and assignments. */
function decodeOrUndefined<T>(decode: () => T | null): T | undefined {
  try {
    return decode() ?? undefined;
  } catch {
    return undefined;
  }
}

function samePartitions(a: readonly TopicPartition[], b: readonly TopicPartition[]): boolean {
  const keys = (list: readonly TopicPartition[]) =>
    list
      .map((p) => `${p.topic}\u0000${p.partition}`)
      .sort()
      .join(',');
  return keys(a) === keys(b);
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
