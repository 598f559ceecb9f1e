/**
 * Every error Tributary raises is a TributaryError: a stable `code` to branch on, a `retriable` flag that
 * says whether trying again can help, and the underlying `cause` when there is one.
 */
export interface TributaryErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

export class TributaryError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
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
