import { listOffsetsV7 } from '@platformatic/kafka';
import type { Wire } from './wire.ts';
import { TributaryError } from '../../errors.ts';

/** ListOffsets' special timestamps: the log's start, and its end. */
export const EARLIEST = -2n;
export const LATEST = -1n;

/**
 * ListOffsets for partitions of one topic, each asked of its leader: per partition, the offset of the
 * first record at or after `timestamp` (or the log's start or end for EARLIEST and LATEST). Under
 * read_committed LATEST is the last stable offset, the end a read_committed reader can reach.
 */
export async function listOffsets(
  wire: Wire,
  topic: string,
  partitions: readonly number[],
  timestamp: bigint,
  readCommitted: boolean,
): Promise<Map<number, bigint>> {
  const metadata = await wire.metadata([topic]);
  const layout = metadata.topics.get(topic);
  if (!layout)
    throw new TributaryError('TRIB_UNKNOWN_TOPIC', `topic "${topic}" is not in the cluster's metadata`);
  const byLeader = new Map<number, number[]>();
  for (const partition of partitions) {
    const leader = layout.partitions[partition]?.leader ?? -1;
    let list = byLeader.get(leader);
    if (!list) byLeader.set(leader, (list = []));
    list.push(partition);
  }
  const offsets = new Map<number, bigint>();
  await Promise.all(
    [...byLeader].map(async ([leader, list]) => {
      const response = await listOffsetsV7.api.async(await wire.node(leader), -1, readCommitted ? 1 : 0, [
        {
          name: topic,
          partitions: list.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })),
        },
      ]);
      for (const entry of response.topics) {
        for (const p of entry.partitions) offsets.set(p.partitionIndex, p.offset);
      }
    }),
  );
  return offsets;
}
