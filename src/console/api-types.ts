/**
 * The JSON the console's endpoints answer with (docs/console.md). Shared by the worker, which builds
 * it, and the page, which reads it: types only, nothing that runs.
 */
import type { TopologyDescriptionJson } from '../topology/describe.ts';

/** GET /console/api/overview */
export interface ConsoleOverview {
  /** The worker that answered (its advertised endpoint). */
  readonly endpoint: string;
  readonly applications: readonly ApplicationOverview[];
  /** The reference orders system, when this worker serves its API: where the orders view reads. */
  readonly orders: OrdersSystem | null;
}

export interface ApplicationOverview {
  readonly application: string;
  readonly description?: string;
  readonly state: string;
  /** What `tributary describe --format json` prints for the application. */
  readonly topology: TopologyDescriptionJson;
  /** The application's own HTTP routes, as `METHOD /pattern`. */
  readonly routes: readonly string[];
}

export interface OrdersSystem {
  readonly store: string;
  readonly topics: { readonly orders: string; readonly validations: string; readonly emails: string };
}

/** GET /console/api/status: every worker of the applications, as each one reports itself. */
export interface ClusterStatus {
  readonly endpoint: string;
  readonly time: number;
  readonly workers: readonly WorkerReport[];
}

/** A worker's own report, or why there is none. */
export type WorkerReport =
  | { readonly endpoint: string; readonly ok: true; readonly status: WorkerStatus }
  | { readonly endpoint: string; readonly ok: false; readonly error: string };

export interface WorkerStatus {
  readonly endpoint: string;
  /** Which stream thread of the worker process reports (`--threads` above 1). */
  readonly thread?: string;
  readonly time: number;
  readonly applications: readonly ApplicationStatus[];
}

export interface ApplicationStatus {
  readonly application: string;
  readonly state: string;
  /** Who runs which task, as this worker's last assignment says (endpoint → task ids). */
  readonly assignment: Readonly<
    Record<string, { readonly active: readonly string[]; readonly standby: readonly string[] }>
  >;
  readonly tasks: readonly TaskStatus[];
  readonly restores: readonly RestoreStatus[];
  readonly processed: number;
  readonly commits: number;
  /** Records dropped since the start, per reason (`error-handler`: skipped or dead-lettered). */
  readonly dropped: Readonly<Record<string, number>>;
  /** Where the error handlers send records they give up on, when they do. */
  readonly deadLetterTopic: string | null;
  /** The last minutes, one sample per interval. */
  readonly samples: readonly SampleStatus[];
}

/** One application's figures over one sampling interval, on one worker. */
export interface SampleStatus {
  /** End of the interval, epoch milliseconds (a multiple of the interval). */
  readonly time: number;
  readonly recordsPerSecond: number;
  readonly commitsPerSecond: number;
  /** Mean time of the commits in the interval; null without commits. */
  readonly commitMs: number | null;
  /** Mean of processing time minus record timestamp in the interval; null without records. */
  readonly latencyMs: number | null;
  /** Records in the input partitions beyond what was processed, at the end of the interval. */
  readonly lag: number;
  readonly droppedPerSecond: number;
}

export interface TaskStatus {
  readonly id: string;
  /** `restoring`: assigned as active, its stores still being restored. */
  readonly role: 'active' | 'restoring' | 'standby';
  readonly processed: number | null;
  readonly inputs: readonly InputStatus[];
  readonly stores: readonly StoreStatus[];
}

export interface InputStatus {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to process; null before the first record. */
  readonly position: string | null;
  /** Records in the partition beyond what was processed; null before the first fetch. */
  readonly lag: number | null;
  readonly recordsPerSecond: number;
}

export interface StoreStatus {
  readonly name: string;
  readonly entries: number | null;
}

export interface RestoreStatus {
  /** The task restored, or null for a global store being loaded. */
  readonly task: string | null;
  readonly store: string | null;
  readonly topic: string;
  readonly partition: number;
  readonly restored: number;
  readonly remaining: number;
  readonly recordsPerSecond: number;
  /** Seconds left at the current rate; null while nothing moves. */
  readonly etaSeconds: number | null;
}

/** GET /console/api/orders */
export interface OrdersReport {
  /** False until the recent records of the topics have been read once. */
  readonly caughtUp: boolean;
  /** Why the topics cannot be followed, if they cannot. */
  readonly error: string | null;
  /** Most recent first. */
  readonly orders: readonly OrderTimeline[];
}

export interface OrderTimeline {
  readonly id: string;
  /** The latest state seen on the orders topic. */
  readonly state: string;
  readonly order: Readonly<Record<string, unknown>>;
  readonly failureReason: string | null;
  /** Every record about the order, in time order. */
  readonly events: readonly OrderEvent[];
}

export type OrderEvent =
  | { readonly kind: 'state'; readonly time: number; readonly state: string; readonly reason: string | null }
  | {
      readonly kind: 'check';
      readonly time: number;
      readonly check: string;
      readonly result: string;
      readonly reason: string | null;
    }
  | { readonly kind: 'email'; readonly time: number; readonly to: string; readonly subject: string };
