import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../common/logger.ts';

/**
 * Messages kafkajs logs that say nothing useful here: we choose partitions ourselves, and producer
 * retries are bounded on purpose so that a cluster that stays down fails the worker instead of hanging
 * it (idempotence still keeps retried sends from duplicating).
 */
const EXPECTED = [/switched default partitioner/, /Limiting retries for the idempotent producer/];

/**
 * Errors kafkajs logs and that are retried in routine operation: each heartbeat answered
 * "rebalancing" on the way through a rebalance (the worker logs the outcome itself, "tasks
 * assigned"), the transaction coordinator's "concurrent transactions" for a few milliseconds after
 * each commit, and a KRaft broker's "not the leader" for a topic it created a moment ago.
 */
const ROUTINE_ERRORS = [
  /The group is rebalancing/,
  /another concurrent operation on the same transaction/,
  /not the leader for that topic-partition/,
  /does not host this topic-partition/,
];

/**
 * Routes kafkajs' own logging into the worker's logger, and hands the errors it logs to `onError`. kafkajs logs routine group activity at INFO
 * and transient, retried failures (a coordinator still loading) at ERROR; here they become debug and
 * warn, so the worker's own errors stand out.
 */
export function kafkajsLogCreator(logger: Logger, onError?: (error: string) => void): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...fields } = log as { message: string } & Record<string, unknown>;
      const entry = { ...fields, component: `kafkajs.${namespace}` };
      const error = typeof fields.error === 'string' ? fields.error : '';
      if (error) onError?.(error);
      if (
        EXPECTED.some((pattern) => pattern.test(message)) ||
        ROUTINE_ERRORS.some((pattern) => pattern.test(error) || pattern.test(message))
      )
        logger.debug(entry, message);
      else if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(entry, message);
      else logger.debug(entry, message);
    };
}
