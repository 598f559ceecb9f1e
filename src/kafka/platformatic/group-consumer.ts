import type { Logger } from '../../common/logger.ts';
import {
  RebalanceInProgressError,
  type GroupAssignment,
  type GroupConsumerHandlers,
  type GroupConsumerOptions,
  type GroupConsumerPort,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../port.ts';
import { committedOffsets } from './committed-offsets.ts';
import { Fetcher } from './fetcher.ts';
import { GroupMember, REJOIN, type Generation } from './group-member.ts';
import { EARLIEST } from './list-offsets.ts';
import { hasProtocolError, type Wire } from './wire.ts';

const HEARTBEAT_INTERVAL_MS = 1_000;
const REBALANCE_TIMEOUT_MS = 60_000;

/** The group's membership as KIP-447 fences transactional offset commits with it. */
export interface GroupMembership {
  readonly generationId: number;
  readonly memberId: string;
}

/**
 * A consumer-group member on @platformatic/kafka: its own group membership (`GroupMember`) and its
 * own fetching (`Fetcher`). Partitions of a new assignment are fetched paused from the group's
 * committed offsets (the log's start where there is none) until the runtime resumes them; a rebalance
 * first lets the runtime commit (`onRevoking`, awaited) and stops fetching, as Kafka's eager protocol
 * revokes everything before rejoining.
 */
export class PlatformaticGroupConsumer implements GroupConsumerPort {
  private readonly wire: Wire;
  private readonly options: GroupConsumerOptions;
  private readonly logger: Logger;
  private readonly refused: (error: unknown) => Error;
  private readonly member: GroupMember;
  private fetcher: Fetcher | undefined;
  private running = false;
  private membership: Promise<void> | undefined;
  private joins = 0;
  private assigning: Promise<void> = Promise.resolve();
  private stopHeartbeat: (() => void) | undefined;
  /** Set by `rejoin`: the member leaves and joins again, which makes the group rebalance. */
  private rejoinWanted = false;

  constructor(wire: Wire, options: GroupConsumerOptions, logger: Logger, refused: (error: unknown) => Error) {
    this.wire = wire;
    this.options = options;
    this.logger = logger;
    this.refused = refused;
    this.member = new GroupMember(wire, {
      groupId: options.groupId,
      topics: options.topics,
      assignor: options.assignor,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
    });
  }

  /** This member's current generation, for transactional offset commits fenced by the group. */
  get generation(): GroupMembership {
    return { generationId: this.member.generationId, memberId: this.member.memberId };
  }

  async start(handlers: GroupConsumerHandlers): Promise<void> {
    this.running = true;
    this.fetcher = new Fetcher(this.wire, {
      readCommitted: this.options.readCommitted,
      onBatch: (batch) => handlers.onBatch(batch),
      onCrash: (error) => handlers.onCrash(error),
      refused: this.refused,
    });
    this.fetcher.start();
    let first: Generation;
    try {
      first = await this.member.join();
    } catch (error) {
      this.running = false;
      await this.fetcher.stop();
      await this.wire.close();
      throw this.refused(error);
    }
    this.membership = this.keepMembership(first, handlers).catch((error: unknown) => {
      if (this.running) handlers.onCrash(this.refused(error));
    });
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.fetcher?.pause(partitions);
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.fetcher?.resume(partitions);
  }

  seek(position: TopicPartitionOffset): void {
    this.fetcher?.seek(position, BigInt(position.offset));
  }

  async commit(offsets: readonly TopicPartitionOffset[], options: { metadata?: string } = {}): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await this.member.commit(offsets, options.metadata ?? null);
    } catch (error) {
      if (hasProtocolError(error, ...REJOIN, 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE'))
        throw new RebalanceInProgressError({ cause: error });
      throw this.refused(error);
    }
  }

  async rejoin(): Promise<void> {
    if (!this.running) return;
    // A JoinGroup from a known member of a stable group changes nothing; leaving first makes the
    // coordinator rebalance, so every member gets a fresh assignment.
    this.rejoinWanted = true;
    this.stopHeartbeat?.();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopHeartbeat?.();
    await this.membership;
    await this.fetcher?.stop();
    await this.member
      .leave()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'leaving the group failed'));
    await this.wire.close();
  }

  /** Applies each generation, heartbeats until the group rebalances, lets the runtime commit, rejoins. */
  private async keepMembership(first: Generation, handlers: GroupConsumerHandlers): Promise<void> {
    let generation: Generation | undefined = first;
    while (this.running) {
      if (generation) {
        await this.apply(generation, handlers);
        await this.heartbeatUntilRebalance();
        if (!this.running) return;
        // What was processed is committed before the member rejoins: the group may give its tasks to
        // another member, which starts where this one committed.
        await withTimeout(Promise.resolve(handlers.onRevoking()), REBALANCE_TIMEOUT_MS / 2).catch(
          (error: unknown) => this.logger.warn({ err: error }, 'commit before rejoining failed'),
        );
        this.fetcher?.clear();
      }
      try {
        if (this.rejoinWanted) {
          this.rejoinWanted = false;
          await this.member.leave();
        }
        generation = await this.member.join();
      } catch (error) {
        if (!this.running) return;
        if (!hasProtocolError(error, ...REJOIN) && !isNetwork(error)) throw error;
        this.logger.debug({ err: error }, 'joining the group failed; trying again');
        generation = undefined;
        await sleep(500);
      }
    }
  }

  /** Fetches the new assignment paused from the committed offsets and hands it to the runtime. */
  private async apply(generation: Generation, handlers: GroupConsumerHandlers): Promise<void> {
    const join = ++this.joins;
    const fetcher = this.fetcher!;
    const committed = await committedOffsets(this.wire, this.options.groupId, generation.partitions);
    fetcher.clear();
    for (const partition of generation.partitions)
      fetcher.assign(
        partition,
        committed.get(`${partition.topic}\u0000${partition.partition}`) ?? EARLIEST,
        true,
      );
    const assignment: GroupAssignment = {
      generationId: generation.generationId,
      memberId: generation.memberId,
      partitions: generation.partitions,
      userData: generation.userData,
      members: generation.members,
      superseded: () => join !== this.joins,
    };
    this.assigning = this.assigning
      .then(async () => {
        if (join === this.joins && this.running) await handlers.onAssigned(assignment);
      })
      .catch((error: unknown) => {
        if (this.running) handlers.onCrash(this.refused(error));
      });
  }

  /** Heartbeats until the generation ends or the consumer stops. */
  private async heartbeatUntilRebalance(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const stopped = new Promise<void>((resolve) => (this.stopHeartbeat = resolve));
      await Promise.race([sleep(HEARTBEAT_INTERVAL_MS), stopped]);
      if (!this.running || this.rejoinWanted) return;
      try {
        if (!(await this.member.heartbeat())) return;
        failures = 0;
      } catch (error) {
        // A coordinator moving or a broker restarting: keep trying until the session would lapse.
        if (++failures * HEARTBEAT_INTERVAL_MS > (this.options.sessionTimeoutMs ?? 45_000)) throw error;
        this.logger.debug({ err: error }, 'heartbeat failed; trying again');
      }
    }
  }
}

function isNetwork(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_MULTIPLE';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]).finally(() => clearTimeout(timer));
}
