import { offsetFetchV8 } from '@platformatic/kafka';
import type { CommittedOffset, TopicPartition } from '../port.ts';
import { hasProtocolError, type Wire } from './wire.ts';
import { toOffset } from '../../common/offset.ts';

/** How long to wait for a transaction that holds offsets of these partitions to complete. */
const UNSTABLE_WAIT_MS = 60_000;

/**
 * A group's committed offsets (with their metadata) for chosen partitions, keyed `topic\0partition`.
 * Asked with `require_stable` (KIP-447): while a transaction that commits offsets for one of them is
 * open, the coordinator answers UNSTABLE_OFFSET_COMMIT and this asks again, so a new owner of a
 * partition never starts from an offset a pending transaction is about to move.
 */
export async function committedOffsetsWithMetadata(
  wire: Wire,
  groupId: string,
  partitions: readonly TopicPartition[],
): Promise<Map<string, CommittedOffset>> {
  const result = new Map<string, CommittedOffset>();
  if (partitions.length === 0) return result;
  const topics = new Map<string, number[]>();
  for (const p of partitions) {
    let list = topics.get(p.topic);
    if (!list) topics.set(p.topic, (list = []));
    list.push(p.partition);
  }
  const deadline = Date.now() + UNSTABLE_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const coordinator = await wire.node(await wire.coordinator(0, groupId));
      const response = await offsetFetchV8.api.async(
        coordinator,
        [
          {
            groupId,
            memberEpoch: -1,
            topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          },
        ],
        true,
      );
      for (const group of response.groups) {
        for (const topic of group.topics) {
          for (const p of topic.partitions) {
            if (p.committedOffset >= 0n)
              result.set(`${topic.name}\u0000${p.partitionIndex}`, {
                offset: toOffset(p.committedOffset),
                metadata: p.metadata ? p.metadata : null,
              });
          }
        }
      }
      return result;
    } catch (error) {
      const waiting = hasProtocolError(
        error,
        'UNSTABLE_OFFSET_COMMIT',
        'COORDINATOR_LOAD_IN_PROGRESS',
        'COORDINATOR_NOT_AVAILABLE',
        'NOT_COORDINATOR',
      );
      if (!waiting || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(20 * attempt, 500)));
    }
  }
}

/** The committed positions alone, keyed `topic\0partition`. */
export async function committedOffsets(
  wire: Wire,
  groupId: string,
  partitions: readonly TopicPartition[],
): Promise<Map<string, bigint>> {
  const committed = await committedOffsetsWithMetadata(wire, groupId, partitions);
  return new Map([...committed].map(([key, entry]) => [key, entry.offset]));
}
