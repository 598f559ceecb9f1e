import type { AdminPort, GroupConsumerPort, TopicPartition, TopicPartitionOffset } from '../../kafka/port.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import { toOffset, type Offset } from '../../common/offset.ts';

/**
 * Handing a task from one live worker to another. The group protocol gives every member its new
 * tasks at the same moment, so without care the new owner would restore the task's stores and read
 * its committed offsets while the old owner is still finishing: it would miss the old owner's last
 * changelog writes and reprocess what the old owner processed since its last commit.
 *
 * Under at-least-once the old owner therefore commits the task's final positions with a marker that
 * names the rebalance (`release`), and the new owner waits for that marker before it restores
 * (`awaitRelease`). Under exactly-once no wait is needed: creating the task's producer fences the old
 * owner, whose transaction is then either committed or aborted, so the changelog's end and the
 * committed offsets read afterwards agree. Either way the new owner starts from the committed offsets
 * read after that point (`startPositions`), not from those the client read when the rebalance ended.
 */
export const RELEASE_MARKER = 'tributary:released:';
const POLL_MS = 50;

export interface ReleasedTask {
  readonly id: string;
  readonly inputs: readonly TopicPartition[];
  /** Where processing got to in the partitions it processed (already committed). */
  readonly positions: readonly TopicPartitionOffset[];
}

export interface HandoffContext {
  readonly admin: AdminPort;
  readonly groupId: string;
  readonly logger: Logger;
  /** The hand-over deadline is measured on it. */
  readonly clock: Clock;
}

/** Commits the final position of every input partition of tasks this worker lets go, marked for the rebalance. */
export async function release(
  context: HandoffContext,
  consumer: GroupConsumerPort,
  tasks: readonly ReleasedTask[],
  rebalance: string,
): Promise<void> {
  if (tasks.length === 0 || rebalance === '') return;
  const known = new Map<string, TopicPartitionOffset>();
  for (const task of tasks) for (const position of task.positions) known.set(key(position), position);
  const unknown = tasks.flatMap((t) => t.inputs).filter((p) => !known.has(key(p)));
  const offsets = [
    ...known.values(),
    ...(await readPositions(context, unknown, { ends: false })).map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset,
    })),
  ];
  await consumer.commit(offsets, { metadata: RELEASE_MARKER + rebalance });
  context.logger.debug({ tasks: tasks.map((t) => t.id), rebalance }, 'tasks released');
}

export type ReleaseOutcome = 'released' | 'timed out' | 'superseded';

/** Waits until every partition carries the release marker of this rebalance. */
export async function awaitRelease(
  context: HandoffContext,
  partitions: readonly TopicPartition[],
  rebalance: string,
  options: { timeoutMs: number; cancelled: () => boolean },
): Promise<ReleaseOutcome> {
  const marker = RELEASE_MARKER + rebalance;
  const deadline = context.clock.now() + options.timeoutMs;
  const topics = [...new Set(partitions.map((p) => p.topic))];
  for (;;) {
    const committed = new Map<string, string | null>();
    for (const topic of topics) {
      for (const [partition, entry] of await context.admin.committedOffsets(context.groupId, topic))
        committed.set(key({ topic, partition }), entry.metadata);
    }
    if (partitions.every((p) => committed.get(key(p)) === marker)) return 'released';
    if (options.cancelled()) return 'superseded';
    if (context.clock.now() > deadline) return 'timed out';
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Where a task starts reading a partition, and where the partition ended when that was read. */
export interface StartPosition extends TopicPartitionOffset {
  /** The partition's end (the offset after its last record) as listed; undefined when not listed. */
  readonly end: Offset | undefined;
}

/**
 * Where a new task starts reading each input partition: the group's committed offset, else the
 * partition's first offset (what a group with no committed offset starts from). With each, the
 * partition's end, so the task knows from the start which partitions have nothing to fetch and need
 * not be waited for (the clients report nothing for a fetch that found nothing).
 */
export function startPositions(
  context: HandoffContext,
  partitions: readonly TopicPartition[],
): Promise<StartPosition[]> {
  return readPositions(context, partitions, { ends: true });
}

/**
 * The start positions, with the partitions' ends only when asked for: a released task's positions
 * need them only where the group has no committed offset (the end list gives the first offset).
 */
async function readPositions(
  context: HandoffContext,
  partitions: readonly TopicPartition[],
  options: { ends: boolean },
): Promise<StartPosition[]> {
  const positions: StartPosition[] = [];
  for (const topic of new Set(partitions.map((p) => p.topic))) {
    const wanted = partitions.filter((p) => p.topic === topic);
    const [committed, listed] = await Promise.all([
      context.admin.committedOffsets(context.groupId, topic),
      options.ends ? context.admin.offsets(topic) : undefined,
    ]);
    const ranges =
      listed ??
      (wanted.some((p) => !committed.has(p.partition)) ? await context.admin.offsets(topic) : undefined);
    for (const { partition } of wanted) {
      const range = ranges?.get(partition);
      const offset = committed.get(partition)?.offset ?? range?.low ?? toOffset(0);
      positions.push({ topic, partition, offset, end: options.ends ? range?.high : undefined });
    }
  }
  return positions;
}

function key(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}
