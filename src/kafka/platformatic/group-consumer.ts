import { errorMessage } from '../../errors.ts';
import type { Logger } from '../../common/logger.ts';
import {
  DEFAULT_MAX_PARTITION_FETCH_BYTES,
  RebalanceInProgressError,
  type GroupAssignment,
  type GroupConsumerHandlers,
  type GroupConsumerOptions,
  type GroupConsumerPort,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../port.ts';
import {
  DEFAULT_TASK_TIMEOUT_MS,
  FailureWindow,
  RetriesExhaustedError,
  backoffMs,
  retrying,
  retryPolicy,
  sleep,
  type RetryPolicy,
} from '../retry.ts';
import { committedOffsets } from './committed-offsets.ts';
import { platformaticError, platformaticErrorKind } from './errors.ts';
import { Fetcher } from './fetcher.ts';
import { GroupMember, REJOIN, type Generation } from './group-member.ts';
import { EARLIEST } from './list-offsets.ts';
import { hasProtocolError, type Wire } from './wire.ts';

const HEARTBEAT_INTERVAL_MS = 1_000;
const REBALANCE_TIMEOUT_MS = 60_000;
const DEFAULT_SESSION_TIMEOUT_MS = 45_000;

/**
 * A consumer-group member on @platformatic/kafka: its own group membership (`GroupMember`) and its
 * own fetching (`Fetcher`). Partitions of a new assignment are fetched paused from the group's
 * committed offsets (the log's start where there is none) until the runtime resumes them; a rebalance
 * first lets the runtime commit (`onRevoking`, awaited) and stops fetching, as Kafka's eager protocol
 * revokes everything before rejoining. It rides out a broker restart by itself (see `keepMembership`).
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
  /** Aborted by `stop`: a wait between attempts to join ends at once. */
  private readonly stopped = new AbortController();
  /** Who this is, for messages: `the consumer of group "orders"`. */
  private readonly what: string;
  private readonly policy: RetryPolicy;

  constructor(wire: Wire, options: GroupConsumerOptions, logger: Logger, refused: (error: unknown) => Error) {
    this.wire = wire;
    this.options = options;
    this.logger = logger;
    this.refused = refused;
    this.what = `the consumer of group "${options.groupId}"`;
    this.policy = retryPolicy(options.retryTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS);
    this.member = new GroupMember(wire, {
      groupId: options.groupId,
      topics: options.topics,
      assignor: options.assignor,
      sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
    });
  }

  async start(handlers: GroupConsumerHandlers): Promise<void> {
    this.running = true;
    this.fetcher = new Fetcher(this.wire, {
      readCommitted: this.options.readCommitted,
      onBatch: (batch) => handlers.onBatch(batch),
      onCrash: (error) => handlers.onCrash(error),
      refused: this.refused,
      retryTimeoutMs: this.policy.timeoutMs,
      partitionMaxBytes: this.options.maxPartitionFetchBytes ?? DEFAULT_MAX_PARTITION_FETCH_BYTES,
      what: this.what,
      logger: this.logger,
    });
    this.fetcher.start();
    let first: Generation;
    try {
      // A coordinator that is loading or moving is waited for, as after a broker restart.
      first = await retrying(() => this.member.join(), {
        what: `${this.what} joining the group`,
        policy: this.policy,
        signal: this.stopped.signal,
        retriable: (error) => this.passing(error),
        onRetry: (error, attempt, waitMs) =>
          this.logger.debug({ err: error, attempt, waitMs }, `${this.what} could not join yet; retrying`),
      });
    } catch (error) {
      this.running = false;
      await this.fetcher.stop();
      await this.wire.close();
      throw platformaticError(this.refused(error), `${this.what} joining the group`);
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
    this.fetcher?.seek(position, position.offset);
  }

  async commit(offsets: readonly TopicPartitionOffset[], options: { metadata?: string } = {}): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await this.member.commit(offsets, options.metadata ?? null);
    } catch (error) {
      if (hasProtocolError(error, ...REJOIN)) throw new RebalanceInProgressError({ cause: error });
      // A coordinator moving or a broker restarting is retriable: the runtime commits again.
      throw platformaticError(this.refused(error), `committing offsets of group "${this.options.groupId}"`);
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
    this.stopped.abort();
    this.stopHeartbeat?.();
    await this.membership;
    await this.fetcher?.stop();
    await this.member
      .leave()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'leaving the group failed'));
    await this.wire.close();
  }

  /**
   * Applies each generation, heartbeats until the group rebalances, lets the runtime commit, rejoins.
   * A broker restart or a coordinator moving ends no more than the generation: the member joins again
   * with a bounded backoff, for at most `retryTimeoutMs` of failures in a row (then, or on a fatal
   * error, the runtime hears of the crash).
   */
  private async keepMembership(first: Generation, handlers: GroupConsumerHandlers): Promise<void> {
    const failing = new FailureWindow(this.policy.timeoutMs);
    let attempts = 0;
    let generation: Generation | undefined = first;
    while (this.running) {
      try {
        if (generation) {
          await this.apply(generation, handlers);
          if (failing.failingMs() > 0)
            this.logger.info({ failedForMs: failing.failingMs() }, `${this.what} is back in the group`);
          failing.succeeded();
          attempts = 0;
          await this.heartbeatUntilRebalance();
          if (!this.running) return;
          generation = undefined;
          await this.revoke(handlers);
        }
        if (this.rejoinWanted) {
          this.rejoinWanted = false;
          await this.member.leave();
        }
        generation = await this.member.join();
      } catch (error) {
        if (!this.running) return;
        if (!this.passing(error)) throw platformaticError(this.refused(error), this.what);
        if (generation) {
          // The assignment could not be applied: the runtime was not told of it; join again.
          generation = undefined;
          this.fetcher?.clear();
        }
        if (!failing.failed())
          throw new RetriesExhaustedError(this.what, failing.failingMs(), this.policy, error);
        const wait = backoffMs(++attempts, this.policy);
        if (attempts === 1)
          this.logger.warn(
            { err: error, retryInMs: wait },
            `${this.what} lost its connection; rejoining the group: ${errorMessage(error)}`,
          );
        else this.logger.debug({ err: error, attempt: attempts, retryInMs: wait }, `${this.what}: rejoining`);
        await sleep(wait, this.stopped.signal);
      }
    }
  }

  /**
   * The generation is over: what was processed is committed before the member rejoins (the group may
   * give its tasks to another member, which starts where this one committed), and the assignment is
   * superseded, so nothing more is started for it.
   */
  private async revoke(handlers: GroupConsumerHandlers): Promise<void> {
    this.joins++;
    await withTimeout(Promise.resolve(handlers.onRevoking()), REBALANCE_TIMEOUT_MS / 2).catch(
      (error: unknown) => this.logger.warn({ err: error }, 'commit before rejoining failed'),
    );
    this.fetcher?.clear();
  }

  /** Worth joining again after a backoff: the group moved on, or the cluster is back in a moment. */
  private passing(error: unknown): boolean {
    return hasProtocolError(error, ...REJOIN) || platformaticErrorKind(error) === 'retriable';
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

  /**
   * Heartbeats until the generation ends or the consumer stops. Heartbeats that fail for a while (a
   * coordinator moving, a broker restarting) are sent again; once they have failed for longer than
   * the session, the coordinator has removed this member, and the generation is over for it too.
   */
  private async heartbeatUntilRebalance(): Promise<void> {
    const sessionMs = this.options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    let failingSince: number | undefined;
    while (this.running) {
      const stopped = new Promise<void>((resolve) => (this.stopHeartbeat = resolve));
      await Promise.race([sleep(HEARTBEAT_INTERVAL_MS), stopped]);
      if (!this.running || this.rejoinWanted) return;
      try {
        if (!(await this.member.heartbeat())) return;
        if (failingSince !== undefined)
          this.logger.info({ failedForMs: Date.now() - failingSince }, `${this.what} heartbeats again`);
        failingSince = undefined;
      } catch (error) {
        if (platformaticErrorKind(error) !== 'retriable')
          throw platformaticError(this.refused(error), `${this.what} heartbeating`);
        if (failingSince === undefined) {
          failingSince = Date.now();
          this.logger.warn(
            { err: error },
            `${this.what} lost its connection to the group coordinator; retrying: ${errorMessage(error)}`,
          );
        } else if (Date.now() - failingSince > sessionMs) {
          this.logger.warn(
            { failedForMs: Date.now() - failingSince },
            `${this.what}: session lapsed; rejoining`,
          );
          return;
        }
      }
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]).finally(() => clearTimeout(timer));
}
