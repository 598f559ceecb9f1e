import { KafkaClientMismatchError } from './fetch-rewrite.ts';

/** The generation and member id a consumer's join completed with. */
export interface JoinedGeneration {
  readonly generationId: number;
  readonly memberId: string;
}

interface SyncGroupArgs {
  groupId?: unknown;
  generationId?: unknown;
  memberId?: unknown;
}

/**
 * The group generation of each join of one kafkajs consumer, which its GROUP_JOIN event does not carry.
 *
 * kafkajs joins in two requests, JoinGroup then SyncGroup (with the generation and member id the first
 * answered), one after the other, and emits GROUP_JOIN only after a SyncGroup succeeded, before it
 * sends the next. So the SyncGroup that succeeded last, when GROUP_JOIN is emitted, is the one of that
 * join. `watch` (given to ./fetch-hook.ts's withClusterWatch for the consumer's cluster) notes it on
 * every broker; `joined` takes it, so that no join is ever given the generation of an earlier one.
 */
export class GroupGenerations {
  private synced: (JoinedGeneration & { groupId: string }) | undefined;

  /** For withClusterWatch: each broker's SyncGroup notes the generation it completed. */
  readonly watch = (): ((broker: object) => void) => (broker) => {
    const target = broker as Record<string, unknown>;
    const syncGroup = target.syncGroup;
    if (typeof syncGroup !== 'function')
      throw new KafkaClientMismatchError('its Broker has no syncGroup function');
    target.syncGroup = async (args: SyncGroupArgs, ...rest: unknown[]) => {
      const answer: unknown = await (syncGroup as (...a: unknown[]) => Promise<unknown>).call(
        broker,
        args,
        ...rest,
      );
      const { groupId, generationId, memberId } = args ?? {};
      this.synced =
        typeof groupId === 'string' && typeof generationId === 'number' && typeof memberId === 'string'
          ? { groupId, generationId, memberId }
          : undefined;
      return answer;
    };
  };

  /**
   * The generation of the join kafkajs has just announced (GROUP_JOIN) for `memberId` of `groupId`;
   * a KafkaClientMismatchError when no SyncGroup of that member completed since the last join.
   */
  joined(groupId: string, memberId: string): JoinedGeneration {
    const synced = this.synced;
    this.synced = undefined;
    if (!synced || synced.groupId !== groupId || synced.memberId !== memberId)
      throw new KafkaClientMismatchError(
        'its consumer announced a group join without a SyncGroup of that member before it',
      );
    return { generationId: synced.generationId, memberId: synced.memberId };
  }
}
