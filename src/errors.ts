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

export interface TributaryErrorOptions {
  cause?: unknown;
  /** Shorthand for `kind: 'retriable'`. */
  retriable?: boolean;
  kind?: ErrorKind;
}

export class TributaryError extends Error {
  readonly code: string;
  /** What a worker does about it; see ErrorKind. */
  readonly kind: ErrorKind;
  /** True when trying the same operation again may succeed (`kind` is `retriable`). */
  readonly retriable: boolean;

  constructor(code: string, message: string, options: TributaryErrorOptions = {}) {
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
