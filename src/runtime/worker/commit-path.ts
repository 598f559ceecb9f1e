import type { GroupConsumerPort, OutgoingRecord } from '../../kafka/port.ts';
import type { RetryPolicy } from '../../kafka/retry.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { RunningTask, TaskRegistry } from './task-registry.ts';

/**
 * What a commit achieved: `refused` when the group would not take the consumed offsets because it is
 * rebalancing (at-least-once only; they stay pending for the next commit), else `committed`.
 */
export type CommitOutcome = 'committed' | 'refused';

/**
 * How output is sent and a commit made durable under one processing guarantee: chosen once, when the
 * application starts (see CommitProtocol for the steps every path keeps).
 */
export interface CommitPath {
  /** Hands a task's output (and changelog records) to the sender it goes through. */
  handOver(task: RunningTask, records: readonly OutgoingRecord[]): void;
  /** Resolves once every sender is within its bounds. */
  room(): Promise<void>;
  /** Steps 2 to 4 of a commit, once step 1 has handed everything over. */
  commit(): Promise<CommitOutcome>;
  close(): Promise<void>;
}

/** What every commit path works with. */
export interface CommitPathContext {
  readonly applicationId: string;
  readonly registry: TaskRegistry;
  readonly consumer: GroupConsumerPort;
  readonly logger: Logger;
  /** Commit intervals, commit durations and how long a transaction has kept failing are measured on it. */
  readonly clock: Clock;
  /** How long passing failures (a broker restarting) are retried before they are fatal. */
  readonly retry: RetryPolicy;
  /** Aborted when the application stops for good: retries give up. */
  readonly signal: AbortSignal;
  /** An at-least-once send failed for good: the application cannot go on. */
  readonly fail: (error: Error) => void;
  /**
   * Exactly-once: a task was closed because its transaction could not complete (a broker restart
   * broke it off, or it was fenced). `migrated` (fenced) calls for a rejoin of the group; otherwise
   * the task is started again from its last commit if it is still this worker's.
   */
  readonly taskClosed: (id: string, reason: { migrated: boolean }) => void;
}

/** Makes the commit path an application runs with, from what every path works with. */
export type CommitPathFactory = (context: CommitPathContext) => CommitPath;
