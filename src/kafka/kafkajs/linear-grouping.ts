import { createRequire } from 'node:module';
import { replaceCachedModule } from './module-cache.ts';

/** kafkajs' module that groups a send's records by partition, loaded by its producer at start. */
const GROUPING_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';

interface GroupingInput {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly unknown[];
  partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: unknown }) => number;
}

/**
 * What kafkajs' `groupMessagesPerPartition` returns (partition → its records, in order), in time
 * linear in the records. kafkajs 2.2.4 copies a partition's list for every record it adds to it
 * (`[...current, message]`): quadratic in the records of one partition, about 7% of a worker's CPU
 * at 1,000 records per request (the bound that keeps it short, see produce-requests.ts).
 */
export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupingInput): Record<number, unknown[]> {
  const grouped: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return grouped;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (grouped[partition] ??= []).push(message);
  }
  return grouped;
}

/**
 * Has kafkajs' producer use the linear grouping above: the module is put in Node's module cache
 * before kafkajs loads it, so this module must be imported before kafkajs is (the adapter imports it
 * first). Returns whether kafkajs uses it; if kafkajs was loaded before (or is laid out otherwise),
 * it keeps its own grouping, which gives the same result, slower.
 */
function installLinearGrouping(): boolean {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve(GROUPING_MODULE);
  } catch {
    return false;
  }
  const cached = require.cache[path];
  if (cached) return cached.exports === groupMessagesPerPartition;
  replaceCachedModule(require, path, groupMessagesPerPartition);
  return true;
}

export const linearGroupingInstalled = installLinearGrouping();
