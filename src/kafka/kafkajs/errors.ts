/**
 * kafkajs' errors as TributaryError kinds (see ErrorKind in src/errors.ts), following the Java
 * clients and Kafka Streams: what a broker restart, a leader election or a coordinator moving
 * produces is `retriable`; a fenced transactional producer is `task-migrated`; authorization,
 * invalid requests and everything unknown are `fatal`.
 */
import { createRequire } from 'node:module';
import { TributaryError, errorMessage, type ErrorKind } from '../../errors.ts';
import { kafkaErrorType } from './convert.ts';
import { isTransientSocketCode } from '../socket-errors.ts';
import { errnoCode } from '../../common/to-error.ts';
import { causeOf, messageOf, nameOf } from '../error-fields.ts';

/**
 * kafkajs' table of the broker's error codes, to name an answer whose type kafkajs dropped: its
 * consumer group wraps a rebalance answer to a join (NOT_COORDINATOR_FOR_GROUP and the like) in a plain
 * KafkaJSError that keeps only the message, so that its retrier joins again; when its retries run out,
 * that is the error the consumer crashes with.
 */
const protocolErrors = (
  createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
    errorCodes: readonly { type: string; message: string }[];
  }
).errorCodes;
const TYPE_BY_MESSAGE = new Map(protocolErrors.map((e) => [e.message, e.type]));

/** The broker's answer a plain KafkaJSError wraps, named from its message (see TYPE_BY_MESSAGE). */
function wrappedAnswerType(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 6; depth++) {
    const message = messageOf(current);
    if (nameOf(current) === 'KafkaJSError' && typeof message === 'string')
      return TYPE_BY_MESSAGE.get(message);
    current = causeOf(current);
  }
  return undefined;
}

/**
 * kafkajs error classes (by name) for a connection or a request that did not get through, or a
 * broker, coordinator or metadata not found for the moment: all pass when the cluster is back.
 */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
]);

/**
 * Protocol errors Kafka documents as retriable, or that a coordinator answers while it moves, loads
 * or completes a previous transaction (CONCURRENT_TRANSACTIONS: the broker expects a retry).
 */
const RETRIABLE_TYPES = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'REQUEST_TIMED_OUT',
  'REPLICA_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'GROUP_LOAD_IN_PROGRESS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_CONTROLLER',
  'CONCURRENT_TRANSACTIONS',
  'KAFKA_STORAGE_ERROR',
  'FETCH_SESSION_ID_NOT_FOUND',
  'INVALID_FETCH_SESSION_EPOCH',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'UNSTABLE_OFFSET_COMMIT',
]);

/**
 * A newer producer with the same transactional id exists: this instance of the task is a zombie
 * (Kafka Streams' TaskMigratedException). Kafka 4 answers PRODUCER_FENCED (code 90, unknown to
 * kafkajs) or, to older request versions, INVALID_PRODUCER_EPOCH.
 */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING', 'PRODUCER_FENCED']);
const FENCED_CODES = new Set([90]);

/**
 * The broker lost or rejects this producer's sequence state: the producer must start over with a new
 * id or epoch (Kafka Streams closes the task dirty; the idempotent producer resets itself).
 */
const PRODUCER_STATE_TYPES = new Set(['UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER']);

/** The innermost protocol error code kafkajs could not name ("Unknown error code 90"), if any. */
function unknownErrorCode(error: unknown): number | undefined {
  for (let current = error, depth = 0; current && depth < 6; depth++) {
    const match = /Unknown error code (\d+)/.exec(errorMessage(current));
    if (match) return Number(match[1]);
    current = causeOf(current);
  }
  return undefined;
}

/** True when the error, or one it wraps, is a connection-level failure that passes. */
function isTransient(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 6; depth++) {
    const name = nameOf(current);
    if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
    if (isTransientSocketCode(errnoCode(current))) return true;
    current = causeOf(current);
  }
  return false;
}

/** True for a fenced transactional producer. */
export function isFencing(error: unknown): boolean {
  const type = kafkaErrorType(error);
  if (type && FENCED_TYPES.has(type)) return true;
  const code = unknownErrorCode(error);
  return code !== undefined && FENCED_CODES.has(code);
}

/** True when the broker no longer accepts this producer's id or sequence numbers. */
export function isProducerStateLost(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type !== undefined && PRODUCER_STATE_TYPES.has(type);
}

/**
 * The kind of a kafkajs error outside a transaction: a TributaryError keeps its own, a fenced
 * producer is `task-migrated`, transient failures are `retriable`, the rest `fatal`.
 */
export function kafkajsErrorKind(error: unknown): ErrorKind {
  if (error instanceof TributaryError) return error.kind;
  if (isFencing(error)) return 'task-migrated';
  const type = kafkaErrorType(error) ?? wrappedAnswerType(error);
  if (type !== undefined) return RETRIABLE_TYPES.has(type) ? 'retriable' : 'fatal';
  return isTransient(error) ? 'retriable' : 'fatal';
}

/**
 * The message of the error at the bottom of kafkajs' wrappers: they repeat their cause's message
 * ("Connection error: ...: Connection error: ...") or replace it ("Number of retries exceeded").
 */
function rootMessage(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 6; depth++) {
    const cause = causeOf(current);
    if (!(cause instanceof Error)) break;
    current = cause;
  }
  return errorMessage(current);
}

/**
 * A kafkajs error as a TributaryError of its kind, the message saying what was being done. A
 * TributaryError of that kind already is returned as it is; of another kind, it is wrapped.
 */
export function kafkajsError(error: unknown, doing: string, kind = kafkajsErrorKind(error)): TributaryError {
  if (error instanceof TributaryError) {
    if (error.kind === kind) return error;
    return new TributaryError(error.code, `${doing}: ${error.message}`, { cause: error, kind });
  }
  const type = kafkaErrorType(error);
  return new TributaryError(
    'TRIB_KAFKA',
    `${doing} failed${type ? ` (${type})` : ''}: ${rootMessage(error)}`,
    {
      cause: error,
      kind,
    },
  );
}

/** Runs a kafkajs operation, rethrowing its failure as a classified TributaryError. */
export async function classified<T>(doing: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw kafkajsError(error, doing);
  }
}
