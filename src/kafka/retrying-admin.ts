import type { Logger } from '../common/logger.ts';
import type { AdminPort } from './port.ts';
import { retrying, type RetryPolicy } from './retry.ts';

/**
 * An admin whose reads and writes are retried while they fail with retriable errors (a broker
 * restarting, a coordinator loading), for at most the policy's timeout: what a worker's own admin
 * calls need (restores, hand-overs, start positions) to ride out a broker restart.
 */
export function retryingAdmin(
  admin: AdminPort,
  options: { policy: RetryPolicy; signal?: AbortSignal; logger: Logger },
): AdminPort {
  const retried = <T>(what: string, call: () => Promise<T>): Promise<T> =>
    retrying(call, {
      what,
      policy: options.policy,
      signal: options.signal,
      onRetry: (error, attempt, waitMs) =>
        options.logger.debug({ err: error, attempt, waitMs }, `${what}: retrying`),
    });
  return {
    createTopics: (topics) =>
      retried(`creating topics ${topics.map((t) => t.topic).join(', ')}`, () => admin.createTopics(topics)),
    partitionCounts: (topics) => retried('reading partition counts', () => admin.partitionCounts(topics)),
    offsets: (topic) => retried(`reading the offsets of topic "${topic}"`, () => admin.offsets(topic)),
    offsetsForTime: (topic, timestamp) =>
      retried(`reading the offsets of topic "${topic}" at a time`, () =>
        admin.offsetsForTime(topic, timestamp),
      ),
    committedOffsets: (groupId, topic) =>
      retried(`reading the committed offsets of group "${groupId}" in topic "${topic}"`, () =>
        admin.committedOffsets(groupId, topic),
      ),
    deleteTopics: (topics) => retried('deleting topics', () => admin.deleteTopics(topics)),
    listTopics: () => retried('listing topics', () => admin.listTopics()),
    close: () => admin.close(),
  };
}
