/**
 * @platformatic/kafka's errors as TributaryError kinds (see ErrorKind in src/errors.ts), following the
 * Java clients and Kafka Streams: what a broker restart, a leader election or a coordinator moving
 * produces is `retriable`; a fenced transactional producer is `task-migrated`; authorization,
 * invalid requests and everything unknown are `fatal`.
 */
import { TributaryError, errorMessage, type ErrorKind } from '../../errors.ts';
import { protocolErrors } from './wire.ts';
import { isTransientSocketCode } from '../socket-errors.ts';
import { apiIdOf, causeOf, errorsOf } from '../error-fields.ts';

/** A newer producer with the same transactional id exists (Kafka 4 answers PRODUCER_FENCED). */
export const FENCING = ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING'];

interface LibraryError {
  readonly code?: unknown;
  readonly apiId?: unknown;
  readonly canRetry?: unknown;
  readonly closed?: unknown;
  readonly errors?: unknown;
  readonly cause?: unknown;
}

/**
 * True when the error passes once the cluster is back. The library marks each protocol answer with
 * Kafka's own retriable flag (`canRetry`); a network error is transient unless it says the client
 * itself was closed; an aggregate (a retried operation's attempts, a response's failed entries, one
 * error per broker) is transient when every error in it is.
 */
function isTransient(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 8) return false;
  const { code, apiId, canRetry, closed, errors, cause } = error as LibraryError;
  if (Array.isArray(errors) && errors.length > 0)
    return errors.every((inner: unknown) => isTransient(inner, depth + 1));
  if (typeof apiId === 'string') return canRetry === true;
  if (code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT') return closed !== true;
  if (isTransientSocketCode(code)) return true;
  return isTransient(cause, depth + 1);
}

/** True for a fenced transactional producer. */
export function isFencing(error: unknown): boolean {
  return protocolErrors(error).some((name) => FENCING.includes(name));
}

/**
 * The kind of an error of the library: a TributaryError keeps its own, a fenced producer is
 * `task-migrated`, transient failures are `retriable`, the rest `fatal`.
 */
export function platformaticErrorKind(error: unknown): ErrorKind {
  if (error instanceof TributaryError) return error.kind;
  if (isFencing(error)) return 'task-migrated';
  return isTransient(error) ? 'retriable' : 'fatal';
}

/**
 * The message that says why: an aggregate's own ("produce failed 9 times") says nothing, so its last
 * error is followed down to the one at the bottom.
 */
function rootMessage(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 8; depth++) {
    const errors = errorsOf(current);
    const cause = causeOf(current);
    if (errors.length > 0) current = errors.at(-1);
    else if (cause instanceof Error && !apiIdOf(current)) current = cause;
    else break;
  }
  return errorMessage(current);
}

/**
 * An error of the library as a TributaryError of its kind, the message saying what was being done
 * (naming the topic, partition, group or transactional id) and Kafka's answer. A TributaryError of
 * that kind already is returned as it is; of another kind, it is wrapped.
 */
export function platformaticError(
  error: unknown,
  doing: string,
  kind = platformaticErrorKind(error),
): TributaryError {
  if (error instanceof TributaryError) {
    if (error.kind === kind) return error;
    return new TributaryError(error.code, `${doing}: ${error.message}`, { cause: error, kind });
  }
  const answers = [...new Set(protocolErrors(error))];
  return new TributaryError(
    'TRIB_KAFKA',
    `${doing} failed${answers.length > 0 ? ` (${answers.join(', ')})` : ''}: ${rootMessage(error)}`,
    { cause: error, kind },
  );
}

/** Runs an operation of the library, rethrowing its failure as a classified TributaryError. */
export async function classified<T>(doing: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw platformaticError(error, doing);
  }
}
