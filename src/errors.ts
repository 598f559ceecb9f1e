/**
 * Every error Tributary raises is a TributaryError: a stable `code` to branch on, a `kind` that says
 * what a worker does about it (and the `retriable` flag that goes with it), and the underlying `cause`
 * when there is one.
 */

/**
 * What an error calls for, with Kafka Streams' classification:
 * - `retriable`: a passing condition (a broker restarting, a coordinator moving or loading, a leader
 *   election, a request timing out): the same operation is tried again after a backoff, for a
 *   bounded time (see src/kafka/retry.ts);
 * - `abortable`: a task's transaction cannot complete, though its producer is not fenced: the
 *   transaction is aborted and the task starts again from its last commit;
 * - `task-migrated`: another instance of a task took it over (its producer was fenced): the task is
 *   closed without committing and the worker rejoins its group for a fresh assignment;
 * - `fatal`: trying again cannot help (authorization, a record too large, a bug, bad input with the
 *   `fail` handler): the application stops and the process exits non-zero.
 */
export type ErrorKind = 'retriable' | 'abortable' | 'task-migrated' | 'fatal';

/**
 * Every code a TributaryError carries: a closed list, so code that branches on one is checked by the
 * compiler, and a new code is a visible change of the public API.
 */
export type ErrorCode =
  // Building and configuring
  | 'TRIB_TOPOLOGY' // the topology cannot be built (wiring, names, co-partitioning)
  | 'TRIB_CONFIG' // a setting is missing or invalid
  | 'TRIB_USAGE' // the command line is wrong
  // Records
  | 'TRIB_SERDE' // a key or value cannot be (de)serialized
  | 'TRIB_PROCESSING' // user code threw while processing a record
  | 'TRIB_STORE' // a state store failed or was used wrongly
  | 'TRIB_RESTORE' // restoring a store from its changelog failed
  | 'TRIB_SCHEMA_REGISTRY' // the schema registry refused or could not be reached
  // Kafka
  | 'TRIB_KAFKA' // a Kafka operation failed
  | 'TRIB_KAFKA_CLIENT' // the Kafka client misbehaved
  | 'TRIB_KAFKA_AUTHENTICATION'
  | 'TRIB_KAFKA_AUTHORIZATION'
  | 'TRIB_KAFKA_TLS'
  | 'TRIB_TOKEN' // an OAuth token could not be obtained
  | 'TRIB_RECORD_TOO_LARGE' // a record larger than its topic accepts
  | 'TRIB_FENCED' // a newer instance of the task's producer took over
  | 'TRIB_GROUP_FENCED' // a newer member with the same group instance id took over
  | 'TRIB_REBALANCE' // the group is rebalancing: offsets were not committed
  | 'TRIB_TRANSACTION' // a transaction cannot go on
  | 'TRIB_CONSUMER' // the consumer stopped
  | 'TRIB_GROUP' // the embedded group coordinator refused
  | 'TRIB_UNSUPPORTED' // the event log does not offer an operation
  | 'TRIB_UNKNOWN_TOPIC'
  | 'TRIB_TOPIC_MISSING'
  | 'TRIB_EMBEDDED_LOG' // the embedded event log failed or is damaged
  | 'TRIB_RETRIES_EXHAUSTED' // a retriable failure outlasted its timeout
  | 'TRIB_CANCELLED' // given up because the application is stopping
  // Reading topics, recordings and replays
  | 'TRIB_READ'
  | 'TRIB_REPLAY'
  | 'TRIB_REPLAY_INPUT'
  // HTTP and interactive queries
  | 'TRIB_HTTP'
  | 'TRIB_QUERY_BAD_REQUEST'
  | 'TRIB_QUERY_TIMEOUT'
  | 'TRIB_QUERY_UNAVAILABLE'
  | 'TRIB_QUERY_UNKNOWN_STORE'
  // A broken internal invariant: a bug in Tributary, never the user's input
  | 'TRIB_INTERNAL'
  | 'TRIB_ILLEGAL_STATE'; // an application asked to move where its lifecycle does not allow

export interface TributaryErrorOptions {
  cause?: unknown;
  /** Shorthand for `kind: 'retriable'`. */
  retriable?: boolean;
  kind?: ErrorKind;
}

export class TributaryError extends Error {
  readonly code: ErrorCode;
  /** What a worker does about it; see ErrorKind. */
  readonly kind: ErrorKind;
  /** True when trying the same operation again may succeed (`kind` is `retriable`). */
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = options.kind ?? (options.retriable ? 'retriable' : 'fatal');
    this.retriable = this.kind === 'retriable';
  }
}

/** The kind of any error: a TributaryError's own, else `fatal` (nothing says trying again helps). */
export function errorKind(error: unknown): ErrorKind {
  return error instanceof TributaryError ? error.kind : 'fatal';
}

/** The topology cannot be built: a wiring mistake, a name clash, a co-partitioning violation. */
export class TopologyError extends TributaryError {
  constructor(message: string, options: TributaryErrorOptions = {}) {
    super('TRIB_TOPOLOGY', message, options);
  }
}

/** A configuration value is missing or invalid; the message names the setting. */
export class ConfigError extends TributaryError {
  constructor(message: string, options: TributaryErrorOptions = {}) {
    super('TRIB_CONFIG', message, options);
  }
}

/** Where a record came from, so an error about it can say so. */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: string | number | bigint;
}

export function describeOrigin(origin: RecordOrigin | undefined): string {
  if (!origin) return 'outside any input record';
  return `topic "${origin.topic}" partition ${origin.partition} offset ${String(origin.offset)}`;
}

/** A key or value could not be (de)serialized. */
export class SerdeError extends TributaryError {
  readonly origin: RecordOrigin | undefined;
  readonly part: 'key' | 'value' | undefined;

  constructor(
    message: string,
    options: TributaryErrorOptions & { origin?: RecordOrigin; part?: 'key' | 'value' } = {},
  ) {
    super('TRIB_SERDE', message, options);
    this.origin = options.origin;
    this.part = options.part;
  }
}

/** A state store failed or was used wrongly. */
export class StoreError extends TributaryError {
  constructor(message: string, options: TributaryErrorOptions = {}) {
    super('TRIB_STORE', message, options);
  }
}

/** User code threw while processing a record. */
export class ProcessingError extends TributaryError {
  readonly origin: RecordOrigin | undefined;
  readonly processorName: string;

  constructor(
    processorName: string,
    message: string,
    options: TributaryErrorOptions & { origin?: RecordOrigin } = {},
  ) {
    super('TRIB_PROCESSING', message, options);
    this.origin = options.origin;
    this.processorName = processorName;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
